/**
 * Issue 17: citizen feedback (ý kiến phản ánh, kiến nghị). Residents file it on a public page per commune (no login),
 * by SMS through a gateway webhook, or another channel through the API; commune officers handle it (assign, notes,
 * transfer, merge, answer) within time limits counted in working hours; the resident follows it by tracking code and
 * phone and rates the answer; an answer of public interest becomes a draft bulletin and board message; statistics
 * feed the Reports page and the upward exchange. Constants: `../feedback-constants.ts` (zod-free).
 */
import { z } from 'zod';
import { FEEDBACK_CHANNELS, FEEDBACK_EVENT_KINDS, FEEDBACK_OVERDUE_KINDS, FEEDBACK_PRIORITIES, FEEDBACK_STATES } from '../feedback-constants.js';
import { areaCodeSchema } from '../ids.js';
import { queryFlagSchema } from './common.js';

export * from '../feedback-constants.js';

// ---------------------------------------------------------------------------------------------------------------
// Residents' data
// ---------------------------------------------------------------------------------------------------------------

/**
 * A Vietnamese phone number as typed: spaces, dots and dashes are dropped, +84/84 becomes 0; then 10 digits starting
 * with 0 (mobile and the new fixed-line plan). Stored and compared in this normal form.
 */
export const normalizePhone = (raw: string): string | null => {
  const digits = raw.replace(/[\s.\-()]/g, '');
  const local = digits.startsWith('+84') ? `0${digits.slice(3)}` : /^84\d{9}$/.test(digits) ? `0${digits.slice(2)}` : digits;
  return /^0\d{9}$/.test(local) ? local : null;
};
export const phoneSchema = z
  .string()
  .max(32)
  .transform((v, ctx) => {
    const p = normalizePhone(v);
    if (p === null) {
      ctx.addIssue({ code: 'custom', message: 'invalid-phone: 10 digits starting with 0, e.g. 0912345678 (or +84…)' });
      return z.NEVER;
    }
    return p;
  });

const text = (max: number) => z.string().trim().min(1).max(max);
const optionalText = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .optional()
    .transform((v) => (v === undefined || v === '' ? undefined : v));
const codeSchema = z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'code: 1-32 chars of a-z, 0-9 or "-"');

/**
 * The fields of a new item, as the public form posts them (multipart: these fields plus `attachments` files; or JSON
 * without files). `website` is a honeypot the page hides: a bot that fills it is refused as spam.
 */
export const feedbackSubmissionSchema = z.object({
  areaCode: areaCodeSchema.describe('the commune (or ward) the feedback is about'),
  village: optionalText(120).describe('thôn / tổ dân phố'),
  name: text(120),
  phone: phoneSchema,
  email: z.email().max(200).optional().or(z.literal('').transform(() => undefined)),
  title: text(200),
  content: text(5000),
  category: codeSchema,
  /** Must be true: the resident agrees that the name and phone are used to handle the item (Decree 13/2023). */
  consent: z.union([z.boolean(), z.enum(['true', 'on', '1', 'false', '0'])]).transform((v) => v === true || v === 'true' || v === 'on' || v === '1'),
  website: z.string().max(200).optional(),
});
export type FeedbackSubmission = z.infer<typeof feedbackSubmissionSchema>;

/** POST /api/v1/public/feedback → 201: what the resident must keep. A repeated identical submission answers the first item's code with `duplicate: true`. */
export const feedbackReceiptSchema = z.object({
  code: z.string(),
  createdAt: z.string(),
  areaName: z.string(),
  /** When it will be acknowledged and answered at the latest (ISO). */
  ackDueAt: z.string(),
  answerDueAt: z.string(),
  duplicate: z.boolean(),
});
export type FeedbackReceipt = z.infer<typeof feedbackReceiptSchema>;

/** A refusal of the public intake: a stable code (FEEDBACK_REFUSALS) and the Vietnamese message; 400, 413, 415 or 429. */
export const feedbackRefusalSchema = z.object({ statusCode: z.number(), code: z.string(), message: z.string(), retryAfterSeconds: z.number().optional() });
export type FeedbackRefusalView = z.infer<typeof feedbackRefusalSchema>;

