import { jest } from '@jest/globals';
import { areaTopic, deviceTopic } from '@loa/shared';
import { DeviceCredentialsService } from '../src/device-auth/device-credentials.service.js';
import { BrokerHttpClient } from './support/broker-auth-client.js';
import { startTestServer, type TestServer } from './support/server.js';

const TOKEN = 'broker-token-0123456789abcdef';
const DEVICES = 500;
/** Requests in flight at once, as two EMQX nodes with their default pool of 8 pipelined connections each produce. */
const CONCURRENCY = 64;

async function inParallel<T>(items: readonly T[], limit: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await run(items[next++]!);
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

/**
 * A connect storm as a broker cluster sends it: every device logs in and is authorised at once, many requests in
 * flight. Each answer must be right, and the credentials cache must answer them all (no database lookup per call).
 */
describe('broker HTTP auth endpoint under a connect storm', () => {
  let t: TestServer;
  let broker: BrokerHttpClient;
  let devices: Array<{ id: string; secret: string }>;

  beforeAll(async () => {
    t = await startTestServer({ LOA_BROKER_AUTH_TOKEN: TOKEN });
    await t.api('POST', '/api/v1/areas', { code: '01', name: 'Tỉnh', level: 'province' });
    const bulk = Array.from({ length: DEVICES }, (_, i) => ({ id: `storm-${i}`, name: `Loa ${i}`, kind: 'speaker', areaCode: '01' }));
    const r = await t.api<{ devices: Array<{ id: string; secret: string }> }>('POST', '/api/v1/devices/bulk', { devices: bulk });
    if (r.status !== 201) throw new Error(`bulk register: ${r.status}`);
    devices = r.body.devices;
    broker = new BrokerHttpClient(t.baseUrl);
    // Registration reads the new devices into the cache in the background; the storm starts once they are there.
    const credentials = t.server.app.get(DeviceCredentialsService);
    await Promise.all(devices.map((d) => credentials.areaCodes(d.id)));
  });

  afterAll(async () => {
    broker?.close();
    await t?.close();
  });

  it('answers every login and authorisation right, from the credentials cache alone', async () => {
    const credentials = t.server.app.get(DeviceCredentialsService);
    const lookups = jest.spyOn(credentials as unknown as { fetch: (ids: readonly string[]) => Promise<unknown> }, 'fetch');
    const wrong: string[] = [];
    await inParallel(devices, CONCURRENCY, async (d) => {
      const login = await broker.json('/api/broker/emqx/authn', { clientid: d.id, username: d.id, password: d.secret, peerhost: '10.0.0.1' }, TOKEN);
      if ((login.body as { result?: string }).result !== 'allow') wrong.push(`${d.id} login ${JSON.stringify(login.body)}`);
      for (const [topic, action] of [
        [deviceTopic(d.id, 'status'), 'publish'],
        [areaTopic('01', 'alert'), 'subscribe'],
      ] as const) {
        const r = await broker.json('/api/broker/emqx/authz', { clientid: d.id, username: d.id, topic, action, qos: '1', retain: 'true' }, TOKEN);
        if ((r.body as { result?: string }).result !== 'allow') wrong.push(`${d.id} ${action} ${topic} ${JSON.stringify(r.body)}`);
      }
    });
    expect(wrong).toEqual([]);
    expect(lookups).not.toHaveBeenCalled();
  });
});
