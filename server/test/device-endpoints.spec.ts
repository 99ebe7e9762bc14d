import mqtt from 'mqtt';
import { request } from 'node:http';
import { DEVICE_ENDPOINTS_PATH, deviceEndpointsSchema, type DeviceEndpoints } from '@loa/shared';
import { AppConfig, ConfigError } from '../src/config/app-config.js';
import { deviceEndpoints, hostOfHeader, type EndpointSources } from '../src/device-endpoints/device-endpoints.js';
import { startTestServer, type TestServer } from './support/server.js';

/** GET with a chosen Host header (fetch does not let a test set it). */
function getWithHost(t: TestServer, host: string): Promise<{ status: number; body: unknown }> {
  const url = new URL(t.baseUrl + DEVICE_ENDPOINTS_PATH);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path: url.pathname, headers: { host, authorization: `Bearer ${t.token}` } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Connects as the device and disconnects: true when the broker at `url` accepts it. */
function logsIn(url: string, deviceId: string, secret: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = mqtt.connect(url, { clientId: deviceId, username: deviceId, password: secret, reconnectPeriod: 0, connectTimeout: 10_000 });
    c.once('connect', () => c.end(true, () => resolve(true)));
    c.once('error', () => c.end(true, () => resolve(false)));
  });
}

describe('device endpoints: the addresses installers give agents', () => {
  describe('on a server listening on one address and ephemeral ports', () => {
    let t: TestServer;
    beforeAll(async () => {
      t = await startTestServer();
    });
    afterAll(() => t.close());

    it('names the ports the server really listens on, and a device logs in at that MQTT URL', async () => {
      const res = await t.api<DeviceEndpoints>('GET', DEVICE_ENDPOINTS_PATH);
      expect(res.status).toBe(200);
      expect(deviceEndpointsSchema.parse(res.body)).toEqual({
        httpUrl: t.baseUrl,
        mqttUrl: `mqtt://127.0.0.1:${t.server.mqttPort}`,
        httpUrlSource: 'listener',
        mqttUrlSource: 'listener',
      });
      expect(t.server.mqttPort).not.toBe(1883);

      expect((await t.api('POST', '/api/v1/areas', { code: '01', name: 'Thành phố Hà Nội', level: 'province' })).status).toBe(201);
      expect((await t.api('POST', '/api/v1/areas', { code: '09955', name: 'Xã Tây Đằng', level: 'commune', parentCode: '01' })).status).toBe(201);
      const reg = await t.api<{ secret: string }>('POST', '/api/v1/devices', { id: 'spk-endpoint-01', name: 'Loa', kind: 'speaker', areaCode: '09955' });
      expect(reg.status).toBe(201);
      expect(await logsIn(res.body.mqttUrl, 'spk-endpoint-01', reg.body.secret)).toBe(true);
      expect((await fetch(`${res.body.httpUrl}/api/time`)).status).toBe(200);
    });

    it('is for signed-in users only', async () => {
      expect((await fetch(t.baseUrl + DEVICE_ENDPOINTS_PATH)).status).toBe(401);
    });
  });

  describe('on a server listening on every address', () => {
    let t: TestServer;
    beforeAll(async () => {
      t = await startTestServer({ LOA_HTTP_HOST: '0.0.0.0', LOA_MQTT_HOST: '0.0.0.0' });
    });
    afterAll(() => t.close());

    it('uses the host name the operator reached the server by, with the real ports', async () => {
      const res = await getWithHost(t, `loa.example.gov.vn:${t.server.httpPort}`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ httpUrl: `http://loa.example.gov.vn:${t.server.httpPort}`, mqttUrl: `mqtt://loa.example.gov.vn:${t.server.mqttPort}` });
    });

    it('never echoes a Host header that is not a host name', async () => {
      const res = await getWithHost(t, 'evil.example@x');
      expect(res.status).toBe(200);
      const body = res.body as DeviceEndpoints;
      expect(body.mqttUrl).not.toContain('evil');
      expect(body.httpUrl).not.toContain('evil');
    });
  });

  describe('behind NAT or a proxy', () => {
    let t: TestServer;
    beforeAll(async () => {
      t = await startTestServer({ LOA_PUBLIC_HTTP_URL: 'https://loa.example.gov.vn/', LOA_PUBLIC_MQTT_URL: 'mqtts://mqtt.loa.example.gov.vn:8883' });
    });
    afterAll(() => t.close());

    it('answers the configured public addresses', async () => {
      const res = await t.api<DeviceEndpoints>('GET', DEVICE_ENDPOINTS_PATH);
      expect(res.body).toEqual({ httpUrl: 'https://loa.example.gov.vn', mqttUrl: 'mqtts://mqtt.loa.example.gov.vn:8883', httpUrlSource: 'setting', mqttUrlSource: 'setting' });
    });
  });

  it.each([
    [{ LOA_PUBLIC_MQTT_URL: 'http://loa.example.gov.vn:1883' }, /LOA_PUBLIC_MQTT_URL="http:\/\/loa.example.gov.vn:1883": must be an mqtt:\/\//],
    [{ LOA_PUBLIC_MQTT_URL: 'loa.example.gov.vn:1883' }, /LOA_PUBLIC_MQTT_URL/],
    [{ LOA_PUBLIC_HTTP_URL: 'ftp://loa.example.gov.vn' }, /LOA_PUBLIC_HTTP_URL.*must be an http:\/\/ or https:\/\//],
    [{ LOA_PUBLIC_HTTP_URL: 'https://loa.example.gov.vn/?x=1' }, /LOA_PUBLIC_HTTP_URL.*query or fragment/],
  ])('refuses a bad public address at start-up: %j', (env, message) => {
    expect(() => AppConfig.load(env)).toThrow(ConfigError);
    expect(() => AppConfig.load(env)).toThrow(message);
  });

  describe('derivation rules', () => {
    const base: EndpointSources = { publicHttpUrl: null, publicMqttUrl: null, httpHost: '10.0.0.5', httpPort: 3000, https: false, mqttHost: '10.0.0.6', mqttPort: 1884, mqttsPort: null };

    it('prefers MQTT over TLS and HTTPS when TLS is on', () => {
      expect(deviceEndpoints({ ...base, https: true, mqttsPort: 8884 }, null)).toMatchObject({ httpUrl: 'https://10.0.0.5:3000', mqttUrl: 'mqtts://10.0.0.6:8884' });
    });

    it('brackets IPv6 listeners', () => {
      expect(deviceEndpoints({ ...base, httpHost: '::1', mqttHost: 'fd00::6' }, null)).toMatchObject({ httpUrl: 'http://[::1]:3000', mqttUrl: 'mqtt://[fd00::6]:1884' });
    });

    it('reads the host name of a Host header', () => {
      expect(hostOfHeader('loa.example.gov.vn:3000')).toBe('loa.example.gov.vn');
      expect(hostOfHeader('[fd00::1]:3000')).toBe('[fd00::1]');
      expect(hostOfHeader('a b')).toBeNull();
      expect(hostOfHeader(undefined)).toBeNull();
    });
  });
});
