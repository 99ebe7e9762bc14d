import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import {
  FEEDBACK_SETTINGS_KEY,
  feedbackSettingsSchema,
  feedbackSmsSettingsSchema,
  type FeedbackPriority,
  type FeedbackSettings,
  type FeedbackSettingsUpdate,
  type FeedbackSettingsView,
  type FeedbackSmsSettings,
  type FeedbackWorkingDaysView,
  type FeedbackOptions,
} from '@loa/shared/rest';
import { Clock } from '../common/clock.js';
import { badRequest } from '../common/loa-error.js';
import { AppConfig } from '../config/app-config.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { FeedbackSettingsRepository } from './feedback-settings.repository.js';
import { dayNumber, isoOfDay } from './vn-holidays.js';
import { WorkingCalendar, normalizePeriods } from './working-time.js';

export const DEFAULT_FEEDBACK_SETTINGS: FeedbackSettings = {
  categories: [
    { code: 'dat-dai', label: 'Đất đai, xây dựng' },
    { code: 'moi-truong', label: 'Môi trường, vệ sinh' },
    { code: 'giao-thong', label: 'Giao thông, hạ tầng' },
    { code: 'an-ninh', label: 'An ninh, trật tự' },
    { code: 'chinh-sach', label: 'Chính sách, an sinh xã hội' },
    { code: 'thu-tuc', label: 'Thủ tục hành chính' },
    { code: 'thong-tin', label: 'Thông tin cơ sở, loa truyền thanh' },
    { code: 'khac', label: 'Khác' },
  ],
  departments: [],
  sla: {
    normal: { ackHours: 8, answerHours: 80, clock: 'working' },
    urgent: { ackHours: 1, answerHours: 4, clock: 'calendar' },
    complex: { ackHours: 8, answerHours: 240, clock: 'working' },
  },
  workingHours: { days: [1, 2, 3, 4, 5], periods: [['07:30', '11:30'], ['13:30', '17:00']] },
  holidays: { builtIn: true, extra: [], workdays: [] },
  retentionDays: 365,
  autoCloseDays: 7,
  limits: { perAddressPerHour: 10, perPhonePerDay: 5, lookupsPerAddressPer10Min: 30 },
  consentText:
    'Tôi đồng ý để Ủy ban nhân dân xã/phường sử dụng họ tên và số điện thoại của tôi để tiếp nhận, xử lý và trả lời ý kiến này, theo Nghị định 13/2023/NĐ-CP về bảo vệ dữ liệu cá nhân.',
  villages: {},
};

export interface SlaDeadlines {
  ackDueAt: number;
  answerDueAt: number;
}

/** What the settings row holds (one JSON document under FEEDBACK_SETTINGS_KEY). Secrets never leave the service but through `sms()`. */
interface StoredFeedbackSettings {
  settings: FeedbackSettings;
  sms: FeedbackSmsSettings | null;
  smsInboundSecret: string | null;
  smsOutboundSecret: string | null;
}

/**
 * How long an instance trusts what it read. Another instance's write is seen within this; this instance's own write
 * at once (the cache is dropped). Short, because officers expect a change of limits to apply "now".
 */
const CACHE_MS = 5_000;
/** The calendar view's longest range (a year and a margin: the dashboard shows a year at most). */
const MAX_CALENDAR_DAYS = 400;
const HOUR_MS = 3_600_000;

/** "YYYY-MM-DD" naming a day that exists (the schema checks the shape only: 2026-02-30 passes it). */
const isCalendarDate = (d: string): boolean => {
  const n = dayNumber(d);
  return Number.isFinite(n) && isoOfDay(n) === d;
};

/**
 * What the schema cannot say about a settings document: periods must run forwards and not overlap, codes and dates
 * must be unique, a day cannot be both off and worked. Each problem as "path: reason", like the schema's own errors.
 */
