import mqtt, { type MqttClient } from 'mqtt';
import { areaTopic } from '@loa/shared';
import { STANDARD_RULES } from '../src/approvals/approval-rules.js';
import { startTestServerOn, type TestServer } from './support/server.js';
import { DeliveryEntity } from '../src/deliveries/delivery.entity.js';
import type { SaveResult } from '../src/schedules/schedules.service.js';
import { DATABASES, type TestDatabase } from './support/databases.js';
import { FixedClock, RecordingBroker, seedArea, seedAudioContent, seedDevice, testConfig } from './support/fixtures.js';
import { schedulingGraph } from './support/scheduling.js';
import { fanoutDone } from './support/fanouts.js';

const HOUR_MS = 3_600_000;

/**
 * Issue 7: approval rules. Province 01 → district 001 → communes 00004, 00006; commune 00005 sits right under the
 * province (2025 two-tier tree). A board in each commune. An operator and an approver of the province, an approver
 * of commune 00005, and a second admin.
 */
describe.each(['sqlite', 'postgres'])('approval rules on %s', (db) => {
  let t: TestServer;
  let close: () => Promise<void>;
  const tokens: Record<string, string> = {};
  const ids: Record<string, string> = {};
  const secrets: Record<string, string> = {};
  const userIds: Record<string, string> = {};
  const clients: MqttClient[] = [];
  /** What is still pending at the end, for the queue check. */
  const pending = { schedules: new Set<string>(), alerts: new Set<string>(), contents: new Set<string>() };
  const PW = 'password-123';
  const future = (min = 60) => new Date(Date.now() + min * 60_000).toISOString();

  const call = async <T = Record<string, unknown>>(who: string, method: string, url: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await fetch(t.baseUrl + url, {
      method,
      headers: { authorization: `Bearer ${tokens[who] ?? ''}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
  /** A successful call; a save that answers with a fan-out job is awaited until the job has reached the devices. */
  const ok = async <T = Record<string, unknown>>(who: string, method: string, url: string, body?: unknown): Promise<T> => {
    const r = await call<T>(who, method, url, body);
    if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
    const job = (r.body as { fanout?: { id: string } | null } | undefined)?.fanout;
    if (job) await fanoutDone((m, u, b) => call('admin', m, u, b), job.id);
    return r.body;
  };
  const deliveries = async (id: string) => ok<unknown[]>('admin', 'GET', `/api/v1/schedules/${id}/deliveries`);

  beforeAll(async () => {
    ({ t, close } = await startTestServerOn(db, { LOA_APPROVAL_RULES_DEFAULT: 'standard' }));
    tokens.admin = t.token;
    await ok('admin', 'POST', '/api/v1/areas', { code: '01', name: 'Tỉnh', level: 'province' });
    await ok('admin', 'POST', '/api/v1/areas', { code: '001', name: 'Huyện', level: 'district', parentCode: '01' });
    await ok('admin', 'POST', '/api/v1/areas', { code: '00004', name: 'Xã A', level: 'commune', parentCode: '001' });
    await ok('admin', 'POST', '/api/v1/areas', { code: '00006', name: 'Xã C', level: 'commune', parentCode: '001' });
    await ok('admin', 'POST', '/api/v1/areas', { code: '00005', name: 'Xã B', level: 'commune', parentCode: '01' });
    for (const [id, area] of [['brd-a', '00004'], ['brd-c', '00006'], ['brd-b', '00005']] as const) {
      secrets[id] = (await ok<{ secret: string }>('admin', 'POST', '/api/v1/devices', { id, name: id, kind: 'board', areaCode: area })).secret;
    }
    const users: Array<[string, string, string | null]> = [
      ['operator', 'operator', '01'],
      ['approver', 'approver', '01'],
      ['approver-b', 'approver', '00005'],
      ['admin2', 'admin', null],
    ];
    for (const [username, role, areaCode] of users) {
      userIds[username] = (await ok<{ id: string }>('admin', 'POST', '/api/v1/users', { username, password: PW, role, ...(areaCode ? { areaCode } : {}) })).id;
      tokens[username] = (await ok<{ accessToken: string }>('nobody', 'POST', '/api/v1/auth/login', { username, password: PW })).accessToken;
    }
    ids.content = (await ok<{ id: string }>('admin', 'POST', '/api/v1/contents', { type: 'text', title: 'Tin', text: 'Xin chào', approve: true })).id;
    userIds.admin = (await ok<Array<{ id: string; username: string }>>('admin', 'GET', '/api/v1/users')).find((u) => u.username === 'admin')!.id;
  });
  afterAll(async () => {
    for (const c of clients) c.end(true);
    await close();
  });

  it('serves the standard rules by default, validates a new document and round-trips it', async () => {
    expect(await ok('operator', 'GET', '/api/v1/settings/approval')).toEqual(STANDARD_RULES);
    const bad = await call('admin', 'PUT', '/api/v1/settings/approval', { ...STANDARD_RULES, schedules: { ...STANDARD_RULES.schedules, minAreaLevel: 'village' } });
    expect(bad.status).toBe(400);
    expect((await call('admin', 'PUT', '/api/v1/settings/approval', { content: STANDARD_RULES.content })).status).toBe(400);
    expect((await call('operator', 'PUT', '/api/v1/settings/approval', STANDARD_RULES)).status).toBe(403);
    const changed = { ...STANDARD_RULES, content: { audio: true, text: false, image: true }, schedules: { minAreaLevel: 'province', minDevices: null, priorities: ['priority', 'emergency'] } };
    expect(await ok('admin', 'PUT', '/api/v1/settings/approval', changed)).toEqual(changed);
    expect(await ok('approver-b', 'GET', '/api/v1/settings/approval')).toEqual(changed);
  });

  it('approves at once, as the rules, a content whose kind needs no approver', async () => {
    // Rules from the previous test: text needs no approver.
    const c = await ok<{ id: string }>('operator', 'POST', '/api/v1/contents', { type: 'text', title: 'Tự duyệt', text: 'x' });
    const submitted = await ok<{ state: string; approvedBy: string; history: Array<{ action: string; by: string; reason: string | null }> }>('operator', 'POST', `/api/v1/contents/${c.id}/submit`);
    expect(submitted.state).toBe('approved');
    expect(submitted.approvedBy).toBe('approval-rules');
    expect(submitted.history.map((h) => h.action)).toEqual(['create', 'submit', 'approve']);
    expect(submitted.history.at(-1)?.reason).toMatch(/auto-approved.*text/);
    await ok('admin', 'PUT', '/api/v1/settings/approval', STANDARD_RULES);
    const held = await ok<{ id: string; state: string }>('operator', 'POST', '/api/v1/contents', { type: 'text', title: 'Chờ duyệt', text: 'y', submit: true });
    expect(held.state).toBe('submitted');
    pending.contents.add(held.id);
  });

  it('holds a district-wide schedule without deliveries until an approver of the area approves it', async () => {
    const before = (await ok<{ timelineVersion: number }>('admin', 'GET', '/api/v1/devices/brd-a')).timelineVersion;
    const created = await call<{ id: string; approval: string; deviceCount: number; occurrences: unknown[]; approvalReasons: string[] }>('operator', 'POST', '/api/v1/schedules', {
      contentId: ids.content,
      startAt: future(),
      targets: { areas: ['001'] },
    });
    expect(created.status).toBe(201);
    // Not materialised, yet the approver sees how far it would reach: brd-a and brd-c.
    expect(created.body).toMatchObject({ approval: 'pending', deviceCount: 2, occurrences: [] });
    expect(created.body.approvalReasons[0]).toMatch(/district/);
    const id = created.body.id;
    expect(await deliveries(id)).toHaveLength(0);
    expect(await ok('approver', 'GET', `/api/v1/schedules/${id}`)).toMatchObject({ approval: 'pending', deviceCount: 2 });
    expect((await ok<{ timelineVersion: number }>('admin', 'GET', '/api/v1/devices/brd-a')).timelineVersion).toBe(before);

    // Approvers outside the targets, and operators, may not decide.
    expect((await call('approver-b', 'POST', `/api/v1/schedules/${id}/approve`)).status).toBe(403);
    expect((await call('operator', 'POST', `/api/v1/schedules/${id}/approve`)).status).toBe(403);

    const approved = await ok<{ approval: string; approvedBy: string; approvedAt: string; deviceCount: number }>('approver', 'POST', `/api/v1/schedules/${id}/approve`);
    expect(approved).toMatchObject({ approval: 'approved', deviceCount: 2 });
    expect(approved.approvedAt).not.toBeNull();
    expect((await deliveries(id)).map((d) => (d as { deviceId: string }).deviceId).sort()).toEqual(['brd-a', 'brd-c']);
    expect((await ok<{ timelineVersion: number }>('admin', 'GET', '/api/v1/devices/brd-a')).timelineVersion).toBeGreaterThan(before);
    expect((await call('approver', 'POST', `/api/v1/schedules/${id}/approve`)).status).toBe(409);
  });

  it('materialises at once a small normal schedule on a commune, also one right under its province', async () => {
    const created = await call<{ id: string; approval: string; deviceCount: number }>('operator', 'POST', '/api/v1/schedules', {
      contentId: ids.content,
      startAt: future(90),
      targets: { areas: ['00005'] },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ approval: 'not-required', deviceCount: 1, fanout: { kind: 'schedule', ref: created.body.id } });
    await fanoutDone((m, u, b) => call('admin', m, u, b), (created.body as unknown as { fanout: { id: string } }).fanout.id);
    expect(await deliveries(created.body.id)).toHaveLength(1);
  });

  it('records an admin as approver of its own district schedule, but makes an emergency wait for a second person', async () => {
    const own = await ok<{ id: string; approval: string; approvedBy: string; deviceCount: number }>('admin', 'POST', '/api/v1/schedules', {
      contentId: ids.content,
      startAt: future(120),
      targets: { areas: ['01'] },
      acceptConflicts: true,
    });
    expect(own).toMatchObject({ approval: 'approved', deviceCount: 3 });
    expect(own.approvedBy).toBeTruthy();

    const emergency = await ok<{ id: string; approval: string }>('admin', 'POST', '/api/v1/schedules', {
      contentId: ids.content,
      startAt: future(150),
      targets: { areas: ['00004'] },
      priority: 'emergency',
    });
    expect(emergency.approval).toBe('pending');
    expect(await deliveries(emergency.id)).toHaveLength(0);
    const self = await call<{ message: string }>('admin', 'POST', `/api/v1/schedules/${emergency.id}/approve`);
    expect(self.status).toBe(409);
    expect(self.body.message).toMatch(/second person/);
    expect(await ok('admin2', 'POST', `/api/v1/schedules/${emergency.id}/approve`)).toMatchObject({ approval: 'approved', deviceCount: 1 });
  });

  it('rejects a pending schedule with a reason; it never reaches a device', async () => {
    const s = await ok<{ id: string }>('operator', 'POST', '/api/v1/schedules', { contentId: ids.content, startAt: future(200), targets: { areas: ['01'] }, acceptConflicts: true });
    expect((await call('approver', 'POST', `/api/v1/schedules/${s.id}/reject`, {})).status).toBe(400);
    const rejected = await ok('approver', 'POST', `/api/v1/schedules/${s.id}/reject`, { reason: 'sai giờ' });
    expect(rejected).toMatchObject({ approval: 'rejected', rejectedReason: 'sai giờ', deviceCount: 3 });
    expect(await deliveries(s.id)).toHaveLength(0);
    // Kept pending for the queue check below.
    const waiting = await ok<{ id: string }>('operator', 'POST', '/api/v1/schedules', { contentId: ids.content, startAt: future(230), targets: { areas: ['001'] }, acceptConflicts: true });
    pending.schedules.add(waiting.id);
  });

  it('counts the devices a pending schedule would reach, a scoped reader only its own, without queuing any', async () => {
    const s = await ok<{ id: string; approval: string; deviceCount: number }>('operator', 'POST', '/api/v1/schedules', {
      contentId: ids.content,
      startAt: future(260),
      targets: { areas: ['001'], devices: ['brd-b'] },
      acceptConflicts: true,
    });
    expect(s).toMatchObject({ approval: 'pending', deviceCount: 3 });
    expect(await deliveries(s.id)).toHaveLength(0);
    expect(await ok('admin', 'GET', `/api/v1/schedules/${s.id}`)).toMatchObject({ deviceCount: 3 });
    // Approver-b's subtree (00005) holds brd-b only.
    expect(await ok('approver-b', 'GET', `/api/v1/schedules/${s.id}`)).toMatchObject({ approval: 'pending', deviceCount: 1 });
    const listed = (await ok<Array<{ id: string; deviceCount: number }>>('approver-b', 'GET', '/api/v1/schedules')).find((x) => x.id === s.id);
    expect(listed?.deviceCount).toBe(1);
    const queued = (await ok<{ schedules: Array<{ id: string; deviceCount: number }> }>('approver', 'GET', '/api/v1/approvals')).schedules.find((x) => x.id === s.id);
    expect(queued?.deviceCount).toBe(3);
    // Cancelled, it reaches nothing any more (and leaves the queue check below alone).
    expect(await ok('operator', 'POST', `/api/v1/schedules/${s.id}/cancel`)).toMatchObject({ status: 'cancelled', deviceCount: 0 });
  });

  it('keeps a widening edit approved when its editor may approve it, except under the two-person rule', async () => {
    type Saved = { id: string; approval: string; approvedBy: string | null; deviceCount: number; approvalReasons: string[] };
    const byAdmin = await ok<Saved>('operator', 'POST', '/api/v1/schedules', { contentId: ids.content, startAt: future(300), targets: { areas: ['00004'] }, acceptConflicts: true });
    expect(byAdmin).toMatchObject({ approval: 'not-required', deviceCount: 1 });
    const widened = await ok<Saved>('admin', 'PATCH', `/api/v1/schedules/${byAdmin.id}`, { targets: { areas: ['001'] }, acceptConflicts: true });
    expect(widened).toMatchObject({ approval: 'approved', approvedBy: userIds.admin, deviceCount: 2 });
    expect(widened.approvalReasons[0]).toMatch(/district/);
    expect(await deliveries(byAdmin.id)).toHaveLength(2);

    const byOperator = await ok<Saved>('operator', 'POST', '/api/v1/schedules', { contentId: ids.content, startAt: future(330), targets: { areas: ['00004'] }, acceptConflicts: true });
    const held = await ok<Saved>('operator', 'PATCH', `/api/v1/schedules/${byOperator.id}`, { targets: { areas: ['001'] }, acceptConflicts: true });
    expect(held).toMatchObject({ approval: 'pending', approvedBy: null, deviceCount: 2 });
    expect(await deliveries(byOperator.id)).toHaveLength(0);

    // Raising to emergency widens it too, and an emergency needs a second person whoever edits it.
    const emergency = await ok<Saved>('admin', 'PATCH', `/api/v1/schedules/${byAdmin.id}`, { priority: 'emergency', acceptConflicts: true });
    expect(emergency).toMatchObject({ approval: 'pending', approvedBy: null, deviceCount: 2 });
    expect(await deliveries(byAdmin.id)).toHaveLength(0);

    for (const id of [byAdmin.id, byOperator.id]) await ok('operator', 'POST', `/api/v1/schedules/${id}/cancel`);
  });

  it('keeps an alert off the channel until a second person confirms it', async () => {
    const c = mqtt.connect(t.mqttUrl, { clientId: 'brd-a', username: 'brd-a', password: secrets['brd-a'], reconnectPeriod: 0, connectTimeout: 5000, clean: true });
    clients.push(c);
    await new Promise<void>((resolve, reject) => {
      c.once('connect', () => resolve());
      c.once('error', reject);
    });
    const received: string[] = [];
    c.on('message', (topic, p) => topic === areaTopic('00004', 'alert') && p.length > 0 && received.push(p.toString()));

    const created = await call<{ id: string; status: string; createdBy: string }>('operator', 'POST', '/api/v1/alerts', { areaCode: '00004', title: 'Lũ quét', text: 'Sơ tán' });
    expect(created.status).toBe(202);
    expect(created.body.status).toBe('pending');
    const id = created.body.id;
    // A retained alert would arrive right after subscribing; that nothing came before the confirmation is proven
    // below, by what arrives in order on this topic.
    await c.subscribeAsync(areaTopic('00004', 'alert'), { qos: 1 });

    const same = await call<{ message: string }>('operator', 'POST', `/api/v1/alerts/${id}/confirm`);
    expect(same.status).toBe(409);
    expect(same.body.message).toMatch(/second person/);
    expect((await call('approver-b', 'POST', `/api/v1/alerts/${id}/confirm`)).status).toBe(403);
    expect(received).toHaveLength(0);

    const confirmed = await call<{ status: string; confirmedBy: string | null }>('approver', 'POST', `/api/v1/alerts/${id}/confirm`);
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.status).toBe('active');
    expect(confirmed.body.confirmedBy).not.toBeNull();
    expect((await call('admin', 'POST', `/api/v1/alerts/${id}/confirm`)).status).toBe(409);
    // Its publication is the confirmation's fan-out job; withdrawing it before the job ran would rightly publish
    // only the cancellation, so the job is waited for.
    const job = (confirmed.body as unknown as { fanout: { id: string } | null }).fanout;
    expect(job).not.toBeNull();
    await fanoutDone((m, u, b) => call('admin', m, u, b), job!.id);
    // Withdrawn: its cancellation is the last message on the topic, so once it is here every earlier publication of
    // this alert has arrived too (one topic, in order): exactly one, the confirmed one.
    expect((await call('admin', 'POST', `/api/v1/alerts/${id}/cancel`)).status).toBe(200);
    const isCancel = (m: string) => /msgType\\?":\\?"cancel/.test(m);
    for (let i = 0; i < 600 && !received.some(isCancel); i++) await new Promise((r) => setTimeout(r, 50));
    expect(received.filter(isCancel)).toHaveLength(1);
    const published = received.filter((m) => !isCancel(m));
    expect(published).toHaveLength(1);
    expect(published[0]).toContain(id);

    // A pending one can be cancelled; one stays pending for the queue.
    const dropped = await ok<{ id: string }>('operator', 'POST', '/api/v1/alerts', { areaCode: '00006', title: 'Nhầm', text: 'x' });
    expect(await ok('operator', 'POST', `/api/v1/alerts/${dropped.id}/cancel`)).toMatchObject({ status: 'cancelled' });
    expect((await call('admin', 'POST', `/api/v1/alerts/${dropped.id}/confirm`)).status).toBe(409);
    const waiting = await ok<{ id: string }>('operator', 'POST', '/api/v1/alerts', { areaCode: '00006', title: 'Bão', text: 'y' });
    pending.alerts.add(waiting.id);
  });

  it('lists exactly what is pending in the user\'s scope', async () => {
    const outside = await ok<{ id: string }>('operator', 'POST', '/api/v1/alerts', { areaCode: '00005', title: 'Xã B', text: 'z' });
    type Queue = { contents: Array<{ id: string }>; schedules: Array<{ id: string }>; alerts: Array<{ id: string }>; counts: Record<string, number> };
    const ids = (q: Queue) => ({ contents: q.contents.map((c) => c.id).sort(), schedules: q.schedules.map((s) => s.id).sort(), alerts: q.alerts.map((a) => a.id).sort() });
    const all = await ok<Queue>('approver', 'GET', '/api/v1/approvals');
    expect(ids(all)).toEqual({ contents: [...pending.contents].sort(), schedules: [...pending.schedules].sort(), alerts: [...pending.alerts, outside.id].sort() });
    expect(all.counts).toEqual({ contents: 1, schedules: 1, alerts: 2 });
    const b = await ok<Queue>('approver-b', 'GET', '/api/v1/approvals');
    expect(ids(b)).toEqual({ contents: [...pending.contents], schedules: [], alerts: [outside.id] });
    expect(b.counts).toEqual({ contents: 1, schedules: 0, alerts: 1 });
  });
});

describe.each(DATABASES)('pending schedules in the scheduling engine on %s', (_name, open) => {
  const NOW = Date.parse('2026-11-23T00:00:00Z');
  const DAY = 86_400_000;
  let db: TestDatabase;
  let clock: FixedClock;
  let g: ReturnType<typeof schedulingGraph>;

  beforeEach(async () => {
    db = await open();
    const ds = db.dataSource;
    const province = await seedArea(ds, '01', null, 'province');
    await seedArea(ds, '00004', province);
    await seedDevice(ds, 'spk-a1', '00004');
    await seedAudioContent(ds, 'audio-1', 3000);
    clock = new FixedClock(NOW);
    g = schedulingGraph(ds, clock, testConfig({ LOA_APPROVAL_RULES_DEFAULT: 'standard' }), new RecordingBroker());
  });
  afterEach(() => db.close());

  it('neither rolls the horizon nor reconciles devices for a pending schedule, and approval materialises it', async () => {
    const s = (await g.schedules.create({ contentId: 'audio-1', startAt: NOW + HOUR_MS, rrule: 'FREQ=DAILY', targets: { areas: ['01'] }, priority: 'normal' }, 'someone')) as SaveResult;
    expect(s.approval).toBe('pending');
    const count = () => db.dataSource.getRepository(DeliveryEntity).countBy({ scheduleId: s.id });
    expect(s.deviceCount).toBe(1);
    clock.t += 2 * DAY;
    expect(await g.materializer.rollHorizon()).toEqual([]);
    await seedDevice(db.dataSource, 'spk-a2', '00004');
    expect(await g.materializer.reconcileDevices(['spk-a2'])).toEqual([]);
    expect(await count()).toBe(0);
    // The count follows the targets as they resolve now, still without a delivery.
    expect((await g.schedules.get(s.id)).deviceCount).toBe(2);
    expect(await count()).toBe(0);

    const approved = await g.settle(g.schedules.approve(s.id, 'approver-1'));
    expect(approved).toMatchObject({ approval: 'approved', approvedBy: 'approver-1', deviceCount: 2 });
    expect(await count()).toBeGreaterThan(0);
  });
});
