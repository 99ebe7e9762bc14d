import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

export type ConnectOutcome =
  | { connected: true; client: MqttClient }
  | { connected: false; code: number | string | undefined; message: string };

/**
 * One raw MQTT connection attempt (no automatic reconnect). Resolves with the client when CONNACK accepts it, or
 * with the refusal (CONNACK return code 4/5 for bad credentials) when the broker says no or closes the socket.
 */
export function tryConnect(url: string, opts: IClientOptions, timeoutMs = 10_000): Promise<ConnectOutcome> {
  return new Promise((resolve) => {
    const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: timeoutMs, protocolVersion: 4, ...opts });
    let done = false;
    const finish = (r: ConnectOutcome) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (!r.connected) client.end(true);
      resolve(r);
    };
    const timer = setTimeout(() => finish({ connected: false, code: 'timeout', message: `no CONNACK within ${timeoutMs} ms` }), timeoutMs + 1000);
    client.once('connect', () => finish({ connected: true, client }));
    client.once('error', (err) => finish({ connected: false, code: (err as { code?: number | string }).code, message: err.message }));
    client.once('close', () => finish({ connected: false, code: 'closed', message: 'connection closed before CONNACK' }));
  });
}

/** Resolves true if the client's connection closes within `timeoutMs`. */
export function closesWithin(client: MqttClient, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (!client.connected) return resolve(true);
    const timer = setTimeout(() => {
      client.off('close', onClose);
      resolve(false);
    }, timeoutMs);
    const onClose = () => {
      clearTimeout(timer);
      resolve(true);
    };
    client.once('close', onClose);
  });
}