/** GET /api/v1/public/feedback/form/:areaCode: what the page needs to show the form for a commune. */
export const feedbackFormSchema = z.object({
  areaCode: z.string(),
  areaName: z.string(),
  /** District and province names, to show where the commune is. */
  parentNames: z.array(z.string()),
  villages: z.array(z.string()),
  categories: z.array(z.object({ code: z.string(), label: z.string() })),
  maxAttachments: z.number(),
  maxAttachmentBytes: z.number(),
  consentText: z.string(),
  /** Short link and QR image of this page, for notices and e-boards. */
  shortUrl: z.string(),
  qrSvgUrl: z.string(),
});
export type FeedbackForm = z.infer<typeof feedbackFormSchema>;

/** GET /api/v1/public/feedback/communes?q=: communes to choose from when the page is opened without one. */
export const feedbackCommuneSearchSchema = z.object({ q: z.string().trim().max(100).default(''), limit: z.coerce.number().int().min(1).max(50).default(20) });
export const feedbackCommuneOptionSchema = z.object({ areaCode: z.string(), name: z.string(), parentNames: z.array(z.string()) });
export type FeedbackCommuneOption = z.infer<typeof feedbackCommuneOptionSchema>;

/** POST /api/v1/public/feedback/track: the resident's lookup. Both must match; a wrong pair is the same 404 as an unknown code. */
export const feedbackTrackRequestSchema = z.object({
  code: z
    .string()
    .trim()
    .transform((v) => v.toUpperCase()),
  phone: phoneSchema,
});
export type FeedbackTrackRequest = z.infer<typeof feedbackTrackRequestSchema>;

/** What the resident sees: no officer names, no internal notes, no other resident's data. */
export const publicFeedbackViewSchema = z.object({
  code: z.string(),
  title: z.string(),
  content: z.string(),
  areaName: z.string(),
  category: z.string(),
  categoryLabel: z.string(),
  state: z.enum(FEEDBACK_STATES),
  createdAt: z.string(),
  answerDueAt: z.string(),
  /** The answer (of the item it was merged into, for a merged one); null before. */
  answer: z.string().nullable(),
  answeredAt: z.string().nullable(),
  /** Why it was not accepted (state rejected). */
  rejectReason: z.string().nullable(),
  /** The public steps, oldest first: received, being handled, answered, closed, reopened… */
  history: z.array(z.object({ at: z.string(), kind: z.enum(FEEDBACK_EVENT_KINDS), text: z.string() })),
  /** May the resident rate the answer now (answered, within the rating window)? */
  canRate: z.boolean(),
  satisfied: z.boolean().nullable(),
  attachments: z.number(),
});
export type PublicFeedbackView = z.infer<typeof publicFeedbackViewSchema>;

/** POST /api/v1/public/feedback/rate: satisfied closes the item; not satisfied reopens it (with the comment). */
export const feedbackRateRequestSchema = feedbackTrackRequestSchema.extend({
  satisfied: z.boolean(),
  comment: optionalText(1000),
});
export type FeedbackRateRequest = z.infer<typeof feedbackRateRequestSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Officers' views and actions
// ---------------------------------------------------------------------------------------------------------------

export const feedbackAttachmentViewSchema = z.object({
  id: z.string(),
  mime: z.string(),
  bytes: z.number(),
  width: z.number().nullable(),
  height: z.number().nullable(),
  /** Served to signed-in users in scope: GET /api/v1/feedback/:id/attachments/:attachmentId */
  url: z.string(),
});

export const feedbackEventViewSchema = z.object({
  id: z.string(),
  at: z.string(),
  kind: z.enum(FEEDBACK_EVENT_KINDS),
  /** Username, or null for the resident or the system (see `actorKind`). */
  actor: z.string().nullable(),
  actorKind: z.enum(['user', 'resident', 'system']),
  fromState: z.enum(FEEDBACK_STATES).nullable(),
  toState: z.enum(FEEDBACK_STATES).nullable(),
  /** The note, the answer, the reason, or what changed ("xã A → xã B"). */
  text: z.string().nullable(),
  /** Internal: never shown to the resident. */
  internal: z.boolean(),
});
export type FeedbackEventView = z.infer<typeof feedbackEventViewSchema>;

