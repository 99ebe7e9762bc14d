import mqtt, { type MqttClient } from 'mqtt';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { deviceTopic } from '@loa/shared';
import type { ErrorView, LiveView, ReadyView } from '@loa/shared/rest';
import { startTestServerOn, type TestServer } from './support/server.js';
import { AppConfig, ConfigError } from '../src/config/app-config.js';
import { DATABASES, PG_ADMIN_URL } from './support/databases.js';
import { until } from './support/until.js';
import { promtool, sample } from './support/prometheus.js';

function connect(url: string, id: string, secret: string): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { clientId: id, username: id, password: secret, reconnectPeriod: 0, connectTimeout: 5000, clean: true });
    c.once('connect', () => resolve(c));
    c.once('error', (err) => {
      c.end(true);
      reject(err);
    });
  });
}

const scrape = async (t: TestServer, headers: Record<string, string> = {}) => {
  const res = await fetch(`${t.baseUrl}/metrics`, { headers });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
};

describe.each(DATABASES.map(([name]) => name))('/metrics and health probes on %s', (db) => {
  let t: TestServer;
  let close: () => Promise<void>;
  const secrets: Record<string, string> = {};
  const clients: MqttClient[] = [];

  beforeAll(async () => {
    ({ t, close } = await startTestServerOn(db));
    await t.api('POST', '/api/v1/areas', { code: '01', name: 'Tỉnh Một', level: 'province' });
    await t.api('POST', '/api/v1/areas', { code: '001', name: 'Huyện A', level: 'district', parentCode: '01' });
    await t.api('POST', '/api/v1/areas', { code: '002', name: 'Huyện B', level: 'district', parentCode: '01' });
    await t.api('POST', '/api/v1/areas', { code: '00001', name: 'Xã A1', level: 'commune', parentCode: '001' });
    await t.api('POST', '/api/v1/areas', { code: '00002', name: 'Xã B1', level: 'commune', parentCode: '002' });
    for (const [id, kind, areaCode] of [
      ['spk-1', 'speaker', '00001'],
      ['spk-2', 'speaker', '00001'],
      ['spk-3', 'speaker', '00001'],
      ['brd-1', 'board', '00002'],
    ] as const) {
      const r = await t.api<{ secret: string }>('POST', '/api/v1/devices', { id, name: id, kind, areaCode });
      expect(r.status).toBe(201);
      secrets[id] = r.body.secret;
    }
  });

  afterAll(async () => {
    for (const c of clients) c.end(true);
    await close();
  });

  it('counts real device traffic: presence by kind and area, MQTT by channel, committed reports and their ack latency', async () => {
    const spk = await connect(t.mqttUrl, 'spk-1', secrets['spk-1']!);
    const brd = await connect(t.mqttUrl, 'brd-1', secrets['brd-1']!);
    clients.push(spk, brd);
    await spk.publishAsync(deviceTopic('spk-1', 'status'), JSON.stringify({ v: 1, state: 'online', reason: 'connect', kind: 'speaker' }), { qos: 1, retain: true });
    await brd.publishAsync(deviceTopic('brd-1', 'status'), JSON.stringify({ v: 1, state: 'online', reason: 'connect', kind: 'board' }), { qos: 1, retain: true });
    const acked = new Promise<void>((resolve) => spk.on('message', (topic) => topic === deviceTopic('spk-1', 'events/ack') && resolve()));
    await spk.subscribeAsync(deviceTopic('spk-1', 'events/ack'), { qos: 1 });
    const at = Date.now();
    await spk.publishAsync(
      deviceTopic('spk-1', 'events'),
      JSON.stringify({ v: 1, events: [{ id: 'ev-1', occurrenceId: 'occ-1', type: 'started', at }, { id: 'ev-2', occurrenceId: 'occ-1', type: 'finished', at: at + 1000, playedMs: 1000 }] }),
      { qos: 1 },
    );
    await acked;
    // A refused login: wrong secret.
    await expect(connect(t.mqttUrl, 'spk-2', 'not-the-secret')).rejects.toThrow(/Bad username or password/i);

    const { text, status, type } = await until(
      'the scrape to show both devices online',
      () => scrape(t),
      (r) => sample(r.text, 'loa_devices_online', { kind: 'speaker' }) === 1 && sample(r.text, 'loa_devices_online', { kind: 'board' }) === 1,
    );
    expect(status).toBe(200);
    expect(type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(sample(text, 'loa_devices', { kind: 'speaker' })).toBe(3);
    expect(sample(text, 'loa_devices', { kind: 'board' })).toBe(1);
    // District level by default: spk-2 and spk-3 are offline under Huyện A, nothing under Huyện B.
    expect(sample(text, 'loa_area_devices_offline', { area: '001', area_name: 'Huyện A', level: 'district' })).toBe(2);
    expect(sample(text, 'loa_area_devices_offline', { area: '002', area_name: 'Huyện B', level: 'district' })).toBe(0);
    expect(sample(text, 'loa_area_devices', { area: '001', area_name: 'Huyện A', level: 'district' })).toBe(3);
    expect(sample(text, 'loa_broker_connections')).toBe(2);
    expect(sample(text, 'loa_broker_up', { broker: 'embedded' })).toBe(1);
    expect(sample(text, 'loa_broker_connection_refusals_total')).toBe(1);
    expect(sample(text, 'loa_mqtt_messages_received_total', { channel: 'status' })).toBe(2);
    expect(sample(text, 'loa_mqtt_messages_received_total', { channel: 'events' })).toBe(1);
    expect(sample(text, 'loa_mqtt_messages_sent_total', { channel: 'events/ack' })).toBe(1);
    expect(sample(text, 'loa_playback_events_committed_total')).toBe(2);
    expect(sample(text, 'loa_playback_event_ack_latency_seconds_count')).toBe(1);
    expect(sample(text, 'loa_playback_event_ack_latency_seconds_sum')).toBeGreaterThan(0);
    expect(sample(text, 'loa_queue_depth', { queue: 'playback_events' })).toBe(0);
    expect(sample(text, 'loa_queue_depth', { queue: 'presence' })).toBe(0);
    // Device ids never become labels.
    expect(text).not.toMatch(/spk-1|brd-1/);
    // HTTP by route template: the device registrations above, never their URLs.
    expect(sample(text, 'loa_http_request_duration_seconds_count', { method: 'POST', route: '/api/v1/devices', status_class: '2xx' })).toBe(4);
    expect(sample(text, 'loa_db_pool_connections', { kind: db, state: 'total' })).toBeGreaterThanOrEqual(1);
    expect(sample(text, 'loa_db_pool_waiting_clients', { kind: db })).toBeGreaterThanOrEqual(0);
    if (db === 'postgres') expect(sample(text, 'loa_db_pool_connections', { kind: db, state: 'idle' })).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'loa_data_dir_free_bytes')).toBeGreaterThan(0);
    expect(sample(text, 'loa_leader')).toBe(1);
    expect(sample(text, 'loa_build_info', { version: '0.1.0', protocol: '1' })).toBe(1);
    expect(sample(text, 'loa_metrics_database_up')).toBe(1);
    expect(sample(text, 'loa_media_jobs', { state: 'queued' })).toBe(0);
    expect(sample(text, 'loa_notification_outbox_pending')).toBe(0);
    expect(sample(text, 'loa_devices_timeline_behind', { online: 'true' })).toBeDefined();
    // prom-client's defaults, on this application's own registry.
    expect(sample(text, 'nodejs_eventloop_lag_p99_seconds')).toBeDefined();
    expect(sample(text, 'process_resident_memory_bytes')).toBeGreaterThan(0);

    const lint = await promtool(['check', 'metrics'], text);
    expect(lint).toEqual({ code: 0, out: '' });
  });

  it('counts a device going offline under its district', async () => {
    const brd = clients.find((c) => c.options.clientId === 'brd-1')!;
    await brd.publishAsync(deviceTopic('brd-1', 'status'), JSON.stringify({ v: 1, state: 'offline', reason: 'shutdown' }), { qos: 1, retain: true });
    const { text } = await until('Huyện B to count its board offline', () => scrape(t), (r) => sample(r.text, 'loa_area_devices_offline', { area: '002', area_name: 'Huyện B', level: 'district' }) === 1);
    expect(sample(text, 'loa_devices_online', { kind: 'board' })).toBe(0);
    expect(sample(text, 'loa_mqtt_messages_received_total', { channel: 'status' })).toBe(3);
  });

  it('answers liveness, and readiness with the leader flag', async () => {
    const live = await fetch(`${t.baseUrl}/api/health/live`);
    expect(live.status).toBe(200);
    expect((await live.json()) as LiveView).toMatchObject({ status: 'ok' });
    const ready = await fetch(`${t.baseUrl}/api/health/ready`);
    expect(ready.status).toBe(200);
    expect((await ready.json()) as ReadyView).toEqual({
      status: 'ready',
      leader: true,
      checks: [
        { name: 'database', ok: true, detail: db },
        { name: 'broker', ok: true, detail: 'embedded' },
        { name: 'migrations', ok: true },
      ],
    });
  });

  it('is not ready while a migration is missing from the database, and ready again once it is back', async () => {
    const ds = t.server.app.get(DataSource);
    const [last] = (await ds.query('SELECT id, timestamp, name FROM migrations ORDER BY timestamp DESC LIMIT 1')) as Array<{ id: number; timestamp: string | number; name: string }>;
    await ds.query(`DELETE FROM migrations WHERE name = ${db === 'postgres' ? '$1' : '?'}`, [last!.name]);
    try {
      const res = await fetch(`${t.baseUrl}/api/health/ready`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as ReadyView;
      expect(body.status).toBe('not-ready');
      expect(body.checks.filter((c) => !c.ok)).toEqual([{ name: 'migrations', ok: false, detail: '1 migration(s) not applied' }]);
    } finally {
      const p = db === 'postgres' ? ['$1', '$2', '$3'] : ['?', '?', '?'];
      await ds.query(`INSERT INTO migrations (id, timestamp, name) VALUES (${p.join(', ')})`, [last!.id, last!.timestamp, last!.name]);
    }
    expect((await fetch(`${t.baseUrl}/api/health/ready`)).status).toBe(200);
  });
});

