import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { deviceTopic, encodeMessage, type StatusMessage } from '@loa/shared';
import { PRACTICE_SECRET_HEADER, VIRTUAL_PLAYBACKS_KEPT, virtualDeviceListSchema, type VirtualDeviceView } from '@loa/shared/rest';
import { AppConfig } from '../src/config/app-config.js';
import { MessageBroker } from '../src/broker/message-broker.js';
import { startServer } from '../src/bootstrap.js';
import { copySqliteTemplate } from './support/databases.js';
import { silentLogger } from './support/fixtures.js';
import { signAssertion } from '../src/auth/practice-assertion.js';
import { fanoutDone } from './support/fanouts.js';
import { startTestServer, startTestServerOn, type TestServer } from './support/server.js';
import { until } from './support/until.js';

/**
 * Issue 21: the virtual speakers and boards a practice instance runs itself (server/src/virtual-devices), on a real
 * server in practice mode with its embedded broker. A practice instance keeps its own SQLite database (the config
 * refuses PostgreSQL there, pinned below), so the practice-mode cases run on SQLite; the "off" case runs on both.
 * Commune 00004: speakers spk-1..3 and board brd-1; commune 00005: officer-b, who may not see them.
 */
const SECRET = 'practice-secret-for-the-virtual-devices-spec';
const SECOND = 1000;

interface Delivery {
  scheduleId: string;
  state: string;
  deliveredAt: string | null;
  startedAt: string | null;
  endedAt: string | null;
  playedMs: number | null;
  reason: string | null;
}
interface Alarm {
  deviceId: string;
  kind: string;
  active: boolean;
  detail: string;
}
interface CommandResult {
  deviceId: string;
  state: string;
  message: string | null;
  data: Record<string, unknown> | null;
}