export const feedbackItemViewSchema = z.object({
  id: z.string(),
  code: z.string(),
  areaCode: z.string(),
  areaName: z.string(),
  village: z.string().nullable(),
  /** A department (phòng ban) it was transferred to, by code from the settings; null while with the commune itself. */
  department: z.string().nullable(),
  category: z.string(),
  categoryLabel: z.string(),
  title: z.string(),
  content: z.string(),
  channel: z.enum(FEEDBACK_CHANNELS),
  state: z.enum(FEEDBACK_STATES),
  priority: z.enum(FEEDBACK_PRIORITIES),
  assignee: z.object({ userId: z.string(), username: z.string() }).nullable(),
  /**
   * The resident's data: null when erased (retention) — readers in scope see it; it is never in exports unless
   * asked for (`personalData=true`, audited).
   */
  resident: z.object({ name: z.string(), phone: z.string(), email: z.string().nullable() }).nullable(),
  createdAt: z.string(),
  ackDueAt: z.string(),
  acknowledgedAt: z.string().nullable(),
  answerDueAt: z.string(),
  answeredAt: z.string().nullable(),
  closedAt: z.string().nullable(),
  /** The deadline currently missed, if any (items overdue show first in lists). */
  overdue: z.enum(FEEDBACK_OVERDUE_KINDS).nullable(),
  answer: z.string().nullable(),
  /** The answer is of public interest: it may be read on loudspeakers and boards (close the loop). */
  publicInterest: z.boolean(),
  rejectReason: z.string().nullable(),
  satisfied: z.boolean().nullable(),
  reopenCount: z.number(),
  mergedInto: z.object({ id: z.string(), code: z.string() }).nullable(),
  /** Items merged into this one. */
  merged: z.array(z.object({ id: z.string(), code: z.string() })),
  /** Open items that look like the same matter (same commune, similar text, last 14 days): candidates to merge. */
  similar: z.array(z.object({ id: z.string(), code: z.string(), title: z.string() })),
  attachments: z.array(feedbackAttachmentViewSchema),
  /** Contents drafted from its answer (close the loop). */
  draftContentIds: z.array(z.string()),
  updatedAt: z.string(),
  /** Optimistic concurrency: actions may send it back (`version`); a stale one answers 409. */
  version: z.number(),
});
export type FeedbackItemView = z.infer<typeof feedbackItemViewSchema>;

/** GET /api/v1/feedback/:id — the item with its whole history (internal notes included for officers). */
export const feedbackDetailViewSchema = feedbackItemViewSchema.extend({ history: z.array(feedbackEventViewSchema) });
export type FeedbackDetailView = z.infer<typeof feedbackDetailViewSchema>;

/** List rows: the item without its history; `content` shortened to 300 characters. */
export const feedbackListViewSchema = z.object({ items: z.array(feedbackItemViewSchema), total: z.number(), overdue: z.number() });
export type FeedbackListView = z.infer<typeof feedbackListViewSchema>;

const csv = <T extends string>(values: readonly [T, ...T[]]) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === '') return undefined;
      const parts = v.split(',').map((s) => s.trim());
      for (const p of parts) if (!(values as readonly string[]).includes(p)) ctx.addIssue({ code: 'custom', message: `unknown value "${p}" (one of ${values.join(', ')})` });
      return parts as T[];
    });

/**
 * GET /api/v1/feedback: the caller's scope (commune officer: their commune; district: all its communes), overdue
 * first, then by the nearest deadline; `sort=newest` for arrival order.
 */