export function settingsProblems(s: FeedbackSettings): string[] {
  const out: string[] = [];
  s.workingHours.periods.forEach(([a, b], i) => {
    if (b <= a) out.push(`settings.workingHours.periods.${i}: the end (${b}) must be after the start (${a})`);
  });
  const sorted = [...s.workingHours.periods].filter(([a, b]) => b > a).sort((x, y) => (x[0] < y[0] ? -1 : 1));
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i]![0] < sorted[i - 1]![1]) out.push(`settings.workingHours.periods: ${sorted[i - 1]!.join('–')} and ${sorted[i]!.join('–')} overlap`);
  }
  const dupes = (label: string, values: readonly (string | number)[]): void => {
    const seen = new Set<string | number>();
    for (const v of values) {
      if (seen.has(v)) out.push(`${label}: "${v}" is listed twice`);
      seen.add(v);
    }
  };
  dupes('settings.categories', s.categories.map((c) => c.code));
  dupes('settings.departments', s.departments.map((c) => c.code));
  dupes('settings.workingHours.days', s.workingHours.days);
  dupes('settings.holidays.extra', s.holidays.extra);
  dupes('settings.holidays.workdays', s.holidays.workdays);
  for (const d of [...s.holidays.extra, ...s.holidays.workdays]) if (!isCalendarDate(d)) out.push(`settings.holidays: "${d}" is not a calendar date`);
  const workdays = new Set(s.holidays.workdays);
  for (const d of s.holidays.extra) if (workdays.has(d)) out.push(`settings.holidays: "${d}" is both an extra day off and a workday`);
  for (const p of ['normal', 'urgent', 'complex'] as const) {
    if (s.sla[p].ackHours > s.sla[p].answerHours) out.push(`settings.sla.${p}: ackHours (${s.sla[p].ackHours}) must not exceed answerHours (${s.sla[p].answerHours})`);
  }
  return out;
}

/**
 * The feedback settings (categories, limits, working time, holidays, retention, rate limits, the SMS gateway), stored
 * as one JSON document in the `settings` table. Every process reads the database (through a cache of a few seconds),
 * so instances agree without talking to each other. The working-time clock of the limits is built from the settings
 * in force and kept while they stay the same.
 */
@Injectable()
export class FeedbackSettingsService {
  private cache: { at: number; value: StoredFeedbackSettings } | null = null;
  /** Calendars by settings document (the cached object), then by the parts they depend on (a reread equal document). */
  private readonly calendars = new WeakMap<FeedbackSettings, WorkingCalendar>();
  private lastCalendar: { key: string; calendar: WorkingCalendar } | null = null;

