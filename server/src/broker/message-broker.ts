import type { TlsMaterial } from '../common/tls.js';

export interface PublishOptions {
  readonly qos: 0 | 1;
  readonly retain: boolean;
}

export interface SubscribeOptions {
  /**
   * Device upstream channels: with several server instances on one external broker, each message must be handled by
   * exactly one of them, so the filter is subscribed as `$share/<LOA_MQTT_SHARE_GROUP>/<filter>`. The embedded broker
   * has one subscriber by nature and ignores it.
   */
  readonly shared?: boolean;
  /**
   * Also hand the handlers, once, what the broker holds retained on the filter, at open() and after each
   * reconnection: a shared subscription never receives retained messages, so what devices published retained while
   * no instance was subscribed (their `status`, their last will) would go unseen. External broker only: the embedded
   * broker lives and dies with the server, which sees every message published to it.
   */
  readonly retained?: boolean;
}

export type MessageHandler = (topic: string, payload: Buffer) => void | Promise<void>;

/** Told that the connection to an external broker came back after a loss (see MessageBroker.onReconnect). */
export type ReconnectListener = () => void;

/**
 * Ends a device's session at an external broker. There the broker account's owner does it: Mosquitto dynamic
 * security kicks a client it disables or changes, EMQX's REST API kicks a client id. Resolves once the session is
 * ended (or was not open); rejects when the broker refused.
 */
export type SessionTerminator = (clientId: string) => Promise<void>;

/** Which broker serves the devices and whether the server is connected to it, for logs and the health endpoint. */
export interface BrokerState {
  readonly kind: 'embedded' | 'external';
  /** Embedded: listening. External: the client session is up (subscriptions in place once open() ran). */
  readonly connected: boolean;
  /** External only: the broker URL (credentials never appear in it, they are separate settings). */
  readonly url?: string;
  /** External only: connection losses since start-up. */
  readonly reconnects?: number;
  /**
   * External only: QoS 1 publishes awaiting their PUBACK (at most `limit`, the broker's Receive Maximum capped) and
   * those queued behind them or waiting for the broker to come back.
   */
  readonly publishes?: { readonly limit: number; readonly inFlight: number; readonly waiting: number };
  /** Embedded only: device sessions logged in now (for /metrics, issue 20). */
  readonly sessions?: number;
}

/**
 * What domain code knows of MQTT. The embedded aedes broker implements it (the one-command default); an external
 * broker (EMQX, Mosquitto) behind a client connection implements it for scale-out, without services noticing.
 *
 * Lifecycle, driven by bootstrap only: the broker exists from onModuleInit (external: connected), features subscribe
 * in onApplicationBootstrap, then `open()` lets device traffic in, and `stop()` ends intake at the start of a
 * graceful stop.
 */
export abstract class MessageBroker {
  private terminator: SessionTerminator | null = null;
  private readonly reconnectListeners = new Set<ReconnectListener>();
  private publishObserver: ((topic: string) => void) | null = null;

  abstract publish(topic: string, payload: Buffer, options: PublishOptions): Promise<void>;
  /** Register a server-side subscription; `filter` may contain MQTT wildcards. */
  abstract subscribe(filter: string, handler: MessageHandler, options?: SubscribeOptions): Promise<void>;
  /**
   * Ends the MQTT session of this client id (a device's id) at once, e.g. after its credentials were rotated or
   * revoked; resolves when it is closed (at once if it is not connected). Its last will is published as usual.
   * On an external broker this goes through the registered SessionTerminator.
   */
  abstract disconnect(clientId: string): Promise<void>;

  /**
   * Lets devices' messages in, once every feature has subscribed (embedded: opens the ports; external: sends the
   * subscriptions recorded so far). No device message reaches the server before this.
   */
  abstract open(): Promise<void>;
  /**
   * First step of a graceful stop: no new device message is taken (external: shared subscriptions are withdrawn so
   * the broker hands the rest to the other instances); resolves when the handlers of messages already taken have
   * finished, with the device ids whose sessions the stop ends ([] on an external broker: they stay connected to it).
   * Publishing still works until the application is closed. Idempotent.
   */
  abstract stop(): Promise<string[]>;
  /** Plain MQTT port bound (useful when configured as 0); null when only TLS listens, or for an external broker. */
  abstract get port(): number | null;
  /** MQTT-over-TLS port bound; null without TLS or for an external broker. */
  abstract get tlsPort(): number | null;
  /** Swaps in a renewed listener certificate (embedded); an external broker has no listener of ours. */
  abstract reloadTls(material: TlsMaterial): void;
  abstract state(): BrokerState;

  /**
   * Registered by the module that owns device accounts at an external broker (dynsec, EMQX API); one at most.
   * The embedded broker ends sessions itself and never calls it.
   */
  setSessionTerminator(terminator: SessionTerminator): void {
    if (this.terminator !== null && this.terminator !== terminator) throw new Error('a session terminator is already registered');
    this.terminator = terminator;
  }

  /** Issue 20: told the topic of every publish (counted per channel for /metrics); one observer, the last set. */
  observePublishes(observer: (topic: string) => void): void {
    this.publishObserver = observer;
  }

  /** For implementations: called once per publish attempt. */
  protected notePublished(topic: string): void {
    this.publishObserver?.(topic);
  }

  protected get sessionTerminator(): SessionTerminator | null {
    return this.terminator;
  }

  /**
   * Told each time the connection to an external broker is re-established after a loss (not at the first
   * connection): the broker may have restarted meanwhile, without persistence, so whatever a feature remembers of
   * the broker's state (what it holds retained) is no longer known. Called before the subscriptions are sent again.
   * The embedded broker is this process, so it never calls it. Returns the unsubscribe function.
   */
  onReconnect(listener: ReconnectListener): () => void {
    this.reconnectListeners.add(listener);
    return () => void this.reconnectListeners.delete(listener);
  }

  /** For implementations: a listener's failure is its own and never stops the others or the reconnection. */
  protected notifyReconnected(onError: (err: Error) => void): void {
    for (const listener of this.reconnectListeners) {
      try {
        listener();
      } catch (err) {
        onError(err as Error);
      }
    }
  }
}