export const feedbackListQuerySchema = z.object({
  areaCode: areaCodeSchema.optional().describe('this area and everything below it (within the caller’s scope)'),
  state: csv(FEEDBACK_STATES).describe('comma-separated states; default: every state but merged'),
  priority: csv(FEEDBACK_PRIORITIES),
  category: codeSchema.optional(),
  channel: csv(FEEDBACK_CHANNELS),
  overdue: queryFlagSchema.describe('only items past a deadline'),
  mine: queryFlagSchema.describe('only items assigned to the caller'),
  q: z.string().trim().max(100).optional().describe('code, title, content, village (and name/phone for readers in scope)'),
  from: z.string().optional().describe('received at or after (ISO instant)'),
  to: z.string().optional().describe('received before (ISO instant)'),
  sort: z.enum(['due', 'newest', 'oldest']).default('due'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
});
export type FeedbackListQuery = z.infer<typeof feedbackListQuerySchema>;

/** POST /api/v1/feedback: an officer records feedback received by phone or at the office (channel office), or another system posts it with a user token (channel api). */
export const feedbackCreateRequestSchema = feedbackSubmissionSchema.omit({ website: true }).extend({
  channel: z.enum(['office', 'api']).default('office'),
  priority: z.enum(FEEDBACK_PRIORITIES).default('normal'),
  /** When it was actually received (a letter dated earlier); default now. The time limits count from it. */
  receivedAt: z.string().optional(),
});
export type FeedbackCreateRequest = z.infer<typeof feedbackCreateRequestSchema>;

/** Every action may carry the version the officer saw; a stale one answers 409 (someone else acted first). */
const versioned = { version: z.number().int().nonnegative().optional() };

export const feedbackAssignRequestSchema = z.object({ userId: z.string().min(1).max(64), note: optionalText(2000), ...versioned });
export const feedbackNoteRequestSchema = z.object({ text: text(5000), internal: z.boolean().default(true), ...versioned });
/** To another commune (areaCode, within the caller's scope) or to a department (code from the settings), or both. */
export const feedbackTransferRequestSchema = z
  .object({ areaCode: areaCodeSchema.optional(), department: codeSchema.nullable().optional(), reason: text(2000), ...versioned })
  .refine((v) => v.areaCode !== undefined || v.department !== undefined, { message: 'give areaCode, department or both' });
export const feedbackPriorityRequestSchema = z.object({ priority: z.enum(FEEDBACK_PRIORITIES), reason: text(2000), ...versioned });
/** Merge this item into `intoId` (a duplicate: the resident then sees the other item's answer). */
export const feedbackMergeRequestSchema = z.object({ intoId: z.string().min(1).max(64), ...versioned });
export const feedbackAnswerRequestSchema = z.object({
  answer: text(10000),
  /** Of public interest: offered for a bulletin and a board message (close the loop). */
  publicInterest: z.boolean().default(false),
  /** Send the answer to the resident by SMS when a gateway is configured (default true). */
  notify: z.boolean().default(true),
  ...versioned,
});
export const feedbackReasonRequestSchema = z.object({ reason: text(2000), ...versioned });
export const feedbackStateRequestSchema = z.object({ note: optionalText(2000), ...versioned });
export type FeedbackAssignRequest = z.infer<typeof feedbackAssignRequestSchema>;
export type FeedbackNoteRequest = z.infer<typeof feedbackNoteRequestSchema>;
export type FeedbackTransferRequest = z.infer<typeof feedbackTransferRequestSchema>;
export type FeedbackPriorityRequest = z.infer<typeof feedbackPriorityRequestSchema>;
export type FeedbackMergeRequest = z.infer<typeof feedbackMergeRequestSchema>;
export type FeedbackAnswerRequest = z.infer<typeof feedbackAnswerRequestSchema>;
export type FeedbackReasonRequest = z.infer<typeof feedbackReasonRequestSchema>;
export type FeedbackStateRequest = z.infer<typeof feedbackStateRequestSchema>;

/**
 * POST /api/v1/feedback/:id/bulletin — close the loop: from an answered item of public interest, in one step, a
 * text content for the loudspeakers (read by TTS) and a board text content for the item's commune, both submitted to
 * the normal approval (drafts when approval is off). Texts default to ones made from the title and answer.
 */
export const feedbackBulletinRequestSchema = z.object({
  speakerText: optionalText(5000),
  boardText: optionalText(1000),
  title: optionalText(200),
});
export type FeedbackBulletinRequest = z.infer<typeof feedbackBulletinRequestSchema>;
export const feedbackBulletinViewSchema = z.object({
  speakerContentId: z.string(),
  boardContentId: z.string(),
  /** The state each content was left in (submitted for approval, or draft). */
  speakerState: z.string(),
  boardState: z.string(),
});
export type FeedbackBulletinView = z.infer<typeof feedbackBulletinViewSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Settings (admin): categories, departments, time limits, working hours, holidays, retention, limits, SMS gateway
// ---------------------------------------------------------------------------------------------------------------

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'time of day HH:MM');
const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'date YYYY-MM-DD');

/** Limits of one priority level, in hours; `clock`: counted day and night (urgent) instead of in working hours. */
export const feedbackSlaSchema = z.object({
  ackHours: z.number().positive().max(24 * 365),
  answerHours: z.number().positive().max(24 * 365),
  clock: z.enum(['working', 'calendar']),
});
export type FeedbackSla = z.infer<typeof feedbackSlaSchema>;

