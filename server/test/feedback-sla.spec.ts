import { FEEDBACK_SETTINGS_KEY, formatError, feedbackOptionsSchema, feedbackSettingsViewSchema, feedbackWorkingDaysViewSchema, type FeedbackOptions, type FeedbackSettings, type FeedbackSettingsView, type FeedbackSmsSettings, type FeedbackWorkingDaysView } from '@loa/shared/rest';
import { Clock } from '../src/common/clock.js';
import { AppConfig } from '../src/config/app-config.js';
import { FeedbackSettingsRepository } from '../src/feedback/feedback-settings.repository.js';
import { DEFAULT_FEEDBACK_SETTINGS, FeedbackSettingsService } from '../src/feedback/feedback-settings.service.js';
import { FEEDBACK_AUTO_CLOSE_JOB, FEEDBACK_OVERDUE_JOB, FEEDBACK_RETENTION_JOB } from '../src/feedback/feedback.jobs.js';
import { JobScheduler } from '../src/jobs/job-scheduler.js';
import type { AppLogger } from '../src/logging/logger.js';
import { LOGGER } from '../src/logging/logging.module.js';
import { startTestServerOn, type TestServer } from './support/server.js';
import { until } from './support/until.js';

const H = 3_600_000;
/** An instant given as Vietnam wall-clock time (the test server's zone is the default, Asia/Ho_Chi_Minh). */
const vn = (s: string): number => Date.parse(`${s}:00+07:00`);

const SMS: FeedbackSmsSettings = {
  inbound: {
    enabled: true,
    mapping: { from: 'msisdn', text: 'message', messageId: 'id' },
    signatureHeader: 'x-signature',
    defaultAreaCode: null,
    defaultCategory: 'khac',
  },
  outbound: { enabled: true, url: 'https://sms.example.vn/send', method: 'POST', headers: { authorization: 'Bearer {{secret}}' }, bodyTemplate: '{"to":{{to}},"text":{{text}}}' },
};
const INBOUND_SECRET = 'inbound-secret-0123456789abcdef';
const OUTBOUND_SECRET = 'outbound-secret-xyz';

/**
 * Issue 17: the feedback settings (admin API, stored in the settings table), the SLA clock in working hours with
 * Vietnamese holidays, the calendar view, and the periodic jobs, on both databases.
 */
