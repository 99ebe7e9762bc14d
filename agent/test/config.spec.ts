import { generateSigningKey } from '@loa/shared';
import { ConfigError, loadConfig } from '../src/config.js';
import { main } from '../src/main.js';

const base = {
  LOA_AGENT_SERVER_URL: 'http://127.0.0.1:3000',
  LOA_AGENT_MQTT_URL: 'mqtt://127.0.0.1:1883',
  LOA_AGENT_DEVICE_ID: 'spk-01',
  LOA_AGENT_SECRET: 's3cret',
  LOA_AGENT_KIND: 'speaker',
  LOA_AGENT_SERVER_PUBLIC_KEY: generateSigningKey().publicKeyB64,
};

async function load(argv: string[], env: Record<string, string>, file?: Record<string, unknown>) {
  const r = await loadConfig({ argv, env, readFile: async () => JSON.stringify(file ?? {}) });
  if (r.help) throw new Error('unexpected help');
  return r.config;
}

async function failure(argv: string[], env: Record<string, string>, file?: Record<string, unknown>): Promise<ConfigError> {
  try {
    await load(argv, env, file);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies defaults', async () => {
    const c = await load([], base);
    expect(c).toMatchObject({ dataDir: './loa-agent-data', audioOutput: 'alsa:default', boardPort: 8080, boardHost: '127.0.0.1', prefetchLeadS: 86400 });
  });

  it('lets env override the file and flags override env', async () => {
    const file = { deviceId: 'from-file', dataDir: '/file', boardPort: 1111, audioOutput: 'null', kind: 'board' };
    const env = { ...base, LOA_AGENT_DEVICE_ID: 'from-env', LOA_AGENT_BOARD_PORT: '2222' };
    delete (env as Partial<typeof env>).LOA_AGENT_KIND;
    const c = await load(['--config', 'x.json', '--board-port', '3333', '--audio-output', 'file:/tmp/{occurrenceId}.wav'], env, file);
    expect(c.deviceId).toBe('from-env'); // env > file
    expect(c.dataDir).toBe('/file'); // file only
    expect(c.kind).toBe('board'); // file only
    expect(c.boardPort).toBe(3333); // flag > env > file
    expect(c.audioOutput).toBe('file:/tmp/{occurrenceId}.wav'); // flag > file
  });

  it('strips a trailing slash from the server URL', async () => {
    expect((await load(['--server-url', 'http://h:3000/'], base)).serverUrl).toBe('http://h:3000');
  });

  it('names a bad kind', async () => {
    const e = await failure(['--kind', 'radio'], base);
    expect(e.setting).toBe('kind');
    expect(e.message).toMatch(/kind.*--kind/);
  });

  it('names a bad URL', async () => {
    const e = await failure([], { ...base, LOA_AGENT_MQTT_URL: 'not a url' });
    expect(e.setting).toBe('mqttUrl');
    expect(e.message).toMatch(/LOA_AGENT_MQTT_URL/);
    expect((await failure(['--server-url', 'ftp://x'], base)).setting).toBe('serverUrl');
  });

  it('names a missing device id', async () => {
    const env: Record<string, string> = { ...base };
    delete env.LOA_AGENT_DEVICE_ID;
    const e = await failure([], env);
    expect(e.setting).toBe('deviceId');
    expect(e.message).toMatch(/deviceId.*is required/);
  });

  it('names every bad setting at once', async () => {
    const e = await failure(['--kind', 'radio', '--device-id', 'BAD ID'], { LOA_AGENT_SECRET: 'x' });
    for (const s of ['serverUrl', 'mqttUrl', 'deviceId', 'kind']) expect(e.message).toContain(`invalid setting ${s}`);
    expect(e.message).not.toContain('invalid setting secret');
  });

  it('refuses a bad audio output and unknown file keys', async () => {
    expect((await failure(['--audio-output', 'file:/tmp/x.ogg'], base)).setting).toBe('audioOutput');
    expect((await failure(['--config', 'c.json'], base, { colour: 'red' })).setting).toBe('colour');
  });
});

describe('main', () => {
  const io = () => {
    const out = { stdout: '', stderr: '' };
    return {
      out,
      io: { stdout: (s: string) => void (out.stdout += s), stderr: (s: string) => void (out.stderr += s), shutdownSignal: new Promise<string>(() => undefined) },
    };
  };

  it('exits 2 naming the setting on bad configuration', async () => {
    const { out, io: i } = io();
    expect(await main(['--kind', 'radio'], base, i)).toBe(2);
    expect(out.stderr).toMatch(/invalid setting kind/);
  });

  it('prints help', async () => {
    const { out, io: i } = io();
    expect(await main(['--help'], {}, i)).toBe(0);
    expect(out.stdout).toMatch(/--mqtt-url/);
    expect(out.stdout).toMatch(/LOA_AGENT_AUDIO_OUTPUT/);
  });
});
