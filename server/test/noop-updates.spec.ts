import { DATABASES } from './support/databases.js';
import { startTestServerOn, type TestServer } from './support/server.js';
import { fanoutDone } from './support/fanouts.js';

/**
 * Issue 12 item 6: a PATCH that changes nothing is ordinary input. It answered 500 (TypeORM's
 * UpdateValuesMissingError on an empty SET) when every given field equalled the stored value; now every update route
 * answers 200 with the resource unchanged. On SQLite and PostgreSQL.
 */
describe.each(DATABASES)('no-op edits (%s)', (db) => {
  let t: TestServer;
  let close: () => Promise<void>;
  const ids: Record<string, string> = {};

  /** A successful call; a save answering with a fan-out job is awaited until the job has reached the devices. */
  const ok = async <T>(method: string, url: string, body?: unknown): Promise<T> => {
    const r = await t.api<T>(method, url, body);
    if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
    const job = (r.body as { fanout?: { id: string } | null } | undefined)?.fanout;
    if (job) await fanoutDone(t.api, job.id);
    return r.body;
  };
  /** Bookkeeping every edit writes, whatever it changes: its time, the schedule's horizon stamp, the content's edit step. */
  const stable = (v: Record<string, unknown>): Record<string, unknown> => {
    const { updatedAt: _u, generatedUntil: _g, history: _h, ...rest } = v;
    return rest;
  };

  beforeAll(async () => {
    ({ t, close } = await startTestServerOn(db));
    await ok('POST', '/api/v1/areas', { code: '01', name: 'Tỉnh', level: 'province' });
    ids.profile = (await ok<{ id: string }>('POST', '/api/v1/board-profiles', { name: 'LED', width: 192, height: 96 })).id;
    await ok('POST', '/api/v1/devices', { id: 'brd-1', name: 'Bảng 1', kind: 'board', areaCode: '01', tags: ['school', 'market'] });
    await ok('PATCH', '/api/v1/devices/brd-1', { profileId: ids.profile });
    ids.group = (await ok<{ id: string }>('POST', '/api/v1/groups', { name: 'g', deviceIds: ['brd-1'], tagRule: { any: ['school'] } })).id;
    ids.user = (await ok<{ id: string }>('POST', '/api/v1/users', { username: 'op-noop', password: 'password-123', role: 'operator', areaCode: '01' })).id;
    ids.draft = (await ok<{ id: string }>('POST', '/api/v1/contents', { type: 'text', title: 'Nháp', text: 'Xin chào' })).id;
    ids.content = (await ok<{ id: string }>('POST', '/api/v1/contents', { type: 'text', title: 'Tin', text: 'Xin chào', approve: true })).id;
    const startAt = new Date(Date.now() + 2 * 86_400_000).toISOString();
    ids.schedule = (await ok<{ id: string }>('POST', '/api/v1/schedules', { contentId: ids.content, startAt, targets: { devices: ['brd-1'] } })).id;
  });
  afterAll(() => close());

  type Row = [what: string, url: () => string, body: (current: Record<string, unknown>) => unknown];
  const rows: Row[] = [
    ['device: the same tags (other order)', () => '/api/v1/devices/brd-1', () => ({ tags: ['market', 'school'] })],
    ['device: the same areaCode', () => '/api/v1/devices/brd-1', () => ({ areaCode: '01' })],
    ['device: the same profileId', () => '/api/v1/devices/brd-1', () => ({ profileId: ids.profile })],
    ['device: the same name', () => '/api/v1/devices/brd-1', () => ({ name: 'Bảng 1' })],
    ['device: every field the same', () => '/api/v1/devices/brd-1', () => ({ name: 'Bảng 1', areaCode: '01', tags: ['school', 'market'], profileId: ids.profile })],
    ['group: the same name, list and rule', () => `/api/v1/groups/${ids.group}`, () => ({ name: 'g', deviceIds: ['brd-1'], tagRule: { any: ['school'] } })],
    ['user: the same role and area', () => `/api/v1/users/${ids.user}`, () => ({ role: 'operator', areaCode: '01' })],
    ['board profile: the same name and size', () => `/api/v1/board-profiles/${ids.profile}`, () => ({ name: 'LED', width: 192, height: 96 })],
    ['content: the same title', () => `/api/v1/contents/${ids.draft}`, () => ({ title: 'Nháp' })],
    ['schedule: the same priority and start', () => `/api/v1/schedules/${ids.schedule}`, (c) => ({ priority: c.priority, startAt: c.startAt })],
  ];

  it.each(rows)('%s → 200, unchanged', async (_what, url, body) => {
    const before = await ok<Record<string, unknown>>('GET', url());
    const r = await t.api<Record<string, unknown>>('PATCH', url(), body(before));
    expect({ status: r.status, body: r.body }).toMatchObject({ status: 200 });
    const after = await ok<Record<string, unknown>>('GET', url());
    expect(stable(after)).toEqual(stable(before));
  });
});