describe.each(['sqlite', 'postgres'])('feedback settings and SLA clock on %s', (db) => {
  let t: TestServer;
  let close: () => Promise<void>;
  let officer = '';
  let service: FeedbackSettingsService;

  const call = async <T = Record<string, unknown>>(token: string, method: string, url: string, body?: unknown): Promise<{ status: number; body: T; text: string }> => {
    const res = await fetch(t.baseUrl + url, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, text };
  };
  const admin = <T = Record<string, unknown>>(method: string, url: string, body?: unknown) => call<T>(t.token, method, url, body);
  const withSettings = (over: Partial<FeedbackSettings>): FeedbackSettings => ({ ...DEFAULT_FEEDBACK_SETTINGS, ...over });

  beforeAll(async () => {
    ({ t, close } = await startTestServerOn(db));
    service = t.server.app.get(FeedbackSettingsService);
    expect((await admin('POST', '/api/v1/areas', { code: '01', name: 'Tỉnh', level: 'province' })).status).toBe(201);
    expect((await admin('POST', '/api/v1/areas', { code: '00004', name: 'Xã A', level: 'commune', parentCode: '01' })).status).toBe(201);
    expect((await admin('POST', '/api/v1/users', { username: 'officer', password: 'password-123', role: 'commune_officer', areaCode: '00004' })).status).toBe(201);
    officer = (await call<{ accessToken: string }>('', 'POST', '/api/v1/auth/login', { username: 'officer', password: 'password-123' })).body.accessToken;
  });
  afterAll(() => close());

  describe('the SLA clock (default settings: Mon–Fri, 07:30–11:30 and 13:30–17:00)', () => {
    it('crosses a weekend: received Friday 16:30, acknowledged within 8 working hours → Monday 17:00', async () => {
      const s = await service.get();
      const d = service.deadlines('normal', vn('2026-03-06T16:30'), s);
      expect(new Date(d.ackDueAt).toISOString()).toBe(new Date(vn('2026-03-09T17:00')).toISOString());
      // 80 working hours: half an hour on Friday, ten days of 7.5 h, then 4.5 h on Monday 23.
      expect(service.workingMsBetween(vn('2026-03-06T16:30'), d.answerDueAt, s)).toBe(80 * H);
      expect(d.answerDueAt).toBe(vn('2026-03-23T14:00'));
    });

    it('crosses Tết 2026: received Friday 13 February 16:30 → due Monday 23 February, after the holiday', async () => {
      const d = service.deadlines('normal', vn('2026-02-13T16:30'), await service.get());
      expect(d.ackDueAt).toBe(vn('2026-02-23T17:00'));
    });

    it('counts on an urgent item day and night: received 22:00, handled within 4 hours → 02:00', async () => {
      const d = service.deadlines('urgent', vn('2026-03-07T22:00'), await service.get());
      expect(d.ackDueAt).toBe(vn('2026-03-07T23:00'));
      expect(d.answerDueAt).toBe(vn('2026-03-08T02:00'));
    });

    it('counts a make-up workday saved in the settings (Saturday 7 March worked)', async () => {
      const settings = withSettings({ holidays: { builtIn: true, extra: ['2026-03-09'], workdays: ['2026-03-07'] } });
      expect((await admin('PUT', '/api/v1/feedback/settings', { settings })).status).toBe(200);
      // This instance's write drops its cache at once.
      const s = await service.get();
      expect(s.holidays.workdays).toEqual(['2026-03-07']);
      expect(service.deadlines('normal', vn('2026-03-06T16:30'), s).ackDueAt).toBe(vn('2026-03-07T17:00'));
      expect(service.deadlines('normal', vn('2026-03-07T16:30'), s).ackDueAt).toBe(vn('2026-03-10T17:00'));
      expect((await admin('PUT', '/api/v1/feedback/settings', { settings: DEFAULT_FEEDBACK_SETTINGS })).status).toBe(200);
    });
  });

  describe('GET/PUT /api/v1/feedback/settings', () => {
    it('reaches the settings controller (not the items’ :id route) and serves the defaults', async () => {
      const r = await admin<FeedbackSettingsView>('GET', '/api/v1/feedback/settings');
      expect(r.status).toBe(200);
      const view = feedbackSettingsViewSchema.parse(r.body);
      expect(view.settings).toEqual(DEFAULT_FEEDBACK_SETTINGS);
      expect(view.sms).toBeNull();
      expect(view.smsInboundSecretSet).toBe(false);
      expect(view.smsWebhookUrl).toBe(`${t.baseUrl}/api/v1/feedback/sms/inbound`);
    });

    it('refuses bad documents with 400 and the reasons', async () => {
      const backwards = await admin<{ message: string[] }>('PUT', '/api/v1/feedback/settings', {
        settings: withSettings({ workingHours: { days: [1, 2, 3, 4, 5], periods: [['07:30', '11:30'], ['17:00', '13:30']] } }),
      });
      expect(backwards.status).toBe(400);
      expect(backwards.body.message.join(' ')).toContain('settings.workingHours.periods.1: the end (13:30) must be after the start (17:00)');

      const duplicate = await admin<{ message: string[] }>('PUT', '/api/v1/feedback/settings', {
        settings: withSettings({ categories: [{ code: 'khac', label: 'Khác' }, { code: 'khac', label: 'Khác nữa' }] }),
      });
      expect(duplicate.status).toBe(400);
      expect(duplicate.body.message.join(' ')).toContain('settings.categories: "khac" is listed twice');

      const schema = await admin<{ message: string[] }>('PUT', '/api/v1/feedback/settings', { settings: withSettings({ workingHours: { days: [8], periods: [['7:30', '11:30']] } }) });
      expect(schema.status).toBe(400);
      expect(schema.body.message.join(' ')).toMatch(/days[\s\S]*periods|periods[\s\S]*days/);

      const overlap = await admin<{ message: string[] }>('PUT', '/api/v1/feedback/settings', {
        settings: withSettings({ workingHours: { days: [1, 2, 3, 4, 5], periods: [['07:30', '12:00'], ['11:00', '17:00']] } }),
      });
      expect(overlap.status).toBe(400);
      expect(overlap.body.message.join(' ')).toContain('overlap');

      const shortSecret = await admin('PUT', '/api/v1/feedback/settings', { smsInboundSecret: 'short' });
      expect(shortSecret.status).toBe(400);

      const noSecret = await admin<{ message: string[] }>('PUT', '/api/v1/feedback/settings', { sms: SMS });
      expect(noSecret.status).toBe(400);
      expect(noSecret.body.message.join(' ')).toContain('smsInboundSecret');

      // Nothing of the refused documents was stored.
      expect((await admin<FeedbackSettingsView>('GET', '/api/v1/feedback/settings')).body.settings).toEqual(DEFAULT_FEEDBACK_SETTINGS);
    });

    it('round-trips settings and SMS gateway settings; secrets are kept, never shown, and cleared by null', async () => {
      const settings = withSettings({
        departments: [{ code: 'dia-chinh', label: 'Địa chính - Xây dựng' }],
        sla: { normal: { ackHours: 4, answerHours: 40, clock: 'working' }, urgent: { ackHours: 1, answerHours: 2, clock: 'calendar' }, complex: { ackHours: 8, answerHours: 160, clock: 'working' } },
        villages: { '00004': ['Thôn Đông', 'Thôn Tây'] },
        retentionDays: 730,
      });
      const put = await admin<FeedbackSettingsView>('PUT', '/api/v1/feedback/settings', { settings, sms: SMS, smsInboundSecret: INBOUND_SECRET, smsOutboundSecret: OUTBOUND_SECRET });
      expect(put.status).toBe(200);
      expect(put.text).not.toContain(INBOUND_SECRET);
      expect(put.text).not.toContain(OUTBOUND_SECRET);
      const view = feedbackSettingsViewSchema.parse(put.body);
      expect(view).toMatchObject({ settings, sms: SMS, smsInboundSecretSet: true, smsOutboundSecretSet: true });

      const got = await admin<FeedbackSettingsView>('GET', '/api/v1/feedback/settings');
      expect(got.text).not.toContain(INBOUND_SECRET);
      expect(got.text).not.toContain(OUTBOUND_SECRET);
      expect(got.body).toEqual(put.body);
      expect(await service.sms()).toEqual({ settings: SMS, inboundSecret: INBOUND_SECRET, outboundSecret: OUTBOUND_SECRET });
      // Every officer reads what they choose from (categories, departments, the SMS syntax), never the settings.
      const options = await call<FeedbackOptions>(officer, 'GET', '/api/v1/feedback/options');
      expect(options.status).toBe(200);
      expect(feedbackOptionsSchema.parse(options.body)).toEqual({ categories: settings.categories, departments: [{ code: 'dia-chinh', label: 'Địa chính - Xây dựng' }], smsSyntax: expect.stringMatching(/^XA /) });
      expect(options.text).not.toContain(INBOUND_SECRET);

      // A part left out is kept; a null secret is cleared.
      const clear = await admin<FeedbackSettingsView>('PUT', '/api/v1/feedback/settings', { sms: { ...SMS, inbound: { ...SMS.inbound, enabled: false } }, smsInboundSecret: null });
      expect(clear.status).toBe(200);
      expect(clear.body).toMatchObject({ settings, smsInboundSecretSet: false, smsOutboundSecretSet: true });
      expect(await service.sms()).toMatchObject({ inboundSecret: null, outboundSecret: OUTBOUND_SECRET });
      expect((await call<FeedbackOptions>(officer, 'GET', '/api/v1/feedback/options')).body.smsSyntax).toBeNull();

      // The change is audited under its name, without the secrets.
      const audit = await until(
        'the settings update in the audit log',
        () => admin<{ items?: unknown[] } | unknown[]>('GET', '/api/v1/audit?action=feedback.settings-update'),
        (r) => r.status === 200 && JSON.stringify(r.body).includes('feedback.settings-update') && JSON.stringify(r.body).includes('dia-chinh'),
      );
      expect(audit.text).not.toContain(INBOUND_SECRET);
      expect(audit.text).not.toContain(OUTBOUND_SECRET);

      expect((await admin('PUT', '/api/v1/feedback/settings', { settings: DEFAULT_FEEDBACK_SETTINGS, sms: null, smsOutboundSecret: null })).status).toBe(200);
    });

    it('falls back to the defaults, with a warning, when the stored document is unreadable (never a 500)', async () => {
      const repo = t.server.app.get(FeedbackSettingsRepository);
      const warnings: unknown[] = [];
      const logger = t.server.app.get<AppLogger>(LOGGER);
      const spy = { ...logger, warn: (...args: unknown[]) => void warnings.push(args) } as unknown as AppLogger;
      const fresh = new FeedbackSettingsService(repo, t.server.app.get(AppConfig), t.server.app.get(Clock), spy);
      await repo.put(FEEDBACK_SETTINGS_KEY, { settings: { categories: 'none' }, sms: { inbound: 1 }, smsOutboundSecret: OUTBOUND_SECRET }, null, 0);
      expect(await fresh.get()).toEqual(DEFAULT_FEEDBACK_SETTINGS);
      expect(await fresh.sms()).toEqual({ settings: null, inboundSecret: null, outboundSecret: OUTBOUND_SECRET });
      expect(warnings).toHaveLength(2);
      await repo.put(FEEDBACK_SETTINGS_KEY, { settings: withSettings({ workingHours: { days: [1], periods: [['10:00', '09:00']] } }) }, null, 0);
      const again = new FeedbackSettingsService(repo, t.server.app.get(AppConfig), t.server.app.get(Clock), spy);
      expect(await again.get()).toEqual(DEFAULT_FEEDBACK_SETTINGS);
      expect(warnings).toHaveLength(3);
      // Put a good document back (through the API: drops the server's own cache).
      expect((await admin('PUT', '/api/v1/feedback/settings', { settings: DEFAULT_FEEDBACK_SETTINGS })).status).toBe(200);
      expect((await admin('GET', '/api/v1/feedback/settings')).status).toBe(200);
    });

    it('is for admins: 403 for a commune officer', async () => {
      expect((await call(officer, 'GET', '/api/v1/feedback/settings')).status).toBe(403);
      expect((await call(officer, 'PUT', '/api/v1/feedback/settings', { settings: DEFAULT_FEEDBACK_SETTINGS })).status).toBe(403);
      expect((await call('', 'GET', '/api/v1/feedback/settings')).status).toBe(401);
    });
  });

  describe('GET /api/v1/feedback/calendar', () => {
    it('lists Tết 2026 with its Vietnamese names, to any signed-in role', async () => {
      const r = await call<FeedbackWorkingDaysView>(officer, 'GET', '/api/v1/feedback/calendar?from=2026-02-13&to=2026-02-23');
      expect(r.status).toBe(200);
      const { days } = feedbackWorkingDaysViewSchema.parse(r.body);
      expect(days.map((d) => d.date)).toEqual(['2026-02-13', '2026-02-14', '2026-02-15', '2026-02-16', '2026-02-17', '2026-02-18', '2026-02-19', '2026-02-20', '2026-02-21', '2026-02-22', '2026-02-23']);
      expect(days.filter((d) => d.working).map((d) => d.date)).toEqual(['2026-02-13', '2026-02-23']);
      expect(days.filter((d) => d.holiday).map((d) => [d.date, d.holiday])).toEqual([
        ['2026-02-16', 'Tết Nguyên đán (ngày cuối năm Âm lịch)'],
        ['2026-02-17', 'Tết Nguyên đán (mùng 1 tháng Giêng)'],
        ['2026-02-18', 'Tết Nguyên đán (mùng 2 tháng Giêng)'],
        ['2026-02-19', 'Tết Nguyên đán (mùng 3 tháng Giêng)'],
        ['2026-02-20', 'Tết Nguyên đán (mùng 4 tháng Giêng)'],
      ]);
    });

    it('serves a year and refuses more than 400 days, a reversed range and bad dates with 400', async () => {
      const year = await admin<FeedbackWorkingDaysView>('GET', '/api/v1/feedback/calendar?from=2026-01-01&to=2026-12-31');
      expect(year.body.days).toHaveLength(365);
      expect(year.body.days.filter((d) => d.holiday !== null)).toHaveLength(12);
      type Coded = { code: string; params: Record<string, string | number>; message: string };
      const refused = async (q: string) => {
        const r = await admin<Coded>('GET', `/api/v1/feedback/calendar?${q}`);
        return [r.status, r.body.code, r.body.params];
      };
      expect(await refused('from=2026-01-01&to=2027-02-05')).toEqual([400, 'feedback.calendar-too-long', { max: 400 }]);
      expect(await refused('from=2026-02-10&to=2026-02-01')).toEqual([400, 'feedback.calendar-order', { from: '2026-02-10', to: '2026-02-01' }]);
      const bad = await admin<Coded>('GET', '/api/v1/feedback/calendar?from=2026-02-30&to=2026-03-01');
      expect([bad.status, bad.body.code, bad.body.params]).toEqual([400, 'feedback.calendar-date-invalid', { field: 'from', value: '2026-02-30' }]);
      expect([bad.body.message, formatError(bad.body.code, bad.body.params, 'vi')]).toEqual(['from: "2026-02-30" is not a calendar date', 'from: "2026-02-30" không phải ngày hợp lệ.']);
      expect((await admin('GET', '/api/v1/feedback/calendar?from=2026-02-01')).status).toBe(400);
      expect((await call('', 'GET', '/api/v1/feedback/calendar?from=2026-02-01&to=2026-02-02')).status).toBe(401);
    });
  });

  it('schedules the feedback jobs on the leader and runs them by name', async () => {
    const jobs = t.server.app.get(JobScheduler);
    expect(jobs.names()).toEqual(expect.arrayContaining([FEEDBACK_OVERDUE_JOB, FEEDBACK_AUTO_CLOSE_JOB, FEEDBACK_RETENTION_JOB]));
    for (const name of [FEEDBACK_OVERDUE_JOB, FEEDBACK_AUTO_CLOSE_JOB, FEEDBACK_RETENTION_JOB]) expect(await jobs.runNow(name)).toBe('done');
  });
});
