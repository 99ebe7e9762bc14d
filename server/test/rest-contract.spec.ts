import type { z } from 'zod';
import {
  alarmViewSchema,
  alertChangeResultSchema,
  alertViewSchema,
  approvalQueueSchema,
  areaViewSchema,
  boardProfileViewSchema,
  calendarOccurrenceSchema,
  commandCreatedSchema,
  contentViewSchema,
  deliveryViewSchema,
  devicePageSchema,
  deviceViewSchema,
  dryRunResultSchema,
  fanoutViewSchema,
  groupViewSchema,
  loginResultSchema,
  overviewSchema,
  saveResultSchema,
  scheduleSummarySchema,
  scheduleViewSchema,
  userViewSchema,
} from '@loa/shared/rest';
import { ADMIN_PASSWORD, startTestServer, type TestServer } from './support/server.js';
import { fanoutDone } from './support/fanouts.js';

/**
 * The REST views are declared once, in @loa/shared/rest, and the dashboard compiles against those types. Here the
 * real server's answers must be exactly those views: zod drops keys a schema does not name, so a parsed answer equal
 * to the raw one means no field is missing, mistyped or extra, at any depth.
 */
describe('REST answers match the shared contract', () => {
  let t: TestServer;
  const conforms = <S extends z.ZodType>(schema: S, body: unknown): void => {
    expect(schema.parse(body)).toEqual(body);
  };
  const ok = async <T = unknown>(method: string, url: string, body?: unknown): Promise<T> => {
    const res = await t.api<T>(method, url, body);
    if (res.status !== 200 && res.status !== 201) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };

  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('answers areas, devices, users, groups and board profiles as declared', async () => {
    conforms(areaViewSchema, await ok('POST', '/api/v1/areas', { code: '01', name: 'Tỉnh', level: 'province' }));
    const made = await ok<{ device: unknown }>('POST', '/api/v1/devices', { id: 'spk-contract', name: 'Cụm loa', kind: 'speaker', areaCode: '01', tags: ['market'] });
    conforms(deviceViewSchema, made.device);
    const devices = await ok<unknown[]>('GET', '/api/v1/devices');
    expect(devices).toHaveLength(1);
    conforms(deviceViewSchema.array(), devices);
    const page = await ok<{ items: unknown[] }>('GET', '/api/v1/devices?limit=10&q=loa');
    expect(page.items).toHaveLength(1);
    conforms(devicePageSchema, page);
    conforms(userViewSchema.array(), await ok('GET', '/api/v1/users'));
    conforms(groupViewSchema, await ok('POST', '/api/v1/groups', { name: 'Chợ', tagRule: { any: ['market'] } }));
    conforms(boardProfileViewSchema, await ok('POST', '/api/v1/board-profiles', { name: 'LED P10', width: 192, height: 96 }));
    conforms(loginResultSchema, await ok('POST', '/api/v1/auth/login', { username: 'admin', password: ADMIN_PASSWORD }));
  });

  it('answers contents, schedules, deliveries, the calendar, alerts, alarms, approvals and the overview as declared', async () => {
    await ok('POST', '/api/v1/devices', { id: 'board-contract', name: 'Bảng tin', kind: 'board', areaCode: '01' });
    const content = await ok<{ id: string }>('POST', '/api/v1/contents', { type: 'text', title: 'Thông báo', text: 'Họp tổ dân phố', approve: true });
    conforms(contentViewSchema, content);
    const startAt = new Date(Date.now() + 3_600_000).toISOString();
    const schedule = { contentId: content.id, startAt, rrule: 'FREQ=DAILY;COUNT=3', targets: { areas: ['01'] } };
    conforms(dryRunResultSchema, await ok('POST', '/api/v1/schedules', { ...schedule, dryRun: true }));
    const saved = await ok<{ id: string; fanout: { id: string } }>('POST', '/api/v1/schedules', schedule);
    conforms(saveResultSchema, saved);
    conforms(fanoutViewSchema, await fanoutDone(t.api, saved.fanout.id));
    conforms(scheduleViewSchema, await ok('GET', `/api/v1/schedules/${saved.id}`));
    conforms(scheduleSummarySchema, await ok('GET', `/api/v1/schedules/${saved.id}/summary`));
    const deliveries = await ok<unknown[]>('GET', `/api/v1/schedules/${saved.id}/deliveries`);
    expect(deliveries.length).toBeGreaterThan(0);
    conforms(deliveryViewSchema.array(), deliveries);
    const from = new Date(Date.now() - 86_400_000).toISOString();
    const to = new Date(Date.now() + 7 * 86_400_000).toISOString();
    const calendar = await ok<unknown[]>('GET', `/api/v1/schedules/occurrences?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`);
    expect(calendar.length).toBeGreaterThan(0);
    conforms(calendarOccurrenceSchema.array(), calendar);
    const alert = await ok<{ id: string }>('POST', '/api/v1/alerts', { areaCode: '01', title: 'Bão', text: 'Bão số 3' });
    conforms(alertChangeResultSchema, alert);
    conforms(alertViewSchema, await ok('GET', `/api/v1/alerts/${alert.id}`));
    conforms(commandCreatedSchema, await ok('POST', '/api/v1/commands', { command: { type: 'selfTest' }, target: { areaCode: '01' } }));
    conforms(alarmViewSchema.array(), await ok('GET', '/api/v1/alarms'));
    conforms(approvalQueueSchema, await ok('GET', '/api/v1/approvals'));
    conforms(overviewSchema, await ok('GET', '/api/v1/overview'));
  });
});