describe('virtual devices in practice mode (sqlite)', () => {
  let t: TestServer;

  /** As the practice proxy calls the instance: a signed identity assertion for a mirrored user. */
  const call = async <T>(user: string, method: string, url: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await fetch(t.baseUrl + url, {
      method,
      headers: { authorization: `Bearer ${signAssertion(SECRET, user, Date.now())}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text) as T };
  };
  const ok = async <T>(method: string, url: string, body?: unknown): Promise<T> => {
    const r = await call<T>('admin', method, url, body);
    if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
    const job = (r.body as { fanout?: { id: string } | null } | undefined)?.fanout;
    if (job) await fanoutDone(<U,>(m: string, u: string) => call<U>('admin', m, u), job.id);
    return r.body;
  };
  const virtual = async (user = 'admin'): Promise<Map<string, VirtualDeviceView>> => {
    const r = await call<unknown>(user, 'GET', '/api/v1/practice/devices');
    expect(r.status).toBe(200);
    return new Map(virtualDeviceListSchema.parse(r.body).map((d) => [d.deviceId, d]));
  };
  const deliveryOf = async (deviceId: string, scheduleId: string): Promise<Delivery | undefined> =>
    (await ok<Delivery[]>('GET', `/api/v1/devices/${deviceId}/deliveries`)).find((d) => d.scheduleId === scheduleId);
  const online = async (deviceId: string): Promise<boolean> => (await ok<{ online: boolean }>('GET', `/api/v1/devices/${deviceId}`)).online;
  /** An audio content of real speech (the server's TTS) and a board text, both approved. */
  const contents = async (words: string) => {
    const speech = await ok<{ media: { sha256: string } }>('POST', '/api/v1/tts', { text: words });
    const audio = await ok<{ id: string }>('POST', '/api/v1/contents', { type: 'audio', title: `Bản tin: ${words}`, mediaSha256: speech.media.sha256, approve: true });
    const text = await ok<{ id: string }>('POST', '/api/v1/contents', { type: 'text', title: `Bảng tin: ${words}`, text: words, displaySeconds: 3, approve: true });
    return { sha256: speech.media.sha256, audio: audio.id, text: text.id };
  };
  const scheduleSoon = async (contentId: string): Promise<string> =>
    (await ok<{ id: string }>('POST', '/api/v1/schedules', { contentId, startAt: new Date(Date.now() + 5 * SECOND).toISOString(), targets: { areas: ['00004'] }, acceptConflicts: true })).id;
  const command = async (deviceId: string, cmd: Record<string, unknown>): Promise<CommandResult> => {
    const created = await ok<{ id: string }>('POST', '/api/v1/commands', { command: cmd, target: { deviceId } });
    const detail = await until(
      `${String(cmd.type)} answered by ${deviceId}`,
      () => ok<{ results: { items: CommandResult[] } }>('GET', `/api/v1/commands/${created.id}`),
      (d) => ['ok', 'error', 'rejected'].includes(d.results.items[0]?.state ?? ''),
    );
    return detail.results.items[0]!;
  };

  beforeAll(async () => {
    t = await startTestServer({ LOA_PRACTICE_MODE: '1', LOA_PRACTICE_SECRET: SECRET });
    await ok('POST', '/api/v1/areas', { code: '01', name: 'Tỉnh Một', level: 'province' });
    await ok('POST', '/api/v1/areas', { code: '00004', name: 'Xã A', level: 'commune', parentCode: '01' });
    await ok('POST', '/api/v1/areas', { code: '00005', name: 'Xã B', level: 'commune', parentCode: '01' });
    for (const id of ['spk-1', 'spk-2', 'spk-3']) await ok('POST', '/api/v1/devices', { id, name: `Loa ${id}`, kind: 'speaker', areaCode: '00004' });
    await ok('POST', '/api/v1/devices', { id: 'brd-1', name: 'Bảng tin A', kind: 'board', areaCode: '00004' });
    await ok('POST', '/api/v1/users', { username: 'officer-b', password: 'password-123', role: 'commune_officer', areaCode: '00005' });
    // Registered devices get their virtual device (device.registered), which logs in to this instance's own broker.
    await until('every virtual device online', () => Promise.all(['spk-1', 'spk-2', 'spk-3', 'brd-1'].map(online)), (v) => v.every(Boolean));
  }, 60_000);

  afterAll(() => t?.close());

  it('runs one virtual device per registered device, connected with its kind, holding its timeline', async () => {
    const v = await virtual();
    expect([...v.keys()]).toEqual(['brd-1', 'spk-1', 'spk-2', 'spk-3']);
    expect(v.get('brd-1')).toMatchObject({ kind: 'board', areaCode: '00004', connected: true, fault: 'none' });
    expect(v.get('spk-1')).toMatchObject({ kind: 'speaker', connected: true, fault: 'none', playing: null });
    expect(t.server.app.get(MessageBroker).state().sessions).toBe(4);
    const d = await ok<{ agentVersion: string; kind: string }>('GET', '/api/v1/devices/spk-1');
    expect(d.agentVersion).toBe('practice-virtual');
    // Scoped like the devices: another commune's officer sees none of them and may not break them.
    expect((await virtual('officer-b')).size).toBe(0);
    expect((await call('officer-b', 'PUT', '/api/v1/practice/devices/spk-1/fault', { fault: 'offline' })).status).toBe(403);
    expect((await call('admin', 'PUT', '/api/v1/practice/devices/spk-1/fault', { fault: 'on-fire' })).status).toBe(400);
    expect((await call('admin', 'PUT', '/api/v1/practice/devices/nope/fault', { fault: 'none' })).status).toBe(404);
  });

  it('a schedule to the commune is played by every virtual device and its deliveries end finished from their reports', async () => {
    const c = await contents('Bản tin sáng thử nghiệm');
    const audio = await scheduleSoon(c.audio);
    const text = await scheduleSoon(c.text);
    for (const id of ['spk-1', 'spk-2', 'spk-3']) {
      const d = await until(`${id} finished the bulletin`, () => deliveryOf(id, audio), (x) => x?.state === 'finished', 30_000);
      expect(d!.deliveredAt).not.toBeNull();
      expect(d!.startedAt).not.toBeNull();
      expect(d!.playedMs).toBeGreaterThan(500);
    }
    const b = await until('brd-1 finished showing the text', () => deliveryOf('brd-1', text), (x) => x?.state === 'finished', 30_000);
    expect(b!.startedAt).not.toBeNull();

    // What would have been broadcast: the speaker keeps the file to listen to, the board the text it showed.
    const v = await until('reports acknowledged', virtual, (m) => [...m.values()].every((x) => x.pendingReports === 0));
    expect(v.get('spk-1')!.recent[0]).toMatchObject({ scheduleId: audio, type: 'audio', mediaSha256: c.sha256, outcome: 'finished', outputLevelLufs: -14.5 });
    expect(v.get('brd-1')!.recent[0]).toMatchObject({ scheduleId: text, type: 'text', text: 'Bản tin sáng thử nghiệm', outcome: 'finished' });
    expect(v.get('spk-1')!.recent.length).toBeLessThanOrEqual(VIRTUAL_PLAYBACKS_KEPT);
    const media = await fetch(`${t.baseUrl}/api/v1/media/${c.sha256}`, { headers: { authorization: `Bearer ${signAssertion(SECRET, 'admin', Date.now())}` } });
    expect(media.status).toBe(200);
    expect((await media.arrayBuffer()).byteLength).toBeGreaterThan(1000);
  }, 60_000);

  it('faults: offline is never delivered, no-media fails with the media error, silence finishes silent and raises the silence alarm', async () => {
    await ok('PUT', '/api/v1/practice/devices/spk-1/fault', { fault: 'no-media' });
    await ok('PUT', '/api/v1/practice/devices/spk-2/fault', { fault: 'offline' });
    await ok('PUT', '/api/v1/practice/devices/spk-3/fault', { fault: 'silence' });
    // Offline: the link is cut and the broker's last will marks it offline.
    await until('spk-2 offline', () => online('spk-2'), (o) => !o);
    const c = await contents('Thông báo mất điện');
    const audio = await scheduleSoon(c.audio);

    const failed = await until('spk-1 failed', () => deliveryOf('spk-1', audio), (x) => x?.state === 'failed', 30_000);
    expect(failed!.reason).toBe(`media ${c.sha256} missing`);
    expect(failed!.startedAt).toBeNull();
    const silent = await until('spk-3 finished', () => deliveryOf('spk-3', audio), (x) => x?.state === 'finished', 30_000);
    expect(silent!.playedMs).toBeGreaterThan(500);
    const alarms = await until(
      'silence alarm on spk-3',
      () => ok<Alarm[]>('GET', '/api/v1/alarms?deviceId=spk-3'),
      (a) => a.some((x) => x.kind === 'silence' && x.active),
    );
    expect(alarms.find((x) => x.kind === 'silence')!.detail).toMatch(/-120\.7 LUFS/);
    // The others have ended; the offline speaker never received it.
    expect(await deliveryOf('spk-2', audio)).toMatchObject({ state: 'queued', deliveredAt: null });
    const v = await virtual();
    expect(v.get('spk-2')).toMatchObject({ connected: false, fault: 'offline' });
    expect(v.get('spk-3')!.recent[0]).toMatchObject({ scheduleId: audio, outcome: 'finished', outputLevelLufs: -120.7 });
    expect(v.get('spk-1')!.recent[0]).toMatchObject({ scheduleId: audio, outcome: 'failed', reason: `media ${c.sha256} missing` });

    // Faults come off: the offline speaker reconnects.
    for (const id of ['spk-1', 'spk-2', 'spk-3']) await ok('PUT', `/api/v1/practice/devices/${id}/fault`, { fault: 'none' });
    await until('spk-2 back online', () => online('spk-2'), Boolean);
  }, 90_000);

  it('answers commands as an agent would', async () => {
    const vol = await command('spk-1', { type: 'setVolume', volume: 40 });
    expect(vol).toMatchObject({ state: 'ok', data: { volume: 40, muted: false } });
    const test = await command('spk-1', { type: 'selfTest', durationMs: 500 });
    expect(test).toMatchObject({ state: 'ok', data: { levelLufs: -23, durationMs: 500, frequencyHz: 1000, deviceVolume: 40 } });
    expect(await command('brd-1', { type: 'selfTest' })).toMatchObject({ state: 'ok', data: { board: 'ok' } });
    expect(await command('brd-1', { type: 'setVolume', volume: 10 })).toMatchObject({ state: 'rejected', message: 'a board has no audio output' });
    const logs = await command('spk-1', { type: 'collectLogs', lines: 50 });
    expect(logs.state).toBe('ok');
    expect((logs.data!.lines as string[]).some((l) => /command setVolume/.test(l))).toBe(true);
    expect(await command('spk-1', { type: 'stop' })).toMatchObject({ state: 'ok', data: { stopped: null } });
    expect((await command('spk-1', { type: 'resync' })).state).toBe('ok');

    const c = await contents('Phát ngay');
    const play = await command('spk-2', { type: 'playNow', contentId: c.audio });
    expect(play.state).toBe('ok');
    const occurrenceId = play.data!.occurrenceId as string;
    await until('spk-2 played it', virtual, (v) => v.get('spk-2')!.recent.some((r) => r.occurrenceId === occurrenceId && r.outcome === 'finished'));

    // restart = a clean goodbye (offline, shutdown) and a new connection.
    expect(await command('spk-3', { type: 'restart' })).toMatchObject({ state: 'ok', data: { restarting: true } });
    await until(
      'spk-3 reconnected after its restart',
      () => ok<Array<{ state: string; reason: string }>>('GET', '/api/v1/devices/spk-3/connections?limit=5'),
      (rows) => rows[0]?.state === 'online' && rows.some((r) => r.state === 'offline' && r.reason === 'shutdown'),
    );
  }, 60_000);

  it("the sandbox's seed creates virtual speakers and boards per commune (idempotent), which come online", async () => {
    const seed = (body: unknown) =>
      fetch(`${t.baseUrl}/api/v1/practice/seed`, { method: 'POST', headers: { 'content-type': 'application/json', [PRACTICE_SECRET_HEADER]: SECRET }, body: JSON.stringify(body) });
    const body = { areas: [{ code: '00006', name: 'Xã C', level: 'commune', parentCode: '01' }], users: [], settings: [], speakersPerCommune: 2, boardsPerCommune: 1 };
    const first = await seed(body);
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ areas: 1, devices: 3 });
    expect(await (await seed(body)).json()).toMatchObject({ areas: 0, devices: 0 });
    const v = await until('seeded devices online', virtual, (m) => ['vspk-00006-1', 'vspk-00006-2', 'vbrd-00006-1'].every((id) => m.get(id)?.connected === true));
    expect(v.get('vbrd-00006-1')).toMatchObject({ kind: 'board', areaCode: '00006' });
  }, 60_000);

  it('a practice instance keeps its own SQLite database: the config refuses PostgreSQL', () => {
    expect(() => AppConfig.load({ LOA_PRACTICE_MODE: '1', LOA_PRACTICE_SECRET: SECRET, LOA_DATABASE_URL: 'postgres://127.0.0.1/loa' })).toThrow(/SQLite/);
  });
});

describe('virtual devices of a practice instance started again on its data (sqlite)', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'loa-vd-'));
  const config = AppConfig.load({
    LOA_DATA_DIR: dataDir,
    LOA_HTTP_HOST: '127.0.0.1',
    LOA_HTTP_PORT: '0',
    LOA_MQTT_HOST: '127.0.0.1',
    LOA_MQTT_PORT: '0',
    LOA_ADMIN_PASSWORD: 'test-password',
    LOA_LOG_LEVEL: 'silent',
    LOA_PRACTICE_MODE: '1',
    LOA_PRACTICE_SECRET: SECRET,
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('every device already in the database gets its virtual device at start-up', async () => {
    await copySqliteTemplate(path.join(dataDir, 'loa.sqlite'));
    const auth = { authorization: `Bearer ${signAssertion(SECRET, 'admin', Date.now())}`, 'content-type': 'application/json' };
    const first = await startServer(config, silentLogger);
    try {
      const base = `http://127.0.0.1:${first.httpPort}`;
      await fetch(`${base}/api/v1/areas`, { method: 'POST', headers: auth, body: JSON.stringify({ code: '01', name: 'Tỉnh Một', level: 'province' }) });
      await fetch(`${base}/api/v1/areas`, { method: 'POST', headers: auth, body: JSON.stringify({ code: '00004', name: 'Xã A', level: 'commune', parentCode: '01' }) });
      expect((await fetch(`${base}/api/v1/devices`, { method: 'POST', headers: auth, body: JSON.stringify({ id: 'spk-kept', name: 'Loa', kind: 'speaker', areaCode: '00004' }) })).status).toBe(201);
    } finally {
      await first.close();
    }
    const again = await startServer(config, silentLogger);
    try {
      const base = `http://127.0.0.1:${again.httpPort}`;
      const list = async () => virtualDeviceListSchema.parse(await (await fetch(`${base}/api/v1/practice/devices`, { headers: auth })).json());
      const v = await until('spk-kept online again', list, (l) => l.some((d) => d.deviceId === 'spk-kept' && d.connected));
      expect(v.map((d) => d.deviceId)).toEqual(['spk-kept']);
      expect(again.app.get(MessageBroker).state().sessions).toBe(1);
    } finally {
      await again.close();
    }
  }, 60_000);
});

describe.each(['sqlite', 'postgres'])('no virtual devices outside practice mode (%s)', (db) => {
  let t: TestServer;
  let close: () => Promise<void>;
  let client: mqtt.MqttClient | null = null;

  beforeAll(async () => {
    ({ t, close } = await startTestServerOn(db));
  }, 60_000);
  afterAll(async () => {
    client?.end(true);
    await close?.();
  });

  it('registered devices get no virtual device: the broker holds only the real agent that connected', async () => {
    expect((await t.api('POST', '/api/v1/areas', { code: '01', name: 'Tỉnh Một', level: 'province' })).status).toBe(201);
    expect((await t.api('POST', '/api/v1/areas', { code: '00004', name: 'Xã A', level: 'commune', parentCode: '01' })).status).toBe(201);
    const reg = await t.api<{ secret: string }>('POST', '/api/v1/devices', { id: 'spk-real', name: 'Loa thật', kind: 'speaker', areaCode: '00004' });
    expect(reg.status).toBe(201);
    await t.api('POST', '/api/v1/devices', { id: 'spk-other', name: 'Loa khác', kind: 'speaker', areaCode: '00004' });
    // A real device logs in and says it is online: once the server has it online, every session there is is known.
    client = mqtt.connect(t.mqttUrl, {
      clientId: 'spk-real',
      username: 'spk-real',
      password: reg.body.secret,
      reconnectPeriod: 0,
      will: { topic: deviceTopic('spk-real', 'status'), payload: encodeMessage({ v: 1, state: 'offline', reason: 'will' } satisfies StatusMessage), qos: 1, retain: true },
    });
    await new Promise<void>((resolve, reject) => {
      client!.once('connect', () => resolve());
      client!.once('error', reject);
    });
    client.publish(deviceTopic('spk-real', 'status'), encodeMessage({ v: 1, state: 'online', reason: 'connect', at: Date.now(), kind: 'speaker' } satisfies StatusMessage), { qos: 1, retain: true });
    await until('spk-real online', () => t.api<{ online: boolean }>('GET', '/api/v1/devices/spk-real'), (r) => r.body.online);
    expect(t.server.app.get(MessageBroker).state().sessions).toBe(1);
    expect((await t.api<{ online: boolean }>('GET', '/api/v1/devices/spk-other')).body.online).toBe(false);
    expect((await t.api('GET', '/api/v1/practice/devices')).status).toBe(404);
  }, 60_000);
});
