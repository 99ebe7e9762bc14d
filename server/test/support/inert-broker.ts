import { MessageBroker, type BrokerState, type MessageHandler, type PublishOptions } from '../../src/broker/message-broker.js';

/**
 * A broker test double with nothing behind it: no ports, no lifecycle (that is bootstrap's business), subscriptions
 * and publishes dropped, ended sessions recorded. Doubles that record more extend it.
 */
export class InertBroker extends MessageBroker {
  readonly disconnected: string[] = [];
  async publish(_topic: string, _payload: Buffer, _options: PublishOptions): Promise<void> {}
  async subscribe(_filter: string, _handler: MessageHandler): Promise<void> {}
  async disconnect(clientId: string): Promise<void> {
    this.disconnected.push(clientId);
  }
  get port(): number | null {
    return null;
  }
  get tlsPort(): number | null {
    return null;
  }
  async open(): Promise<void> {}
  async stop(): Promise<string[]> {
    return [];
  }
  reloadTls(): void {}
  state(): BrokerState {
    return { kind: 'embedded', connected: true };
  }
}
