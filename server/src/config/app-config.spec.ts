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
});