export const feedbackSettingsSchema = z.object({
  categories: z.array(z.object({ code: codeSchema, label: text(100) })).min(1).max(100),
  departments: z.array(z.object({ code: codeSchema, label: text(100) })).max(100),
  sla: z.object({ normal: feedbackSlaSchema, urgent: feedbackSlaSchema, complex: feedbackSlaSchema }),
  /** Working time, on the server's zone (LOA_TIMEZONE): ISO weekdays (1 = Monday … 7 = Sunday) and periods. */
  workingHours: z.object({
    days: z.array(z.number().int().min(1).max(7)).min(1).max(7),
    periods: z.array(z.tuple([hhmm, hhmm])).min(1).max(4),
  }),
  holidays: z.object({
    /** The statutory Vietnamese holidays (New Year, Tết, Hùng Kings, 30/4, 1/5, 2/9 and the day beside it) are built in; turn off only with a full own list. */
    builtIn: z.boolean(),
    /** Extra days off (make-up holidays decided each year). */
    extra: z.array(isoDate).max(200),
    /** Working days that would otherwise be off (a Saturday worked in exchange). */
    workdays: z.array(isoDate).max(200),
  }),
  /** Personal data (name, phone, e-mail) is erased this many days after an item is closed or rejected. */
  retentionDays: z.number().int().min(30).max(3650),
  /** An answered item not rated within this many days is closed by itself. */
  autoCloseDays: z.number().int().min(1).max(90),
  limits: z.object({
    perAddressPerHour: z.number().int().min(1).max(1000),
    perPhonePerDay: z.number().int().min(1).max(1000),
    lookupsPerAddressPer10Min: z.number().int().min(1).max(1000),
  }),
  consentText: text(2000),
  /** Villages (thôn, tổ dân phố) per commune code, offered by the form. */
  villages: z.record(z.string(), z.array(text(120)).max(500)),
});
export type FeedbackSettings = z.infer<typeof feedbackSettingsSchema>;

/** SMS gateway (both ways): inbound webhook (a text becomes an item) and outbound sending (the answer to the resident). */
export const feedbackSmsSettingsSchema = z.object({
  inbound: z.object({
    enabled: z.boolean(),
    /** Where the gateway puts each field, as a dotted path in its JSON body (or form field name). */
    mapping: z.object({ from: z.string().min(1).max(100), text: z.string().min(1).max(100), messageId: z.string().max(100).optional(), receivedAt: z.string().max(100).optional() }),
    /** Header carrying hex HMAC-SHA256 of the raw body with the shared secret (optionally "sha256=" prefixed). */
    signatureHeader: z.string().min(1).max(100),
    /** Header carrying the request time (unix seconds or ISO), included in the signature as `${timestamp}.${body}` when set. */
    timestampHeader: z.string().max(100).optional(),
    /** The commune items from SMS go to when the text does not name one ("XA <code> …" does). */
    defaultAreaCode: areaCodeSchema.nullable(),
    defaultCategory: codeSchema,
  }),
  outbound: z.object({
    enabled: z.boolean(),
    url: z.url().max(500),
    method: z.enum(['POST', 'GET']),
    /** Header name → value; `{{secret}}` is replaced by the stored outbound secret. */
    headers: z.record(z.string(), z.string().max(500)),
    /** Body template (JSON), with {{to}}, {{text}} and {{id}} (JSON-escaped). */
    bodyTemplate: z.string().max(4000),
  }),
});
export type FeedbackSmsSettings = z.infer<typeof feedbackSmsSettingsSchema>;

/** GET /api/v1/feedback/settings (admin): the settings; secrets are never shown, only whether they are set. */
export const feedbackSettingsViewSchema = z.object({
  settings: feedbackSettingsSchema,
  sms: feedbackSmsSettingsSchema.nullable(),
  smsInboundSecretSet: z.boolean(),
  smsOutboundSecretSet: z.boolean(),
  /** The inbound webhook's URL to give the gateway. */
  smsWebhookUrl: z.string(),
});
export type FeedbackSettingsView = z.infer<typeof feedbackSettingsViewSchema>;
/** PUT /api/v1/feedback/settings (admin). Secrets: a new value sets it; absent keeps the stored one; null clears it. */
export const feedbackSettingsUpdateSchema = z.object({
  settings: feedbackSettingsSchema.optional(),
  sms: feedbackSmsSettingsSchema.nullable().optional(),
  smsInboundSecret: z.string().min(16).max(200).nullable().optional(),
  smsOutboundSecret: z.string().min(1).max(500).nullable().optional(),
});
export type FeedbackSettingsUpdate = z.infer<typeof feedbackSettingsUpdateSchema>;

/** GET /api/v1/feedback/calendar?from=YYYY-MM-DD&to=YYYY-MM-DD: the working days and holidays the limits count with. */
export const feedbackWorkingDaysQuerySchema = z.object({ from: isoDate, to: isoDate });
export const feedbackWorkingDaysViewSchema = z.object({
  days: z.array(z.object({ date: isoDate, working: z.boolean(), holiday: z.string().nullable() })),
});
export type FeedbackWorkingDaysView = z.infer<typeof feedbackWorkingDaysViewSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Statistics (Reports page, upward exchange)
// ---------------------------------------------------------------------------------------------------------------