  constructor(
    private readonly repo: FeedbackSettingsRepository,
    private readonly config: AppConfig,
    private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  /** The current settings (defaults until an admin saves some). */
  async get(): Promise<FeedbackSettings> {
    return (await this.stored()).settings;
  }

  /** The SMS gateway settings and both secrets, for the intake (inbound webhook) and the notifier (outbound). */
  async sms(): Promise<{ settings: FeedbackSmsSettings | null; inboundSecret: string | null; outboundSecret: string | null }> {
    const s = await this.stored();
    return { settings: s.sms, inboundSecret: s.smsInboundSecret, outboundSecret: s.smsOutboundSecret };
  }

  /** What every officer chooses from (the settings themselves stay admin-only). */
  async options(): Promise<FeedbackOptions> {
    const s = await this.stored();
    const inbound = s.sms?.inbound;
    return {
      categories: s.settings.categories,
      departments: s.settings.departments,
      smsSyntax: inbound?.enabled === true && s.smsInboundSecret !== null ? 'XA <mã xã> <nội dung ý kiến>' : null,
    };
  }

  /** The admin's view: secrets only as set or not; `origin` (of the request) builds the webhook URL without LOA_PUBLIC_HTTP_URL. */
  async view(origin: string): Promise<FeedbackSettingsView> {
    const s = await this.stored();
    return {
      settings: s.settings,
      sms: s.sms,
      smsInboundSecretSet: s.smsInboundSecret !== null,
      smsOutboundSecretSet: s.smsOutboundSecret !== null,
      smsWebhookUrl: `${(this.config.publicHttpUrl ?? origin).replace(/\/+$/, '')}/api/v1/feedback/sms/inbound`,
    };
  }

  /** Replaces the parts given (absent parts and secrets are kept; a null secret is cleared). 400 with every problem. */
  async update(update: FeedbackSettingsUpdate, userId: string, origin: string): Promise<FeedbackSettingsView> {
    if (update.settings) {
      const problems = settingsProblems(update.settings);
      if (problems.length > 0) throw new BadRequestException(problems);
    }
    // Read the stored document itself, not the cache: a write must not resurrect what another instance replaced.
    this.cache = null;
    const current = await this.stored();
    const next: StoredFeedbackSettings = {
      settings: update.settings ?? current.settings,
      sms: update.sms === undefined ? current.sms : update.sms,
      smsInboundSecret: update.smsInboundSecret === undefined ? current.smsInboundSecret : update.smsInboundSecret,
      smsOutboundSecret: update.smsOutboundSecret === undefined ? current.smsOutboundSecret : update.smsOutboundSecret,
    };
    if (next.sms?.inbound.enabled && next.smsInboundSecret === null) {
      throw new BadRequestException(['smsInboundSecret: the inbound webhook cannot be enabled without its secret']);
    }
    await this.repo.put(FEEDBACK_SETTINGS_KEY, next, userId, this.clock.now());
    this.cache = null;
    this.logger.info({ ctx: 'feedback', userId, parts: Object.keys(update).filter((k) => !/secret/i.test(k)) }, 'feedback settings changed');
    return this.view(origin);
  }

  /** The working days and holidays from `from` to `to` (ISO dates, at most 400 days). */
  async workingDays(from: string, to: string): Promise<FeedbackWorkingDaysView> {
    for (const [name, d] of [['from', from], ['to', to]] as const) {
      if (!isCalendarDate(d)) throw badRequest('feedback.calendar-date-invalid', { field: name, value: d });
    }
    const span = dayNumber(to) - dayNumber(from);
    if (span < 0) throw badRequest('feedback.calendar-order', { from, to });
    if (span >= MAX_CALENDAR_DAYS) throw badRequest('feedback.calendar-too-long', { max: MAX_CALENDAR_DAYS });
    return { days: this.calendar(await this.get()).days(from, to) };
  }

  /**
   * The deadlines of an item of this priority received at `receivedAt` (epoch ms), with these settings. Synchronous:
   * the working-time clock of a settings document is built on first use and kept.
   */
  deadlines(priority: FeedbackPriority, receivedAt: number, settings: FeedbackSettings): SlaDeadlines {
    const sla = settings.sla[priority];
    if (sla.clock === 'calendar') return { ackDueAt: receivedAt + sla.ackHours * HOUR_MS, answerDueAt: receivedAt + sla.answerHours * HOUR_MS };
    const cal = this.calendar(settings);
    return { ackDueAt: cal.addWorkingMs(receivedAt, sla.ackHours * HOUR_MS), answerDueAt: cal.addWorkingMs(receivedAt, sla.answerHours * HOUR_MS) };
  }

  /** Working milliseconds between two instants (statistics: time to answer in working hours). */
  workingMsBetween(from: number, to: number, settings: FeedbackSettings): number {
    return this.calendar(settings).workingMsBetween(from, to);
  }

  /** The working-time clock of these settings on the server's zone. */
  calendar(settings: FeedbackSettings): WorkingCalendar {
    const known = this.calendars.get(settings);
    if (known) return known;
    const key = JSON.stringify([settings.workingHours, settings.holidays]);
    let calendar = this.lastCalendar?.key === key ? this.lastCalendar.calendar : null;
    if (!calendar) {
      const { days, periods } = settings.workingHours;
      // A document with no usable period (stored before validation, or built by a caller) counts on the defaults.
      const usable = normalizePeriods(periods).length > 0 ? periods : DEFAULT_FEEDBACK_SETTINGS.workingHours.periods;
      calendar = new WorkingCalendar({ days, periods: usable, ...settings.holidays, zone: this.config.timezone });
      this.lastCalendar = { key, calendar };
    }
    this.calendars.set(settings, calendar);
    return calendar;
  }

  private async stored(): Promise<StoredFeedbackSettings> {
    const now = this.clock.now();
    if (this.cache && now - this.cache.at < CACHE_MS && now >= this.cache.at) return this.cache.value;
    const value = this.parse(await this.repo.get(FEEDBACK_SETTINGS_KEY));
    this.cache = { at: now, value };
    return value;
  }

  /** The stored document, part by part: a part this version cannot read falls back to its default, with a warning. */
  private parse(raw: string | undefined): StoredFeedbackSettings {
    const fallback: StoredFeedbackSettings = { settings: DEFAULT_FEEDBACK_SETTINGS, sms: null, smsInboundSecret: null, smsOutboundSecret: null };
    if (raw === undefined) return fallback;
    let doc: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(raw);
      if (typeof parsed !== 'object' || parsed === null) throw new Error('not an object');
      doc = parsed as Record<string, unknown>;
    } catch (err) {
      this.logger.warn({ ctx: 'feedback', err: (err as Error).message }, 'stored feedback settings are unreadable; using the defaults');
      return fallback;
    }
    const settings = feedbackSettingsSchema.safeParse(doc.settings);
    const problems = settings.success ? settingsProblems(settings.data) : [settings.error.message];
    if (problems.length > 0) this.logger.warn({ ctx: 'feedback', problems }, 'stored feedback settings are invalid; using the defaults');
    let sms: FeedbackSmsSettings | null = null;
    if (doc.sms !== null && doc.sms !== undefined) {
      const parsed = feedbackSmsSettingsSchema.safeParse(doc.sms);
      if (parsed.success) sms = parsed.data;
      else this.logger.warn({ ctx: 'feedback', err: parsed.error.message }, 'stored SMS gateway settings are invalid; the gateway is off');
    }
    const secret = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);
    return {
      settings: settings.success && problems.length === 0 ? settings.data : DEFAULT_FEEDBACK_SETTINGS,
      sms,
      smsInboundSecret: secret(doc.smsInboundSecret),
      smsOutboundSecret: secret(doc.smsOutboundSecret),
    };
  }
}
