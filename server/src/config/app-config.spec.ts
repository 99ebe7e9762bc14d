import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AppConfig, ConfigError } from './app-config.js';

describe(AppConfig.name, () => {
  it('applies defaults: embedded broker ports, SQLite in the data dir', () => {
    const c = AppConfig.load({ LOA_DATA_DIR: '/srv/loa' });
    expect(c.httpPort).toBe(3000);
    expect(c.mqttPort).toBe(1883);
    expect(c.database).toEqual({ type: 'sqlite', file: '/srv/loa/loa.sqlite' });
    expect(c.maxUploadBytes).toBe(200 * 1024 * 1024);
  });

  it('reads LOA_TRUST_PROXY as a hop count or a list of trusted proxies, and refuses garbage', () => {
    expect(AppConfig.load({}).trustProxy).toBeNull();
    expect(AppConfig.load({ LOA_TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(AppConfig.load({ LOA_TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy).toEqual(['loopback', '10.0.0.0/8']);
    expect(() => AppConfig.load({ LOA_TRUST_PROXY: 'a;b' })).toThrow(/LOA_TRUST_PROXY/);
  });

  it('switches to PostgreSQL for a postgres:// URL', () => {
    expect(AppConfig.load({ LOA_DATABASE_URL: 'postgres://u@h:5432/loa' }).database).toEqual({ type: 'postgres', url: 'postgres://u@h:5432/loa' });
  });

  it.each([
    [{ LOA_HTTP_PORT: 'eighty' }, /LOA_HTTP_PORT="eighty"/],
    [{ LOA_MQTT_PORT: '70000' }, /LOA_MQTT_PORT="70000"/],
    [{ LOA_DATABASE_URL: 'mysql://x' }, /LOA_DATABASE_URL.*sqlite: or postgres/],
    [{ LOA_ADMIN_PASSWORD: 'short' }, /LOA_ADMIN_PASSWORD.*at least 8/],
  ])('names the bad setting %j', (env, message) => {
    expect(() => AppConfig.load(env)).toThrow(ConfigError);
    expect(() => AppConfig.load(env)).toThrow(message);
  });

  it('reads a JSON config file, with the environment taking precedence', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'loa-cfg-'));
    const file = path.join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ LOA_HTTP_PORT: 8080, LOA_MQTT_PORT: 1884 }));
    const c = AppConfig.load({ LOA_CONFIG_FILE: file, LOA_MQTT_PORT: '1999' });
    expect(c.httpPort).toBe(8080);
    expect(c.mqttPort).toBe(1999);
  });

  it('refuses unknown keys in the config file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'loa-cfg-'));
    const file = path.join(dir, 'c.json');
    writeFileSync(file, JSON.stringify({ LOA_HTTP_PROT: 8080 }));
    expect(() => AppConfig.load({ LOA_CONFIG_FILE: file })).toThrow(/unknown setting\(s\) LOA_HTTP_PROT/);
  });

  describe('external broker, accounts, instances (issue 15)', () => {
    const external = { LOA_MQTT_URL: 'mqtts://broker.internal:8883', LOA_BROKER_ACCOUNTS: 'none' };

    it('keeps the embedded broker and one process by default', () => {
      const c = AppConfig.load({ LOA_DATA_DIR: '/srv/loa' });
      expect(c.externalBroker).toBeNull();
      expect(c.brokerAuthToken).toBeNull();
      expect(c.emqxApi).toBeNull();
      expect(c.clustered).toBe(false);
      expect(c.mediaDir).toBe('/srv/loa/media');
      expect(c.instanceId).toMatch(/^[A-Za-z0-9._-]+-\d+$/);
    });

    it('reads an external broker with its credentials, TLS files and share group (default loa)', () => {
      const c = AppConfig.load({
        ...external,
        LOA_MQTT_USERNAME: 'loa-server',
        LOA_MQTT_PASSWORD: 'pw',
        LOA_MQTT_CA_FILE: '/etc/loa/ca.pem',
        LOA_MQTT_CLIENT_CERT_FILE: '/etc/loa/client.pem',
        LOA_MQTT_CLIENT_KEY_FILE: '/etc/loa/client.key',
        LOA_INSTANCE_ID: 'loa-1',
      });
      expect(c.externalBroker).toEqual({
        url: 'mqtts://broker.internal:8883',
        username: 'loa-server',
        password: 'pw',
        caFile: '/etc/loa/ca.pem',
        clientCert: { certFile: '/etc/loa/client.pem', keyFile: '/etc/loa/client.key' },
        shareGroup: 'loa',
        accounts: 'none',
      });
      expect(c.instanceId).toBe('loa-1');
      expect(AppConfig.load({ ...external, LOA_MQTT_SHARE_GROUP: 'prov-01' }).externalBroker?.shareGroup).toBe('prov-01');
    });

    it('is clustered exactly on PostgreSQL, and reads a shared media directory', () => {
      const c = AppConfig.load({ LOA_DATABASE_URL: 'postgres://u@h/loa', LOA_MEDIA_DIR: '/mnt/shared/media' });
      expect(c.clustered).toBe(true);
      expect(c.mediaDir).toBe('/mnt/shared/media');
    });

    it('reads the HTTP auth token and the EMQX API', () => {
      const c = AppConfig.load({
        LOA_MQTT_URL: 'mqtt://emqx:1883',
        LOA_BROKER_ACCOUNTS: 'http',
        LOA_BROKER_AUTH_TOKEN: 'a-token-of-at-least-24-chars',
        LOA_EMQX_API_URL: 'http://emqx:18083/',
        LOA_EMQX_API_KEY: 'key',
        LOA_EMQX_API_SECRET: 'secret',
      });
      expect(c.externalBroker?.accounts).toBe('http');
      expect(c.brokerAuthToken).toBe('a-token-of-at-least-24-chars');
      expect(c.emqxApi).toEqual({ url: 'http://emqx:18083', key: 'key', secret: 'secret' });
    });

    it.each([
      [{ LOA_MQTT_URL: 'mqtt://broker:1883' }, /LOA_MQTT_URL needs LOA_BROKER_ACCOUNTS: dynsec .*http .*none/],
      [{ LOA_MQTT_URL: 'http://broker:1883', LOA_BROKER_ACCOUNTS: 'none' }, /LOA_MQTT_URL="http:\/\/broker:1883": must be an mqtt:\/\/, mqtts:\/\/, ws:\/\/ or wss:\/\/ URL/],
      [{ LOA_MQTT_URL: 'mqtt://broker:1883?x=1', LOA_BROKER_ACCOUNTS: 'none' }, /LOA_MQTT_URL.*must not carry a query/],
      [{ ...external, LOA_BROKER_ACCOUNTS: 'ldap' }, /LOA_BROKER_ACCOUNTS="ldap"/],
      [{ ...external, LOA_MQTT_USERNAME: 'loa' }, /LOA_MQTT_USERNAME and LOA_MQTT_PASSWORD must be set together/],
      [{ ...external, LOA_BROKER_ACCOUNTS: 'dynsec' }, /LOA_BROKER_ACCOUNTS=dynsec needs LOA_MQTT_USERNAME and LOA_MQTT_PASSWORD/],
      [{ ...external, LOA_MQTT_CLIENT_CERT_FILE: '/c.pem' }, /LOA_MQTT_CLIENT_CERT_FILE and LOA_MQTT_CLIENT_KEY_FILE must be set together/],
      [{ ...external, LOA_BROKER_ACCOUNTS: 'http' }, /LOA_BROKER_ACCOUNTS=http needs LOA_BROKER_AUTH_TOKEN/],
      [{ ...external, LOA_BROKER_AUTH_TOKEN: 'short' }, /LOA_BROKER_AUTH_TOKEN.*at least 24/],
      [{ ...external, LOA_MQTT_SHARE_GROUP: 'a/b' }, /LOA_MQTT_SHARE_GROUP="a\/b"/],
      [{ LOA_INSTANCE_ID: 'two words' }, /LOA_INSTANCE_ID="two words"/],
      [{ LOA_EMQX_API_URL: 'http://emqx:18083' }, /LOA_EMQX_API_URL, LOA_EMQX_API_KEY and LOA_EMQX_API_SECRET must be set together/],
      [{ LOA_MQTT_USERNAME: 'loa', LOA_MQTT_PASSWORD: 'pw' }, /LOA_MQTT_USERNAME, LOA_MQTT_PASSWORD only apply with an external broker: set LOA_MQTT_URL/],
      [{ LOA_BROKER_ACCOUNTS: 'dynsec' }, /LOA_BROKER_ACCOUNTS only apply with an external broker/],
    ])('refuses %j with what to fix', (env, message) => {
      expect(() => AppConfig.load(env)).toThrow(ConfigError);
      expect(() => AppConfig.load(env)).toThrow(message);
    });
  });
});
