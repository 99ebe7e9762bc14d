import mqtt, { type MqttClient } from 'mqtt';
import { WebSocket } from 'ws';
import { EventsGateway, SESSION_ENDED } from '../src/events/events.gateway.js';
import { deviceTopic, encodeMessage, PROTOCOL_VERSION, type DeviceChannel } from '@loa/shared';
import { startTestServerOn, type TestServer } from './support/server.js';
import { fanoutDone } from './support/fanouts.js';
import { localDate, localDateTime } from '../src/common/export-format.js';

/**
 * Issue 7, the dashboard's live and reporting API, on a real server (SQLite and PostgreSQL) with real MQTT device
 * connections and real WebSocket clients. Province 01 → communes 00004 (with village 0000401) and 00005; a board
 * directly on the province. A commune officer of 00004 and a province operator.
 */
const MB = 1024 * 1024;
const PW = 'password-123';
const TRICKY_NAME = 'Cụm loa "Đông", thôn 1';

/** A fixed-offset zone where it is now between 02:00 and 22:00, so "today" holds the schedules made below. */
function zoneAwayFromMidnight(): string {
  for (let off = -12; off <= 14; off++) {
    const hour = new Date(Date.now() + off * 3_600_000).getUTCHours();
    if (hour >= 2 && hour <= 21) return off === 0 ? 'Etc/UTC' : `Etc/GMT${off > 0 ? '-' : '+'}${Math.abs(off)}`;
  }
  throw new Error('no zone away from midnight');
}

async function waitFor<T>(what: string, get: () => T | Promise<T>, check: (v: T) => boolean, timeoutMs = 8000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await get();
    if (check(v)) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** RFC 4180 parser (quoted fields, doubled quotes, CRLF), to read back what the server wrote. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') row.push(field), (field = '');
    else if (ch === '\r' && text[i + 1] === '\n') {
      row.push(field), rows.push(row), (row = []), (field = ''), i++;
    } else field += ch;
  }
  if (field !== '' || row.length > 0) row.push(field), rows.push(row);
  return rows;
}

type Msg = Record<string, unknown>;
interface Broadcast {
  scheduleId: string;
  occurrenceId: string;
  contentTitle: string;
  contentKind: string;
  total: number;
  counts: Record<string, number>;
}
interface OverviewBody {
  devices: {
    total: number;
    online: number;
    offline: number;
    byArea: Array<{ areaCode: string; name: string; level: string; total: number; online: number; offline: number }>;
    areas?: Array<{ areaCode: string; name: string; level: string; parentCode: string | null; depth: number; total: number; online: number; offline: number }>;
  };
  today: { from: string; to: string; broadcasts: Broadcast[] };
  alarms: { active: number; byKind: Record<string, number>; latest: Array<{ deviceId: string; kind: string; active: boolean }> };
}
interface CalendarItem {
  occurrenceId: string;
  scheduleId: string;
  contentId: string;
  contentTitle: string;
  contentKind: string;
  priority: string;
  startAt: string;
  durationMs: number;
  scheduleStatus: string;
  deviceCount: number;
}