/** GET /api/v1/reports/feedback: same period selection as coverage (month | quarter | year | from/to) and area. */
export const feedbackStatsQuerySchema = z.object({
  areaCode: areaCodeSchema.optional(),
  period: z.string().optional().describe('YYYY-MM, YYYY-Qn or YYYY'),
  from: z.string().optional(),
  to: z.string().optional(),
  category: codeSchema.optional(),
});
export type FeedbackStatsQuery = z.infer<typeof feedbackStatsQuerySchema>;

/** Counts of one slice (an area, a category, a day or month). Shares are 0..1, null without items. */
export const feedbackStatsSliceSchema = z.object({
  received: z.number(),
  /** Answered, closed or rejected (handled), whenever. */
  handled: z.number(),
  /** Handled within the answer time limit. */
  handledOnTime: z.number(),
  /** Still open and past a deadline now, or handled late. */
  overdue: z.number(),
  open: z.number(),
  /** handled ÷ received: the KH 179 figure (target 100 %). */
  handledShare: z.number().nullable(),
  onTimeShare: z.number().nullable(),
  /** Mean time from receipt to answer, in working hours and in calendar hours. */
  avgAnswerWorkingHours: z.number().nullable(),
  avgAnswerHours: z.number().nullable(),
  rated: z.number(),
  satisfied: z.number(),
  satisfactionShare: z.number().nullable(),
});
export type FeedbackStatsSlice = z.infer<typeof feedbackStatsSliceSchema>;

export const feedbackStatsViewSchema = z.object({
  areaCode: z.string().nullable(),
  areaName: z.string(),
  from: z.string(),
  to: z.string(),
  /** 1: every item handled is the target. */
  target: z.number(),
  totals: feedbackStatsSliceSchema,
  byArea: z.array(feedbackStatsSliceSchema.extend({ areaCode: z.string(), areaName: z.string() })),
  byCategory: z.array(feedbackStatsSliceSchema.extend({ category: z.string(), label: z.string() })),
  byPriority: z.array(feedbackStatsSliceSchema.extend({ priority: z.enum(FEEDBACK_PRIORITIES) })),
  byChannel: z.array(z.object({ channel: z.enum(FEEDBACK_CHANNELS), received: z.number() })),
  series: z.array(feedbackStatsSliceSchema.extend({ bucket: z.string() })),
});
export type FeedbackStatsView = z.infer<typeof feedbackStatsViewSchema>;

/** GET /api/v1/feedback/export.(csv|xlsx): the list's filters; personal data only with `personalData=true` (audited). */
export const feedbackExportQuerySchema = feedbackListQuerySchema.omit({ limit: true, offset: true, sort: true }).extend({ personalData: queryFlagSchema });
export type FeedbackExportQuery = z.infer<typeof feedbackExportQuerySchema>;

/** GET /api/v1/feedback/assignees?areaCode=: users who may handle items of that commune (assign drop-down), in the caller's scope. */
export const feedbackAssigneesQuerySchema = z.object({ areaCode: areaCodeSchema });
export const feedbackAssigneeSchema = z.object({ userId: z.string(), username: z.string(), displayName: z.string().nullable(), role: z.string(), areaCode: z.string().nullable() });
export type FeedbackAssignee = z.infer<typeof feedbackAssigneeSchema>;

/** GET /api/v1/feedback/summary: counts for the menu badge and the overview tile (caller's scope). */
export const feedbackSummarySchema = z.object({ open: z.number(), overdue: z.number(), unassigned: z.number(), mine: z.number() });
export type FeedbackSummary = z.infer<typeof feedbackSummarySchema>;

/**
 * GET /api/v1/feedback/options (every signed-in role): what officers choose from — categories, departments to
 * transfer to, and the SMS syntax for posters when inbound SMS is on (null otherwise). The settings stay admin-only.
 */
export const feedbackOptionsSchema = z.object({
  categories: z.array(z.object({ code: z.string(), label: z.string() })),
  departments: z.array(z.object({ code: z.string(), label: z.string() })),
  /** e.g. "XA <mã xã> <nội dung>" when the SMS gateway takes feedback. */
  smsSyntax: z.string().nullable(),
});
export type FeedbackOptions = z.infer<typeof feedbackOptionsSchema>;
