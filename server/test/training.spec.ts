import { DataSource } from 'typeorm';
import { lessonsForRole, trainingReportSchema, trainingSharePayloadSchema, type ExchangeDetail, type ExchangePage, type SourcePeerCreated, type TrainingReport, type TrainingSharePayload, type UserView } from '@loa/shared/rest';
import type { UserPrincipal } from '../src/auth/principal.js';
import { ScopeService } from '../src/auth/area-scope.js';
import { ScopeRepository } from '../src/auth/scope.repository.js';
import { errorCodeOf } from '../src/common/loa-error.js';
import { PracticeSandboxes, type PracticeSeedSpec, type SandboxActor, type SandboxConnection, type SandboxResponse, type SandboxStatus } from '../src/practice/practice-sandboxes.js';
import { UpFeeds } from '../src/source-system/up-feeds.js';
import { TrainingRecordEntity } from '../src/training/training.entities.js';
import { TrainingMembership } from '../src/training/training-membership.js';
import { TrainingRepository } from '../src/training/training.repository.js';
import { TrainingService } from '../src/training/training.service.js';
import { UserEntity } from '../src/users/user.entity.js';
import { StandInSource } from '../../test/support/stand-in-source.js';
import { DATABASES, type TestDatabase } from './support/databases.js';
import { FixedClock, seedArea } from './support/fixtures.js';
import { startTestServerOn, type TestServer } from './support/server.js';

/** What one practice sandbox holds, as far as the lesson checks read it. */
interface FakeSandbox {
  users: Map<string, string>; // username → the mirrored user's id inside the sandbox
  schedules: Array<Record<string, unknown>>;
  alerts: Array<Record<string, unknown>>;
  devices: Array<{ id: string; kind: string; areaCode: string }>;
  commands: Map<string, Array<Record<string, unknown>>>;
  lastSelfTest: Map<string, { at: string }>;
  faults: Map<string, string>;
}

/**
 * A fake of the practice runtime's port: each sandbox is an in-memory model answering the few routes the checks
 * read, so a check's pass and fail cases are decided by what the test puts in the sandbox.
 */
class FakeSandboxes extends PracticeSandboxes {
  readonly boxes = new Map<string, FakeSandbox>();
  readonly ensured: Array<{ sandboxId: string; seed: PracticeSeedSpec }> = [];
  readonly resets: Array<{ sandboxId: string; seed?: PracticeSeedSpec }> = [];
  readonly requests: Array<{ sandboxId: string; username: string; method: string; path: string }> = [];
  down = false;

  box(id: string): FakeSandbox {
    let b = this.boxes.get(id);
    if (!b) this.boxes.set(id, (b = { users: new Map(), schedules: [], alerts: [], devices: [], commands: new Map(), lastSelfTest: new Map(), faults: new Map() }));
    return b;
  }

  async status(sandboxId: string): Promise<SandboxStatus> {
    return this.statusOf(sandboxId);
  }

  private statusOf(sandboxId: string): SandboxStatus {
    return { sandboxId, state: 'ready', instanceId: 'test', httpPort: 1, mqttPort: 1, startedAt: null, lastUsedAt: null, restarts: 0 };
  }

  async ensure(sandboxId: string, seed: PracticeSeedSpec): Promise<SandboxStatus> {
    if (this.down) throw new Error('practice instance did not start');
    this.ensured.push({ sandboxId, seed });
    return this.statusOf(sandboxId);
  }

  async reset(sandboxId: string, seed?: PracticeSeedSpec): Promise<SandboxStatus> {
    this.resets.push({ sandboxId, seed });
    this.boxes.delete(sandboxId);
    return this.statusOf(sandboxId);
  }

  async stop(): Promise<void> {}

  async connect(): Promise<SandboxConnection> {
    throw new Error('the lesson checks never connect: they call request');
  }

