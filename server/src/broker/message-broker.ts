export interface PublishOptions {
  readonly qos: 0 | 1;
  readonly retain: boolean;
}

export type MessageHandler = (topic: string, payload: Buffer) => void | Promise<void>;

/**
 * What domain code knows of MQTT. The embedded aedes broker implements it today; an external broker (EMQX,
 * Mosquitto) behind a client connection implements it for scale-out, without services noticing.
 */
export abstract class MessageBroker {
  abstract publish(topic: string, payload: Buffer, options: PublishOptions): Promise<void>;
  /** Register a server-side subscription; `filter` may contain MQTT wildcards. */
  abstract subscribe(filter: string, handler: MessageHandler): Promise<void>;
  /** Port actually bound (useful when configured as 0); null for an external broker. */
  abstract get port(): number | null;
  /**
   * Ends the MQTT session of this client id (a device's id) at once, e.g. after its credentials were rotated or
   * revoked; resolves when it is closed (at once if it is not connected). Its last will is published as usual.
   */
  abstract disconnect(clientId: string): Promise<void>;
}