describe('/metrics behind LOA_METRICS_TOKEN', () => {
  const TOKEN = 'metrics-token-0123456789abcdef';
  let t: TestServer;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ t, close } = await startTestServerOn('sqlite', { LOA_METRICS_TOKEN: TOKEN }));
  });
  afterAll(() => close());

  it('refuses a scrape without the token or with another one, with a coded 401', async () => {
    const none = await scrape(t);
    expect(none.status).toBe(401);
    expect((JSON.parse(none.text) as ErrorView).code).toBe('metrics.token-required');
    const wrong = await scrape(t, { authorization: 'Bearer metrics-token-0123456789abcdeX' });
    expect(wrong.status).toBe(401);
    expect((JSON.parse(wrong.text) as ErrorView).code).toBe('metrics.token-invalid');
    // An operator's login is not the metrics token.
    const operator = await scrape(t, { authorization: `Bearer ${t.token}` });
    expect(operator.status).toBe(401);
  });

  it('serves the scrape that carries the token', async () => {
    const ok = await scrape(t, { authorization: `Bearer ${TOKEN}` });
    expect(ok.status).toBe(200);
    expect(sample(ok.text, 'loa_leader')).toBe(1);
  });

  it('times a real text-to-speech synthesis', async () => {
    const tts = await t.api('POST', '/api/v1/tts', { text: 'Thông báo thử nghiệm', voice: 'female', accent: 'north', speed: 1 });
    expect(tts.status).toBe(201);
    const ok = await scrape(t, { authorization: `Bearer ${TOKEN}` });
    expect(sample(ok.text, 'loa_tts_synthesis_seconds_count', { engine: 'espeak' })).toBe(1);
    expect(sample(ok.text, 'loa_tts_synthesis_seconds_sum', { engine: 'espeak' })).toBeGreaterThan(0);
    expect(sample(ok.text, 'loa_http_request_duration_seconds_count', { method: 'POST', route: '/api/v1/tts', status_class: '2xx' })).toBe(1);
  });
});

