import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { EmqxApi, EmqxSessionTerminator } from '../src/broker-auth/emqx-api.js';
import type { MessageBroker, SessionTerminator } from '../src/broker/message-broker.js';
import { Metrics } from '../src/common/metrics.js';
import { AppConfig } from '../src/config/app-config.js';
import { startEmqxApiStandIn, type EmqxApiStandIn } from './support/broker-auth-emqx-api.js';
import { silentLogger } from './support/fixtures.js';

const KEY = 'api-key';
const SECRET = 'api-secret';

const configFor = (env: Record<string, string>): AppConfig => AppConfig.load({ LOA_LOG_LEVEL: 'silent', ...env });
const emqxEnv = (url: string, key = KEY, secret = SECRET) => ({ LOA_EMQX_API_URL: url, LOA_EMQX_API_KEY: key, LOA_EMQX_API_SECRET: secret });
const httpBroker = { LOA_MQTT_URL: 'mqtt://127.0.0.1:1883', LOA_BROKER_ACCOUNTS: 'http', LOA_BROKER_AUTH_TOKEN: 'broker-token-0123456789abcdef' };

/** Ending a device's session through EMQX's REST API, against a real HTTP server standing in for EMQX. */
describe('EMQX API: ending device sessions', () => {
  let standIn: EmqxApiStandIn;

  beforeAll(async () => {
    standIn = await startEmqxApiStandIn(KEY, SECRET);
  });
  afterAll(() => standIn.close());

  it('kicks a connected client with DELETE /api/v5/clients/{clientid} and HTTP Basic key:secret', async () => {
    const metrics = new Metrics();
    const api = new EmqxApi(configFor(emqxEnv(standIn.url)), metrics, silentLogger);
    standIn.connected.add('spk-1');
    await api.kick('spk-1');
    expect(standIn.calls.at(-1)).toEqual({ method: 'DELETE', path: '/api/v5/clients/spk-1', authorization: `Basic ${Buffer.from(`${KEY}:${SECRET}`).toString('base64')}` });
    expect(standIn.connected.has('spk-1')).toBe(false);
    expect(metrics.get('emqx_kicked')).toBe(1);
  });

  it('takes "client id not found" as done: the device was not connected', async () => {
    const api = new EmqxApi(configFor(emqxEnv(standIn.url)), new Metrics(), silentLogger);
    await expect(api.kick('spk-offline')).resolves.toBeUndefined();
  });

  it('fails with what to check on wrong credentials, a wrong URL, or an unreachable API', async () => {
    const metrics = new Metrics();
    await expect(new EmqxApi(configFor(emqxEnv(standIn.url, KEY, 'wrong')), metrics, silentLogger).kick('spk-1')).rejects.toThrow(/HTTP 401 \(check LOA_EMQX_API_KEY/);
    await expect(new EmqxApi(configFor(emqxEnv(`${standIn.url}/prefix`)), metrics, silentLogger).kick('spk-1')).rejects.toThrow(/HTTP 404 \(check LOA_EMQX_API_URL/);
    const closed: Server = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    await expect(new EmqxApi(configFor(emqxEnv(`http://127.0.0.1:${port}`)), metrics, silentLogger).kick('spk-1')).rejects.toThrow(/unreachable/);
    expect(metrics.get('emqx_kick_failed')).toBe(3);
  });

  it('is registered as the external broker\'s session terminator only with LOA_BROKER_ACCOUNTS=http and the API configured', () => {
    const registered: SessionTerminator[] = [];
    const broker = { setSessionTerminator: (t: SessionTerminator) => registered.push(t) } as unknown as MessageBroker;
    const wire = (env: Record<string, string>) => {
      const config = configFor(env);
      new EmqxSessionTerminator(config, broker, new EmqxApi(config, new Metrics(), silentLogger), silentLogger).onModuleInit();
      return registered.length;
    };
    expect(wire({})).toBe(0);
    expect(wire(httpBroker)).toBe(0);
    expect(wire({ ...httpBroker, LOA_BROKER_ACCOUNTS: 'none', ...emqxEnv(standIn.url) })).toBe(0);
    expect(wire({ ...httpBroker, ...emqxEnv(standIn.url) })).toBe(1);
  });
});
