import type { MessageBroker } from '../broker/message-broker.js';
import { DYNSEC_RESPONSE_TOPIC, DYNSEC_TOPIC, type ControlTransport } from './dynsec-control.js';

/**
 * The dynamic-security command channel over the server's own broker connection: commands to the plugin's $CONTROL
 * topic, never to a device (devices are published to by the device gateway alone).
 */
export function brokerTransport(broker: MessageBroker): ControlTransport {
  return {
    publish: (payload) => broker.publish(DYNSEC_TOPIC, payload, { qos: 1, retain: false }),
    // Not shared: every instance receives every answer and picks out its own (correlationData).
    listen: (handler) => broker.subscribe(DYNSEC_RESPONSE_TOPIC, (_topic, payload) => handler(payload), { shared: false }),
    connectionEpoch: () => broker.state().reconnects ?? 0,
  };
}