describe('readiness while PostgreSQL refuses connections', () => {
  it('answers 503 naming the database while liveness and /metrics still answer, and is ready again once it is back', async () => {
    const { t, close } = await startTestServerOn('postgres');
    const dbName = new URL((t.server.app.get(DataSource).options as { url: string }).url).pathname.slice(1);
    const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
    await admin.connect();
    const ready = async () => {
      const res = await fetch(`${t.baseUrl}/api/health/ready`);
      return { status: res.status, body: (await res.json()) as ReadyView };
    };
    try {
      // A real outage of this database: no new session is accepted and the server's open ones are cut.
      await admin.query(`ALTER DATABASE "${dbName}" ALLOW_CONNECTIONS false`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [dbName]);
      const down = await until('readiness to fail on the database', ready, (r) => r.status === 503);
      expect(down.body.status).toBe('not-ready');
      expect(down.body.checks.find((c) => c.name === 'database')).toMatchObject({ ok: false, detail: expect.stringMatching(/not currently accepting connections|terminat/) });
      expect(down.body.checks.find((c) => c.name === 'broker')).toEqual({ name: 'broker', ok: true, detail: 'embedded' });
      const live = await fetch(`${t.baseUrl}/api/health/live`);
      expect(live.status).toBe(200);
      const scraped = await until('a scrape after the cached one expired', () => scrape(t), (r) => sample(r.text, 'loa_metrics_database_up') === 0);
      expect(scraped.status).toBe(200);
      expect(sample(scraped.text, 'loa_devices_online', { kind: 'speaker' })).toBeUndefined();
    } finally {
      await admin.query(`ALTER DATABASE "${dbName}" ALLOW_CONNECTIONS true`);
      await admin.end();
    }
    const back = await until('readiness to come back', ready, (r) => r.status === 200);
    expect(back.body.status).toBe('ready');
    await close();
  });
});