  async request(sandboxId: string, asUser: SandboxActor, method: string, path: string, body?: unknown): Promise<SandboxResponse> {
    this.requests.push({ sandboxId, username: asUser.username, method, path });
    const b = this.box(sandboxId);
    const url = new URL(path, 'http://sandbox');
    if (method === 'GET' && url.pathname === '/api/v1/auth/me') return { status: 200, body: { userId: b.users.get(asUser.username) ?? `m-${asUser.username}`, username: asUser.username } };
    if (method === 'GET' && url.pathname === '/api/v1/schedules') return { status: 200, body: b.schedules };
    if (method === 'GET' && url.pathname === '/api/v1/alerts') return { status: 200, body: b.alerts };
    if (method === 'GET' && url.pathname === '/api/v1/devices') {
      const area = url.searchParams.get('areaCode');
      const kind = url.searchParams.get('kind');
      const items = b.devices.filter((d) => (area === null || d.areaCode.startsWith(area)) && (kind === null || d.kind === kind));
      return { status: 200, body: { items, total: items.length } };
    }
    const cmd = /^\/api\/v1\/devices\/([^/]+)\/commands$/.exec(url.pathname);
    if (method === 'GET' && cmd) {
      const items = b.commands.get(decodeURIComponent(cmd[1]!)) ?? [];
      return { status: 200, body: { items, total: items.length } };
    }
    const tests = /^\/api\/v1\/commune\/devices\/([^/]+)\/tests$/.exec(url.pathname);
    if (method === 'GET' && tests) return { status: 200, body: { lastSelfTest: b.lastSelfTest.get(decodeURIComponent(tests[1]!)) ?? null } };
    const fault = /^\/api\/v1\/practice\/devices\/([^/]+)\/fault$/.exec(url.pathname);
    if (method === 'PUT' && fault) {
      b.faults.set(decodeURIComponent(fault[1]!), (body as { fault: string }).fault);
      return { status: 200, body: {} };
    }
    return { status: 404, body: { code: 'http.not-found' } };
  }
}

const principal = (u: UserEntity): UserPrincipal => ({ type: 'user', userId: u.id, username: u.username, role: u.role as UserPrincipal['role'], areaCode: u.areaCode });

async function refusal(p: Promise<unknown>): Promise<{ code: string; params: unknown; status: number }> {
  try {
    await p;
  } catch (err) {
    const c = errorCodeOf(err);
    if (!c) throw err;
    return { ...c, status: (err as { getStatus(): number }).getStatus() };
  }
  throw new Error('expected a refusal');
}

const T0 = Date.parse('2030-05-04T01:00:00Z');
const BULLETIN = 'send-morning-bulletin';

/**
 * Issue 21, training records and classes (SQLite and PostgreSQL): the service against a real database, its lesson
 * checks against a fake of the PracticeSandboxes port.
 */