describe.each(['sqlite', 'postgres'])('dashboard API on %s', (db) => {
  /** LOA_TIMEZONE of the server: the exports write their dates on it. */
  let zone = 'Asia/Ho_Chi_Minh';
  let t: TestServer;
  let close: () => Promise<void>;
  const tokens: Record<string, string> = {};
  const secrets: Record<string, string> = {};
  const clients: MqttClient[] = [];
  const sockets: WebSocket[] = [];
  const ids: Record<string, string> = {};

  const call = async (who: string, method: string, url: string, body?: unknown): Promise<Response> =>
    fetch(t.baseUrl + url, {
      method,
      headers: { authorization: `Bearer ${tokens[who] ?? ''}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  const json = async <T>(who: string, url: string): Promise<{ status: number; body: T; res: Response }> => {
    const res = await call(who, 'GET', url);
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, res };
  };
  /** A successful call; a save answering with a fan-out job is awaited until the job has reached the devices. */
  const ok = async <T>(method: string, url: string, body?: unknown): Promise<T> => {
    const res = await call('admin', method, url, body);
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${text}`);
    const parsed = JSON.parse(text) as T;
    const job = (parsed as { fanout?: { id: string } | null } | null)?.fanout;
    if (job) await fanoutDone(t.api, job.id);
    return parsed;
  };

  const socket = (who: string): Promise<{ ws: WebSocket; messages: Msg[] }> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${t.server.httpPort}/api/v1/events`, ['loa.events', `bearer.${tokens[who]}`]);
      sockets.push(ws);
      const messages: Msg[] = [];
      ws.on('message', (data: Buffer) => messages.push(JSON.parse(data.toString()) as Msg));
      // The scope is computed before the upgrade completes; `hello` says the stream is live.
      ws.once('open', () => void waitFor('hello', () => messages, (m) => m.some((x) => x.type === 'hello')).then(() => resolve({ ws, messages }), reject));
      ws.once('error', reject);
    });

  const connectDevice = (id: string): Promise<MqttClient> =>
    new Promise((resolve, reject) => {
      const c = mqtt.connect(t.mqttUrl, {
        clientId: id,
        username: id,
        password: secrets[id],
        reconnectPeriod: 0,
        connectTimeout: 5000,
        will: { topic: deviceTopic(id, 'status'), payload: encodeMessage({ v: PROTOCOL_VERSION, state: 'offline', reason: 'will' }), qos: 1, retain: true },
      });
      clients.push(c);
      c.once('connect', () => resolve(c));
      c.once('error', reject);
    });
  const send = (c: MqttClient, id: string, channel: DeviceChannel, message: unknown, retain = false) => c.publishAsync(deviceTopic(id, channel), encodeMessage(message), { qos: 1, retain });
  const online = async (id: string): Promise<MqttClient> => {
    const c = await connectDevice(id);
    await send(c, id, 'status', { v: PROTOCOL_VERSION, state: 'online', reason: 'connect', at: Date.now(), agentVersion: '2.0.0' }, true);
    return c;
  };
  /** Resolves once every frame the server sent on this socket before it read our ping has arrived: the pong follows them. */
  const flushed = (ws: WebSocket): Promise<void> =>
    new Promise((resolve) => {
      ws.once('pong', () => resolve());
      ws.ping();
    });
  /** Resolves with the next (non-retained) events/ack the server sends this device, as text (a signed envelope). */
  const nextAck = async (c: MqttClient, id: string): Promise<string> => {
    const topic = deviceTopic(id, 'events/ack');
    const got = new Promise<string>((resolve) => {
      const on = (t: string, payload: Buffer, packet: { retain: boolean }) => {
        if (t !== topic || packet.retain) return;
        c.off('message', on);
        resolve(payload.toString());
      };
      c.on('message', on);
    });
    await c.subscribeAsync(topic, { qos: 1 });
    return got;
  };
  const ofType = (messages: Msg[], type: string, deviceId?: string) => messages.filter((m) => m.type === type && (deviceId === undefined || m.deviceId === deviceId));

  beforeAll(async () => {
    zone = zoneAwayFromMidnight();
    ({ t, close } = await startTestServerOn(db, { LOA_TIMEZONE: zone, LOA_ALARM_LOW_DISK_MB: '100' }));
    tokens.admin = t.token;
    await ok('POST', '/api/v1/areas', { code: '01', name: 'Tỉnh Một', level: 'province' });
    await ok('POST', '/api/v1/areas', { code: '00004', name: 'Xã A', level: 'commune', parentCode: '01' });
    await ok('POST', '/api/v1/areas', { code: '0000401', name: 'Thôn A1', level: 'village', parentCode: '00004' });
    await ok('POST', '/api/v1/areas', { code: '00005', name: 'Xã B', level: 'commune', parentCode: '01' });
    const devices: Array<[string, string, string]> = [
      ['brd-a1', TRICKY_NAME, '00004'],
      ['brd-a2', 'Bảng tin thôn A1', '0000401'],
      ['brd-b1', 'Bảng tin xã B', '00005'],
      ['brd-p', 'Bảng tin tỉnh', '01'],
    ];
    for (const [id, name, areaCode] of devices) secrets[id] = (await ok<{ secret: string }>('POST', '/api/v1/devices', { id, name, kind: 'board', areaCode })).secret;
    for (const [username, role, areaCode] of [
      ['officer-a', 'commune_officer', '00004'],
      ['operator-p', 'operator', '01'],
      ['operator-a', 'operator', '00004'],
    ] as const) {
      await ok('POST', '/api/v1/users', { username, password: PW, role, areaCode });
      tokens[username] = (await ok<{ accessToken: string }>('POST', '/api/v1/auth/login', { username, password: PW })).accessToken;
    }
    const content = await ok<{ id: string }>('POST', '/api/v1/contents', { type: 'text', title: 'Thông báo tỉnh', text: 'Xin chào', approve: true });
    const startAt = (minutes: number) => new Date(Date.now() + minutes * 60_000).toISOString();
    ids.province = (await ok<{ id: string }>('POST', '/api/v1/schedules', { contentId: content.id, startAt: startAt(5), targets: { areas: ['01'] } })).id;
    ids.communeB = (await ok<{ id: string }>('POST', '/api/v1/schedules', { contentId: content.id, startAt: startAt(20), targets: { areas: ['00005'] }, acceptConflicts: true })).id;
  });

  afterAll(async () => {
    for (const ws of sockets) ws.terminate();
    for (const c of clients) c.end(true);
    await close();
  });

  it("sends a commune officer's socket the presence and telemetry of its commune's devices only, and an admin's all of them", async () => {
    const admin = await socket('admin');
    const officer = await socket('officer-a');
    const a1 = await online('brd-a1');
    const b1 = await online('brd-b1');
    await waitFor('admin sees both connect', () => ofType(admin.messages, 'device.presence'), (m) => m.length >= 2);
    await waitFor('officer sees brd-a1', () => ofType(officer.messages, 'device.presence', 'brd-a1'), (m) => m.length >= 1);

    expect(ofType(admin.messages, 'device.presence', 'brd-b1')[0]).toMatchObject({ areaCode: '00005', online: true, reason: 'connect' });
    expect(ofType(officer.messages, 'device.presence', 'brd-a1')[0]).toMatchObject({ deviceId: 'brd-a1', areaCode: '00004', online: true, reason: 'connect' });
    expect(Date.parse(String(ofType(officer.messages, 'device.presence', 'brd-a1')[0]?.at))).toBeGreaterThan(Date.now() - 60_000);

    // Telemetry: a low disk on B's board reaches the admin (and raises an alarm there), never A's officer.
    await send(b1, 'brd-b1', 'telemetry', { v: PROTOCOL_VERSION, at: Date.now(), uptimeS: 5, freeDiskBytes: 50 * MB, volume: 70 });
    await send(a1, 'brd-a1', 'telemetry', { v: PROTOCOL_VERSION, at: Date.now(), uptimeS: 5, freeDiskBytes: 900 * MB, volume: 40 });
    await waitFor('officer telemetry of brd-a1', () => ofType(officer.messages, 'device.telemetry', 'brd-a1'), (m) => m.length >= 1);
    const tb = await waitFor('admin telemetry of brd-b1', () => ofType(admin.messages, 'device.telemetry', 'brd-b1'), (m) => m.length >= 1);
    expect(tb[0]).toMatchObject({ areaCode: '00005', volume: 70, diskFreeMb: 50 });
    const raised = await waitFor('admin alarm.raised', () => ofType(admin.messages, 'alarm.raised'), (m) => m.length >= 1);
    expect(raised[0]).toMatchObject({ areaCode: '00005', alarm: { deviceId: 'brd-b1', kind: 'low-disk', active: true } });

    // A second sample within 10 s is not forwarded. Once it is stored, the throttle has decided (it runs right after
    // the write, on a cached area), and the pong comes after anything sent on the officer's socket before.
    await send(a1, 'brd-a1', 'telemetry', { v: PROTOCOL_VERSION, at: Date.now(), uptimeS: 6, freeDiskBytes: 900 * MB, volume: 41 });
    await waitFor('the second sample stored', () => json<Array<{ volume: number | null }>>('admin', '/api/v1/devices/brd-a1/telemetry'), (r) => r.body.some((x) => x.volume === 41));
    await flushed(officer.ws);
    expect(ofType(officer.messages, 'device.telemetry', 'brd-a1')).toHaveLength(1);

    expect(ofType(officer.messages, 'device.presence', 'brd-b1')).toEqual([]);
    expect(ofType(officer.messages, 'device.telemetry', 'brd-b1')).toEqual([]);
    expect(ofType(officer.messages, 'alarm.raised')).toEqual([]);
    expect(ofType(admin.messages, 'device.presence', 'brd-a1')).toHaveLength(1);
  });

  it('closes a stream (4401) once its session has ended, and keeps the others', async () => {
    await ok('POST', '/api/v1/users', { username: 'leaver', password: PW, role: 'operator', areaCode: '01' });
    tokens.leaver = (await ok<{ accessToken: string }>('POST', '/api/v1/auth/login', { username: 'leaver', password: PW })).accessToken;
    const leaving = await socket('leaver');
    const staying = await socket('admin');
    const closed = new Promise<number>((resolve) => leaving.ws.once('close', (code: number) => resolve(code)));
    expect((await call('leaver', 'POST', '/api/v1/auth/logout')).status).toBe(204);
    await t.server.app.get(EventsGateway).recheckSessions();
    expect(await closed).toBe(SESSION_ENDED);
    expect(staying.ws.readyState).toBe(WebSocket.OPEN);
  });

  it('publishes delivery state changes (timeline ack, playback report) to the sockets whose scope holds the device', async () => {
    const admin = await socket('admin');
    const officer = await socket('officer-a');
    const a1 = clients.find((c) => c.options.clientId === 'brd-a1')!;
    const b1 = clients.find((c) => c.options.clientId === 'brd-b1')!;
    for (const [c, id] of [[a1, 'brd-a1'], [b1, 'brd-b1']] as const) {
      const { timelineVersion } = await ok<{ timelineVersion: number }>('GET', `/api/v1/devices/${id}`);
      await send(c, id, 'timeline/ack', { v: PROTOCOL_VERSION, version: timelineVersion });
    }
    const delivered = await waitFor('officer delivered', () => ofType(officer.messages, 'delivery.state', 'brd-a1'), (m) => m.length >= 1);
    expect(delivered[0]).toMatchObject({ scheduleId: ids.province, deviceId: 'brd-a1', areaCode: '00004', state: 'delivered', reason: null });
    expect(String(delivered[0]?.occurrenceId)).toContain(ids.province!);
    await waitFor('admin delivered on both', () => ofType(admin.messages, 'delivery.state').filter((m) => m.state === 'delivered'), (m) => m.length >= 3);

    const occurrenceId = String(delivered[0]?.occurrenceId);
    const at = Date.now();
    await send(a1, 'brd-a1', 'events', { v: PROTOCOL_VERSION, events: [{ id: 'ev-1', occurrenceId, type: 'started', at }] });
    const started = await waitFor('officer started', () => ofType(officer.messages, 'delivery.state', 'brd-a1').filter((m) => m.state === 'started'), (m) => m.length >= 1);
    expect(started[0]).toMatchObject({ at: new Date(at).toISOString(), scheduleId: ids.province });
    // The same report again changes nothing and is not published twice. Its ack follows the commit, after which the
    // live event would have gone out at once; the pong then follows anything sent on the officer's socket before.
    const acked = nextAck(a1, 'brd-a1');
    await send(a1, 'brd-a1', 'events', { v: PROTOCOL_VERSION, events: [{ id: 'ev-1', occurrenceId, type: 'started', at }] });
    expect(await acked).toContain('ev-1');
    await flushed(officer.ws);
    expect(ofType(officer.messages, 'delivery.state', 'brd-a1').filter((m) => m.state === 'started')).toHaveLength(1);
    expect(ofType(officer.messages, 'delivery.state', 'brd-b1')).toEqual([]);
    expect(ofType(admin.messages, 'delivery.state', 'brd-b1').length).toBeGreaterThanOrEqual(1);
  });

  it('counts devices per child area, today’s broadcasts and alarms for an admin, a province operator and a commune officer', async () => {
    const admin = (await json<OverviewBody>('admin', '/api/v1/overview')).body;
    const { areas: adminAreas, ...adminDevices } = admin.devices;
    expect(adminDevices).toEqual({ total: 4, online: 2, offline: 2, byArea: [{ areaCode: '01', name: 'Tỉnh Một', level: 'province', total: 4, online: 2, offline: 2 }] });
    // Issue 19: not only the province row — every commune, under its parent, with its subtree's devices (the village's in its commune).
    expect(adminAreas).toEqual([
      { areaCode: '01', name: 'Tỉnh Một', level: 'province', parentCode: null, depth: 0, total: 4, online: 2, offline: 2 },
      { areaCode: '00004', name: 'Xã A', level: 'commune', parentCode: '01', depth: 1, total: 2, online: 1, offline: 1 },
      { areaCode: '00005', name: 'Xã B', level: 'commune', parentCode: '01', depth: 1, total: 1, online: 1, offline: 0 },
    ]);
    expect(Date.parse(admin.today.to) - Date.parse(admin.today.from)).toBe(86_400_000);
    const adminToday = new Map(admin.today.broadcasts.map((b) => [b.scheduleId, b]));
    expect(adminToday.get(ids.province!)).toMatchObject({ contentTitle: 'Thông báo tỉnh', contentKind: 'text', total: 4, counts: { started: 1, delivered: 1, queued: 2 } });
    expect(adminToday.get(ids.communeB!)).toMatchObject({ total: 1, counts: { delivered: 1 } });
    expect(admin.alarms).toMatchObject({ active: 1, byKind: { 'low-disk': 1 } });
    expect(admin.alarms.latest.map((a) => `${a.deviceId}:${a.kind}`)).toEqual(['brd-b1:low-disk']);

    const operator = (await json<OverviewBody>('operator-p', '/api/v1/overview')).body;
    expect(operator.devices.byArea).toEqual([
      { areaCode: '00004', name: 'Xã A', level: 'commune', total: 2, online: 1, offline: 1 },
      { areaCode: '00005', name: 'Xã B', level: 'commune', total: 1, online: 1, offline: 0 },
      { areaCode: '01', name: 'Tỉnh Một', level: 'province', total: 1, online: 0, offline: 1 },
    ]);

    const officer = (await json<OverviewBody>('officer-a', '/api/v1/overview')).body;
    const { areas: officerAreas, ...officerDevices } = officer.devices;
    expect(officerAreas).toEqual([{ areaCode: '00004', name: 'Xã A', level: 'commune', parentCode: '01', depth: 0, total: 2, online: 1, offline: 1 }]);
    expect(officerDevices).toEqual({
      total: 2,
      online: 1,
      offline: 1,
      byArea: [
        { areaCode: '00004', name: 'Xã A', level: 'commune', total: 1, online: 1, offline: 0 },
        { areaCode: '0000401', name: 'Thôn A1', level: 'village', total: 1, online: 0, offline: 1 },
      ],
    });
    expect(officer.today.broadcasts.map((b) => [b.scheduleId, b.total, b.counts])).toEqual([[ids.province, 2, { started: 1, queued: 1 }]]);
    expect(officer.alarms).toEqual({ active: 0, byKind: {}, latest: [] });
  });

  it('lists occurrences in a window for a calendar, scoped, and does not take "occurrences" for a schedule id', async () => {
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const to = new Date(Date.now() + 86_400_000).toISOString();
    const q = `/api/v1/schedules/occurrences?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
    const admin = await json<CalendarItem[]>('admin', q);
    expect(admin.status).toBe(200);
    expect(admin.body.map((o) => [o.scheduleId, o.deviceCount, o.scheduleStatus, o.contentKind])).toEqual([
      [ids.province, 4, 'active', 'text'],
      [ids.communeB, 1, 'active', 'text'],
    ]);
    expect(admin.body[0]).toMatchObject({ contentTitle: 'Thông báo tỉnh', priority: 'normal', occurrenceId: expect.stringContaining(ids.province!) });

    const officer = await json<CalendarItem[]>('officer-a', q);
    expect(officer.body.map((o) => [o.scheduleId, o.deviceCount])).toEqual([[ids.province, 2]]);

    // A window that holds neither occurrence, and windows the API refuses.
    const later = new Date(Date.now() + 2 * 86_400_000).toISOString();
    const far = new Date(Date.now() + 3 * 86_400_000).toISOString();
    expect((await json<CalendarItem[]>('admin', `/api/v1/schedules/occurrences?from=${encodeURIComponent(later)}&to=${encodeURIComponent(far)}`)).body).toEqual([]);
    const tooWide = new Date(Date.parse(from) + 63 * 86_400_000).toISOString();
    expect((await json('admin', `/api/v1/schedules/occurrences?from=${encodeURIComponent(from)}&to=${encodeURIComponent(tooWide)}`)).status).toBe(400);
    expect((await json('admin', `/api/v1/schedules/occurrences?from=${encodeURIComponent(to)}&to=${encodeURIComponent(from)}`)).status).toBe(400);
    expect((await json('admin', '/api/v1/schedules/occurrences')).status).toBe(400);
  });

  it('lets a commune officer read a province-wide schedule with only its own devices in the matrix, summary and list', async () => {
    const list = (await json<Array<{ id: string; deviceCount: number; summary: Record<string, number> }>>('officer-a', '/api/v1/schedules')).body;
    expect(list.map((s) => [s.id, s.deviceCount, s.summary])).toEqual([[ids.province, 2, { started: 1, queued: 1 }]]);
    expect((await json('officer-a', `/api/v1/schedules/${ids.province}`)).status).toBe(200);
    expect((await json('officer-a', `/api/v1/schedules/${ids.communeB}`)).status).toBe(404);
    expect((await json('officer-a', `/api/v1/schedules/${ids.communeB}/deliveries`)).status).toBe(404);
    expect((await json('officer-a', `/api/v1/schedules/${ids.communeB}/deliveries.csv`)).status).toBe(404);

    const matrix = await json<Array<{ deviceId: string; state: string }>>('officer-a', `/api/v1/schedules/${ids.province}/deliveries`);
    expect(matrix.body.map((d) => d.deviceId)).toEqual(['brd-a1', 'brd-a2']);
    expect(matrix.res.headers.get('x-total-count')).toBe('2');
    const summary = (await json<{ totals: Record<string, number>; deviceCount: number; occurrences: Array<{ total: number }> }>('officer-a', `/api/v1/schedules/${ids.province}/summary`)).body;
    expect(summary).toMatchObject({ totals: { started: 1, queued: 1 }, deviceCount: 2, occurrences: [{ total: 2 }] });

    const adminMatrix = await json<Array<{ deviceId: string }>>('admin', `/api/v1/schedules/${ids.province}/deliveries?limit=3`);
    expect(adminMatrix.body.map((d) => d.deviceId)).toEqual(['brd-a1', 'brd-a2', 'brd-b1']);
    expect(adminMatrix.res.headers.get('x-total-count')).toBe('4');

    // Reading is wider than writing: a commune operator sees the province-wide schedule but may not cancel it.
    expect((await call('operator-a', 'GET', `/api/v1/schedules/${ids.province}`)).status).toBe(200);
    expect((await call('operator-a', 'POST', `/api/v1/schedules/${ids.province}/cancel`)).status).toBe(403);
    expect((await call('operator-a', 'POST', `/api/v1/schedules/${ids.communeB}/cancel`)).status).toBe(404);
  });

  it('exports the delivery matrix as CSV with a BOM, RFC 4180 quoting and only the reader’s devices', async () => {
    const res = await call('officer-a', 'GET', `/api/v1/schedules/${ids.province}/deliveries.csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/csv; charset=utf-8/);
    // Named by what it is, the content, the reader's area and the first start (Vietnam time), ASCII and Vietnamese.
    const schedule = (await json<{ startAt: string }>('admin', `/api/v1/schedules/${ids.province}`)).body;
    const day = localDate(Date.parse(schedule.startAt), zone);
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="ket-qua-phat-thong-bao-tinh-xa-a-${day}.csv"; filename*=UTF-8''${encodeURIComponent(`Kết quả phát Thông báo tỉnh Xã A ${day}.csv`)}`,
    );
    const bytes = Buffer.from(await res.arrayBuffer());
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    const text = bytes.toString('utf8').slice(1);
    expect(text).toContain(`,"Cụm loa ""Đông"", thôn 1",`);
    const rows = parseCsv(text);
    expect(rows[0]).toEqual(['Mã lượt phát', 'Giờ phát theo lịch', 'Mã thiết bị', 'Tên thiết bị', 'Mã địa bàn', 'Địa bàn', 'Trạng thái', 'Nhận lịch lúc', 'Bắt đầu phát', 'Kết thúc', 'Thời lượng đã phát (giây)', 'Lý do']);
    expect(rows.slice(1).map((r) => [r[2], r[3], r[4], r[5], r[6]])).toEqual([
      ['brd-a1', TRICKY_NAME, '00004', 'Xã A', 'Đang phát'],
      ['brd-a2', 'Bảng tin thôn A1', '0000401', 'Thôn A1', 'Chờ gửi'],
    ]);
    expect(rows[1]?.[1]).toMatch(/^\d\d\/\d\d\/\d{4} \d\d:\d\d$/);
    expect(rows[1]?.[8]).toMatch(/^\d\d\/\d\d\/\d{4} \d\d:\d\d$/);
    expect(rows[2]?.[8]).toBe('');

    const all = parseCsv((await (await call('admin', 'GET', `/api/v1/schedules/${ids.province}/deliveries.csv?state=queued`)).text()).slice(1));
    expect(all.slice(1).map((r) => r[2])).toEqual(['brd-a2', 'brd-p']);
    const none = parseCsv((await (await call('admin', 'GET', `/api/v1/schedules/${ids.province}/deliveries.csv?state=finished`)).text()).slice(1));
    expect(none).toHaveLength(1);
  });

  it('keeps the machine format of the matrix behind format=iso: English keys, state codes, ISO-8601 UTC', async () => {
    // fetch's text() drops the BOM.
    const rows = parseCsv(await (await call('officer-a', 'GET', `/api/v1/schedules/${ids.province}/deliveries.csv?format=iso`)).text());
    expect(rows[0]).toEqual(['occurrenceId', 'occurrenceStart', 'deviceId', 'deviceName', 'areaCode', 'areaName', 'state', 'deliveredAt', 'startedAt', 'endedAt', 'playedSeconds', 'reason']);
    expect(rows.slice(1).map((r) => [r[2], r[6]])).toEqual([['brd-a1', 'started'], ['brd-a2', 'queued']]);
    expect(rows[1]?.[1]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    // The same instants as the Vietnamese file shows them on LOA_TIMEZONE.
    const vi = parseCsv(await (await call('officer-a', 'GET', `/api/v1/schedules/${ids.province}/deliveries.csv`)).text());
    expect(vi.slice(1).map((r) => [r[1], r[8]])).toEqual(rows.slice(1).map((r) => [localDateTime(Date.parse(r[1]!), zone), r[8] ? localDateTime(Date.parse(r[8]), zone) : '']));
    expect(Date.parse(rows[1]?.[8] ?? '')).toBeGreaterThan(Date.now() - 60_000);
    expect((await call('officer-a', 'GET', `/api/v1/schedules/${ids.province}/deliveries.csv?format=xlsx`)).status).toBe(400);
  });
});