describe('metrics settings', () => {
  it('default to an open endpoint counting offline devices per district', () => {
    expect(AppConfig.load({ LOA_DATA_DIR: '/tmp/loa-metrics-config' }).metrics).toEqual({ token: null, offlineAreaLevel: 'district' });
    expect(AppConfig.load({ LOA_DATA_DIR: '/tmp/loa-metrics-config', LOA_METRICS_OFFLINE_AREA_LEVEL: 'commune' }).metrics.offlineAreaLevel).toBe('commune');
  });

  it('refuse a short token and an unknown area level at start-up, saying what to fix', () => {
    expect(() => AppConfig.load({ LOA_DATA_DIR: '/tmp/loa-metrics-config', LOA_METRICS_TOKEN: 'short' })).toThrow(ConfigError);
    expect(() => AppConfig.load({ LOA_DATA_DIR: '/tmp/loa-metrics-config', LOA_METRICS_TOKEN: 'short' })).toThrow(/LOA_METRICS_TOKEN.*at least 16 characters/);
    expect(() => AppConfig.load({ LOA_DATA_DIR: '/tmp/loa-metrics-config', LOA_METRICS_OFFLINE_AREA_LEVEL: 'city' })).toThrow(/LOA_METRICS_OFFLINE_AREA_LEVEL/);
  });
});