describe.each(DATABASES)('training records, checks and classes (%s)', (_name, open) => {
  let db: TestDatabase;
  let fake: FakeSandboxes;
  let clock: FixedClock;
  let svc: TrainingService;
  const u: Record<string, UserEntity> = {};
  let classId = '';

  beforeAll(async () => {
    db = await open();
    const ds = db.dataSource;
    const province = await seedArea(ds, '01', null, 'province');
    const d1 = await seedArea(ds, '001', province, 'district');
    const d2 = await seedArea(ds, '002', province, 'district');
    await seedArea(ds, '00001', d1);
    await seedArea(ds, '00002', d1);
    await seedArea(ds, '00003', d2);
    const add = async (username: string, role: string, areaCode: string | null, disabled = false) => {
      const row: UserEntity = { id: `id-${username}`, username, passwordHash: 'x', role, areaCode, createdAt: 0, disabled };
      await ds.getRepository(UserEntity).insert(row);
      u[username] = row;
    };
    await add('root', 'admin', null);
    await add('op001', 'operator', '001');
    await add('op002', 'operator', '002');
    await add('appr001', 'approver', '001');
    await add('officer1', 'commune_officer', '00001');
    await add('officer2', 'commune_officer', '00002');
    await add('officer3', 'commune_officer', '00003');
    await add('gone', 'commune_officer', '00001', true);
    fake = new FakeSandboxes();
    clock = new FixedClock(T0);
    const repo = new TrainingRepository(ds);
    svc = new TrainingService(repo, new TrainingMembership(repo), new ScopeService(new ScopeRepository(ds)), clock, fake);
  }, 120_000);

  afterAll(async () => {
    await db.close();
  });

  it('lists the lessons of the role, each with steps and a check, none completed yet', async () => {
    const lessons = await svc.lessonsFor(principal(u.officer1!));
    expect(lessons.map((l) => l.id)).toEqual(['send-morning-bulletin', 'silent-speaker']);
    expect(lessons[0]).toMatchObject({ completedAt: null, attempts: 0, check: 'bulletin-played', title: { vi: 'Gửi bản tin sáng nay tới xã của tôi' } });
    expect(lessons[0]!.steps.length).toBeGreaterThan(2);
    expect((await svc.lessonsFor(principal(u.op001!))).map((l) => l.id)).toEqual(['send-morning-bulletin', 'silent-speaker', 'flood-alert-two-person', 'district-recurring-schedule']);
  });

  it('the bulletin check says what is missing until the trainee’s approved schedule on its commune has played, then records it once', async () => {
    const me = principal(u.officer1!);
    const box = fake.box(`user-${me.userId}`);
    box.users.set('officer1', 'p-1');
    // Someone else's schedule on the commune, played: not the trainee's work.
    box.schedules.push({ id: 's0', createdBy: 'p-9', status: 'active', approval: 'approved', rrule: null, targets: { areas: ['00001'], groups: [], devices: [] }, occurrences: [{}], summary: { finished: 3 } });
    let r = await svc.check(me, BULLETIN);
    expect(r).toMatchObject({ passed: false, completedAt: null, attempts: 1 });
    expect(r.missing.map((m) => m.en)).toEqual(['No schedule made by you yet.']);

    const mine: { approval: string; targets: Record<string, string[]>; summary: Record<string, number> } & Record<string, unknown> = { id: 's1', createdBy: 'p-1', status: 'active', approval: 'pending', rrule: null, targets: { areas: ['00002'], groups: [], devices: [] }, occurrences: [{}], summary: { delivered: 1 } };
    box.schedules.push(mine);
    expect((await svc.check(me, BULLETIN)).missing.map((m) => m.en)).toEqual(['Your schedule does not target your area.']);
    mine.targets = { areas: ['00001'], groups: [], devices: [] };
    expect((await svc.check(me, BULLETIN)).missing.map((m) => m.en)).toEqual(['The schedule is not approved yet.']);
    mine.approval = 'approved';
    r = await svc.check(me, BULLETIN);
    expect(r.passed).toBe(false);
    expect(r.missing[0]!.vi).toMatch(/Chưa có loa nào phát xong/);
    mine.summary = { finished: 1, failed: 2 };
    r = await svc.check(me, BULLETIN);
    expect(r).toEqual({ lessonId: BULLETIN, passed: true, completedAt: new Date(T0).toISOString(), attempts: 5, missing: [] });

    // Idempotent: a later pass keeps the first completion, one row per user and lesson.
    clock.t = T0 + 3_600_000;
    r = await svc.check(me, BULLETIN);
    expect(r).toMatchObject({ passed: true, completedAt: new Date(T0).toISOString(), attempts: 6 });
    const rows = await db.dataSource.getRepository(TrainingRecordEntity).findBy({ userId: me.userId, lessonId: BULLETIN });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ completedAt: T0, areaCode: '00001', classId: null, attempts: 6 });
    // Every call went to the trainee's own sandbox, as the trainee, seeded with its commune.
    expect(new Set(fake.requests.filter((q) => q.username === 'officer1').map((q) => q.sandboxId))).toEqual(new Set([`user-${me.userId}`]));
    expect(fake.ensured.find((e) => e.sandboxId === `user-${me.userId}`)?.seed).toEqual({ areaCode: '00001', memberUserIds: [me.userId] });
    expect((await svc.lessonsFor(me)).find((l) => l.id === BULLETIN)).toMatchObject({ completedAt: new Date(T0).toISOString(), attempts: 6 });
  });

  it('refuses a lesson of another role and an unknown one', async () => {
    expect(await refusal(svc.check(principal(u.officer1!), 'district-recurring-schedule'))).toMatchObject({ code: 'training.lesson-not-for-role', status: 400 });
    expect(await refusal(svc.check(principal(u.officer1!), 'no-such-lesson'))).toMatchObject({ code: 'training.lesson-not-found', status: 404 });
  });

  it('the silent speaker lesson puts a fault on the first speaker of the area and passes once a self-test came back', async () => {
    const me = principal(u.officer3!);
    const box = fake.box(`user-${me.userId}`);
    box.devices.push({ id: 'v-00003-b', kind: 'speaker', areaCode: '00003' }, { id: 'v-00003-a', kind: 'speaker', areaCode: '00003' }, { id: 'v-00003-0', kind: 'board', areaCode: '00003' });
    const started = await svc.start(me, 'silent-speaker');
    expect(started).toEqual({ lessonId: 'silent-speaker', sandboxId: `user-${me.userId}`, faultedDevices: ['v-00003-a'] });
    expect([...box.faults]).toEqual([['v-00003-a', 'silence']]);
    expect((await svc.check(me, 'silent-speaker')).passed).toBe(false);
    box.commands.set('v-00003-a', [{ type: 'selfTest', state: 'sent', resultAt: null }]);
    expect((await svc.check(me, 'silent-speaker')).missing.map((m) => m.en)).toEqual(['The self-test has not been run on the faulty speaker, or has no result yet.']);
    // A self-test on another speaker does not count.
    box.commands.set('v-00003-b', [{ type: 'selfTest', state: 'done', resultAt: '2030-05-04T01:00:00Z' }]);
    expect((await svc.check(me, 'silent-speaker')).passed).toBe(false);
    // A commune officer's commune page reports the speaker's last self-test.
    box.lastSelfTest.set('v-00003-a', { at: '2030-05-04T01:00:00Z' });
    expect((await svc.check(me, 'silent-speaker')).passed).toBe(true);
    box.lastSelfTest.clear();
    expect((await svc.check(me, 'silent-speaker')).passed).toBe(false);
    box.commands.set('v-00003-a', [{ type: 'selfTest', state: 'done', resultAt: '2030-05-04T01:00:00Z' }]);
    expect((await svc.check(me, 'silent-speaker')).passed).toBe(true);
  });

  it('the flood alert check needs a second person who confirmed it', async () => {
    const me = principal(u.appr001!);
    const box = fake.box(`user-${me.userId}`);
    box.users.set('appr001', 'p-a');
    box.alerts.push({ areaCode: '001', createdBy: 'p-a', confirmedBy: null, status: 'requested' });
    expect((await svc.check(me, 'flood-alert-two-person')).passed).toBe(false);
    box.alerts.push({ areaCode: '001', createdBy: 'p-a', confirmedBy: 'p-a', status: 'active' });
    expect((await svc.check(me, 'flood-alert-two-person')).passed).toBe(false);
    box.alerts.push({ areaCode: '001', createdBy: 'p-x', confirmedBy: 'p-a', status: 'active' });
    expect((await svc.check(me, 'flood-alert-two-person')).passed).toBe(true);
  });

  it('a sandbox that cannot answer is a 503 with its reason, not a failed check', async () => {
    fake.down = true;
    try {
      expect(await refusal(svc.check(principal(u.officer2!), BULLETIN))).toMatchObject({ code: 'training.sandbox-unavailable', status: 503 });
    } finally {
      fake.down = false;
    }
    const repo = new TrainingRepository(db.dataSource);
    const without = new TrainingService(repo, new TrainingMembership(repo), new ScopeService(new ScopeRepository(db.dataSource)), clock);
    expect(await refusal(without.start(principal(u.officer2!), BULLETIN))).toMatchObject({ code: 'training.sandbox-unavailable', status: 503 });
    expect((await svc.lessonsFor(principal(u.officer2!))).find((l) => l.id === BULLETIN)?.completedAt).toBeNull();
  });

  it('classes: an operator creates one in its own district with members of it; progress is members × lessons; reset goes to the class sandbox', async () => {
    const op = principal(u.op001!);
    const body = { name: 'Lớp xã mới', areaCode: '001', lessonIds: [BULLETIN], memberIds: [u.officer1!.id, u.officer2!.id, u.appr001!.id] };
    expect(await refusal(svc.createClass(op, { ...body, areaCode: '002' }))).toMatchObject({ code: 'scope.outside-object', status: 403 });
    expect(await refusal(svc.createClass(op, { ...body, memberIds: [u.officer3!.id] }))).toMatchObject({ code: 'training.member-not-found', status: 400 });
    expect(await refusal(svc.createClass(op, { ...body, memberIds: ['nobody'] }))).toMatchObject({ code: 'training.member-not-found', status: 400 });
    expect(await refusal(svc.createClass(op, { ...body, lessonIds: ['x'] }))).toMatchObject({ code: 'training.lesson-not-found', status: 400 });
    const c = await svc.createClass(op, body);
    classId = c.id;
    expect(c).toMatchObject({ name: 'Lớp xã mới', areaCode: '001', lessonIds: [BULLETIN], sandboxId: `class-${c.id}`, createdBy: op.userId });
    expect(c.memberIds).toEqual([u.appr001!.id, u.officer1!.id, u.officer2!.id].sort());

    expect((await svc.listClasses(op)).map((x) => x.id)).toEqual([c.id]);
    expect((await svc.listClasses(principal(u.root!))).map((x) => x.id)).toEqual([c.id]);
    expect(await svc.listClasses(principal(u.op002!))).toEqual([]);
    expect(await refusal(svc.progress(principal(u.op002!), c.id))).toMatchObject({ code: 'training.class-not-found', status: 404 });
    expect(await refusal(svc.resetClass(principal(u.op002!), c.id))).toMatchObject({ code: 'training.class-not-found', status: 404 });

    // A member's checks now run in the class's shared sandbox, and its record carries the class.
    const officer2 = principal(u.officer2!);
    const shared = fake.box(`class-${c.id}`);
    shared.schedules.push({ id: 's2', createdBy: 'm-officer2', status: 'active', approval: 'approved', rrule: null, targets: { areas: ['00002'], groups: [], devices: [] }, occurrences: [{}], summary: { finished: 1 } });
    expect((await svc.check(officer2, BULLETIN)).passed).toBe(true);
    expect(fake.requests.filter((q) => q.username === 'officer2').at(-1)?.sandboxId).toBe(`class-${c.id}`);
    expect(await db.dataSource.getRepository(TrainingRecordEntity).findOneBy({ userId: officer2.userId, lessonId: BULLETIN })).toMatchObject({ classId: c.id, areaCode: '00002' });

    const progress = await svc.progress(op, c.id);
    expect(progress.lessonIds).toEqual([BULLETIN]);
    expect(progress.members.map((m) => [m.username, m.done, m.completed[BULLETIN] !== null])).toEqual([
      ['appr001', 0, false],
      ['officer1', 1, true],
      ['officer2', 1, true],
    ]);

    await svc.resetClass(op, c.id);
    expect(fake.resets.at(-1)).toEqual({ sandboxId: `class-${c.id}`, seed: { areaCode: '001', memberUserIds: expect.arrayContaining([u.officer1!.id, u.officer2!.id, u.appr001!.id]) } });
  });

  it('reports staff with an account and staff who completed their lesson set, per area, for the reader’s subtree', async () => {
    expect(classId).not.toBe('');
    // 001: op001 (operator set, not done), appr001 (class set, not done), officer1 and officer2 (class set done); `gone` is disabled.
    const r = await svc.report(principal(u.op001!), {});
    expect(r.root).toEqual({ areaCode: '001', areaName: 'Area 001', level: 'district', staff: 4, trained: 2, share: 0.5 });
    expect(r.children).toEqual([
      { areaCode: '00001', areaName: 'Area 00001', level: 'commune', staff: 1, trained: 1, share: 1 },
      { areaCode: '00002', areaName: 'Area 00002', level: 'commune', staff: 1, trained: 1, share: 1 },
    ]);
    expect(r.target).toBe(1);
    // officer3 did the silent speaker lesson only: its role's set has the bulletin too.
    expect((await svc.report(principal(u.officer3!), {})).root).toMatchObject({ areaCode: '00003', staff: 1, trained: 0, share: 0 });
    expect(await refusal(svc.report(principal(u.op002!), { areaCode: '001' }))).toMatchObject({ code: 'area.not-found', status: 404 });
    const all = await svc.report(principal(u.root!), {});
    expect(all.root).toMatchObject({ areaCode: '*', staff: 6, trained: 2 });
    expect(all.children.map((c) => [c.areaCode, c.staff, c.trained])).toEqual([['01', 6, 2]]);

    const up = await svc.upwardShare();
    expect(up).toEqual({
      staff: 6,
      trained: 2,
      share: 2 / 6,
      target: 1,
      areas: [
        { areaCode: '001', areaName: 'Area 001', level: 'district', staff: 4, trained: 2, share: 0.5 },
        { areaCode: '002', areaName: 'Area 002', level: 'district', staff: 2, trained: 0, share: 0 },
      ],
    });
  });
});

/** 09/03/2030 in Vietnam, far from the real clock (the server's own feed job enqueues the real days meanwhile). */
const DAY = '2030-03-09';

/** Issue 21 through the whole server: the report routes and exports, and the trained share in the upward exchange. */
describe.each(DATABASES.map(([name]) => name))('training report and upward exchange (%s)', (db) => {
  const rest = new StandInSource();
  let t: TestServer;
  let close: () => Promise<void>;
  let peerId = '';
  const ok = async <T>(method: string, url: string, body?: unknown): Promise<T> => {
    const r = await t.api<T>(method, url, body);
    if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };

  beforeAll(async () => {
    await rest.start();
    ({ t, close } = await startTestServerOn(db));
    await ok('POST', '/api/v1/areas', { code: '01', name: 'Tỉnh Thử', level: 'province' });
    await ok('POST', '/api/v1/areas', { code: '00001', name: 'Xã Một', level: 'commune', parentCode: '01' });
    await ok('POST', '/api/v1/areas', { code: '00002', name: 'Xã Hai', level: 'commune', parentCode: '01' });
    const one = await ok<UserView>('POST', '/api/v1/users', { username: 'canbo1', password: 'mat-khau-dai-1', role: 'commune_officer', areaCode: '00001' });
    await ok<UserView>('POST', '/api/v1/users', { username: 'canbo2', password: 'mat-khau-dai-2', role: 'commune_officer', areaCode: '00002' });
    // canbo1 completed its role's whole set (as the lesson checks would have recorded it).
    const ds = t.server.app.get(DataSource);
    await ds.getRepository(TrainingRecordEntity).insert(
      lessonsForRole('commune_officer').map((l, i) => ({ id: `r-${i}`, userId: one.id, lessonId: l.id, completedAt: Date.parse('2030-03-08T02:00:00Z'), areaCode: '00001', classId: null, attempts: 1, updatedAt: 0 })),
    );
    const push = { bulletins: false, schedules: false, playoutLog: false, coverage: true, inventory: false, dailyAt: '01:00' };
    peerId = (await ok<SourcePeerCreated>('POST', '/api/v1/source-system/peers', { kind: 'rest', name: 'Hệ thống nguồn', role: 'upper', baseUrl: rest.url, push })).id;
  }, 120_000);

  afterAll(async () => {
    await close?.();
    await rest.close();
  });

  it('answers the report by area and exports it as CSV and XLSX', async () => {
    const r = await ok<TrainingReport>('GET', '/api/v1/reports/training?areaCode=01');
    // The answer is exactly the shared view (zod drops unknown keys, so equality means nothing extra or missing).
    expect(trainingReportSchema.parse(r)).toEqual(r);
    expect(r.root).toMatchObject({ areaCode: '01', areaName: 'Tỉnh Thử', staff: 2, trained: 1, share: 0.5 });
    expect(r.children.map((c) => [c.areaName, c.staff, c.trained, c.share])).toEqual([
      ['Xã Một', 1, 1, 1],
      ['Xã Hai', 1, 0, 0],
    ]);
    const csv = await fetch(`${t.baseUrl}/api/v1/reports/training.csv?areaCode=01`, { headers: { authorization: `Bearer ${t.token}` } });
    expect(csv.status).toBe(200);
    const text = await csv.text();
    expect(text).toContain('Cán bộ có tài khoản,Đã hoàn thành bài học,Tỷ lệ đã tập huấn');
    expect(text).toContain('01,Tỉnh Thử,2,1,50.0%,100%');
    const xlsx = await fetch(`${t.baseUrl}/api/v1/reports/training.xlsx?areaCode=01`, { headers: { authorization: `Bearer ${t.token}` } });
    expect(xlsx.status).toBe(200);
    expect(Buffer.from(await xlsx.arrayBuffer()).subarray(0, 2).toString()).toBe('PK');
    expect((await t.api('GET', '/api/v1/reports/training?areaCode=nope')).status).toBe(404);
  });

  it('carries the trained share in the daily coverage exchange to the upper system', async () => {
    await t.server.app.get(UpFeeds).dailyFeeds(Date.parse('2030-03-09T19:00:00Z'));
    const page = await ok<ExchangePage>('GET', `/api/v1/source-system/exchanges?peerId=${peerId}&limit=500`);
    const x = page.items.find((i) => i.idempotencyKey === `coverage:${DAY}`);
    expect(x).toBeDefined();
    const payload = (await ok<ExchangeDetail>('GET', `/api/v1/source-system/exchanges/${x!.id}`)).payload as { day: string; training: TrainingSharePayload };
    expect(payload.day).toBe(DAY);
    expect(trainingSharePayloadSchema.parse(payload.training)).toEqual(payload.training);
    expect(payload.training).toEqual({
      staff: 2,
      trained: 1,
      share: 0.5,
      target: 1,
      areas: [
        { areaCode: '00001', areaName: 'Xã Một', level: 'commune', staff: 1, trained: 1, share: 1 },
        { areaCode: '00002', areaName: 'Xã Hai', level: 'commune', staff: 1, trained: 0, share: 0 },
      ],
    });
  });
});
