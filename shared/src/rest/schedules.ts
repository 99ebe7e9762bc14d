import { z } from 'zod';
import { exportFormatSchema } from './reports.js';
import { DELIVERY_STATES, PRIORITIES } from '../constants.js';
import { areaCodeSchema, deviceIdSchema } from '../ids.js';
import { prioritySchema } from '../enums.js';
import { PREEMPT_POLICIES, preemptPolicySchema } from '../messages.js';
import { countsSchema, instantSchema, wallClockSchema } from './common.js';
import { fanoutViewSchema } from './fanouts.js';
import { approvalReasonSchema } from './error-codes.js';

/** Schedule times may be wall-clock times (no offset): they are read on the schedule's zone, as an operator means them. */
const instant = wallClockSchema;

export const scheduleTargetsRequestSchema = z
  .object({
    areas: z.array(areaCodeSchema).max(1000).default([]),
    groups: z.array(z.string().min(1).max(36)).max(100).default([]),
    devices: z.array(deviceIdSchema).max(10000).default([]),
  })
  .refine((t) => t.areas.length + t.groups.length + t.devices.length > 0, 'give at least one area, group or device');

/** A local time of day, "HH:MM" on the schedule's zone. */
export const timeOfDaySchema = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day HH:MM');
/** At most this many times of day in one schedule. */
export const MAX_TIMES_OF_DAY = 24;

const timing = {
  times: z
    .array(timeOfDaySchema)
    .max(MAX_TIMES_OF_DAY)
    .optional()
    .describe('issue 19: several times of day ("06:00", "17:00") on each day the rule selects (a one-off: on startAt\'s day); empty: startAt\'s time'),
  rrule: z.string().max(500).nullish().describe('RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=12 (startAt is DTSTART)'),
  exdates: z
    .array(z.union([instant, z.iso.date()]))
    .max(500)
    .optional()
    .describe('exception dates: instants (exact occurrence; without offset, read on the zone) or local dates YYYY-MM-DD (that whole day in the zone)'),
  timezone: z.string().min(1).max(64).optional().describe('IANA zone of the wall clock; default LOA_TIMEZONE'),
  repeat: z.number().int().min(1).max(20).optional().describe('plays within one slot (audio)'),
  gapSeconds: z.number().min(0).max(3600).optional().describe('pause between plays'),
  volume: z.number().int().min(0).max(100).nullish(),
  onPreempt: preemptPolicySchema.nullish().describe('default: resume (normal, priority), skip (emergency)'),
  acceptConflicts: z.boolean().optional().describe('save despite same-priority overlaps'),
  dryRun: z.boolean().optional().describe('only analyse (occurrences, devices, conflicts); nothing is saved'),
};

/** POST /api/v1/schedules */
export const createScheduleRequestSchema = z.object({
  contentId: z.string().min(1).max(36),
  startAt: instant.describe('first occurrence (DTSTART), ISO-8601, e.g. 2026-11-23T06:30:00+07:00; without an offset (2026-11-23T06:30) it is read on `timezone`'),
  targets: scheduleTargetsRequestSchema,
  priority: prioritySchema.default('normal'),
  ...timing,
});
export type CreateScheduleRequest = z.infer<typeof createScheduleRequestSchema>;

/** PATCH /api/v1/schedules/:id */
export const updateScheduleRequestSchema = z.object({
  startAt: instant.optional(),
  targets: scheduleTargetsRequestSchema.optional(),
  priority: prioritySchema.optional(),
  ...timing,
});
export type UpdateScheduleRequest = z.infer<typeof updateScheduleRequestSchema>;

/**
 * POST /api/v1/schedules/:id/occurrences/move: one occurrence to another start (the calendar's drag). Stored as an
 * exception date for the old start and an added date (RDATE) for the new one, then saved like any edit (conflicts,
 * approval rules, fan-out).
 */
export const moveOccurrenceRequestSchema = z.object({
  occurrenceId: z.string().min(1).max(128),
  startAt: instant.describe('the new start; without an offset it is read on the schedule\'s zone'),
  acceptConflicts: z.boolean().optional(),
});
export type MoveOccurrenceRequest = z.infer<typeof moveOccurrenceRequestSchema>;

/** GET /api/v1/schedules/:id/deliveries */
export const scheduleDeliveriesQuerySchema = z.object({
  occurrenceId: z.string().min(1).max(128).optional(),
  state: z.enum(DELIVERY_STATES).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(10_000),
  offset: z.coerce.number().int().min(0).default(0),
});
/** GET /api/v1/schedules/:id/deliveries.csv: never paginated, it streams the whole (filtered) matrix. */
/** `format=iso` gives the machine format (English keys, state codes, ISO-8601 UTC) instead of the Vietnamese one. */
export const scheduleDeliveriesCsvQuerySchema = scheduleDeliveriesQuerySchema.pick({ occurrenceId: true, state: true }).extend({ format: exportFormatSchema });

/** A calendar spans a month or two; a wider window would make one answer carry a whole season of occurrences. */
export const MAX_WINDOW_DAYS = 62;
const DAY_MS = 86_400_000;

/** GET /api/v1/schedules/occurrences: the window, as epoch ms once parsed. */
export const occurrencesWindowQuerySchema = z
  .object({
    from: instantSchema.describe('occurrences starting at or after this instant'),
    to: instantSchema.describe(`occurrences starting before this instant (at most ${MAX_WINDOW_DAYS} days after from)`),
    areaCode: areaCodeSchema.optional().describe('issue 19: only schedules reaching this area\'s subtree (which must lie in the caller\'s), device counts of that subtree'),
  })
  .transform((q) => ({ from: Date.parse(q.from), to: Date.parse(q.to), areaCode: q.areaCode }))
  .refine((q) => q.to > q.from, 'to must be after from')
  .refine((q) => q.to - q.from <= MAX_WINDOW_DAYS * DAY_MS, `the window is at most ${MAX_WINDOW_DAYS} days`);

// ---- views ---------------------------------------------------------------------------------------------------

export const targetSpecSchema = z.object({ areas: z.array(z.string()), groups: z.array(z.string()), devices: z.array(z.string()) });
export type TargetSpec = z.infer<typeof targetSpecSchema>;

export const SCHEDULE_APPROVALS = ['not-required', 'pending', 'approved', 'rejected'] as const;
export type ScheduleApproval = (typeof SCHEDULE_APPROVALS)[number];

export const scheduleViewSchema = z.object({
  id: z.string(),
  contentId: z.string(),
  priority: z.enum(PRIORITIES),
  startAt: z.string(),
  rrule: z.string().nullable(),
  exdates: z.array(z.string()),
  /** Local times of day "HH:MM" (issue 19); empty: the time of `startAt` only. */
  times: z.array(z.string()),
  /** Added occurrences (moved ones' new starts), ISO-8601. */
  rdates: z.array(z.string()),
  timezone: z.string(),
  repeat: z.number(),
  gapSeconds: z.number(),
  volume: z.number().nullable(),
  onPreempt: z.enum(PREEMPT_POLICIES),
  status: z.enum(['active', 'cancelled']),
  targets: targetSpecSchema,
  /** Materialised occurrences (up to the horizon), earliest first, at most 500. */
  occurrences: z.array(z.object({ id: z.string(), startAt: z.string(), durationMs: z.number() })),
  generatedUntil: z.string().nullable(),
  deviceCount: z.number(),
  summary: countsSchema,
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string().nullable(),
  /** `pending` and `rejected` schedules reach no device. */
  approval: z.enum(SCHEDULE_APPROVALS),
  approvedBy: z.string().nullable(),
  approvedAt: z.string().nullable(),
  rejectedBy: z.string().nullable(),
  rejectedAt: z.string().nullable(),
  rejectedReason: z.string().nullable(),
});
export type ScheduleView = z.infer<typeof scheduleViewSchema>;

/**
 * One overlap between an occurrence of the schedule being saved and another schedule's occurrence (issue 19: one notice
 * per pair of occurrences, not per device). `deviceId` is the first shared device, `deviceIds` up to 20 of them.
 */
export const conflictNoticeSchema = z.object({
  deviceId: z.string(),
  deviceIds: z.array(z.string()),
  deviceCount: z.number(),
  occurrenceStart: z.string(),
  occurrenceEnd: z.string(),
  priority: z.enum(PRIORITIES),
  otherScheduleId: z.string(),
  otherOccurrenceId: z.string(),
  otherStart: z.string(),
  otherEnd: z.string(),
  otherPriority: z.enum(PRIORITIES),
  /** `conflict`: same priority, the two would fight for the output; `preemption`: the higher one interrupts. */
  kind: z.enum(['conflict', 'preemption']),
  /** For a preemption, which one plays: `this` (the schedule being saved) or `other`. */
  preempts: z.enum(['this', 'other']).nullable(),
});
export type ConflictNotice = z.infer<typeof conflictNoticeSchema>;

/**
 * Issue 19: `conflicts` and `preemptions` count occurrences of the schedule being saved (one that overlaps a
 * same-priority occurrence on any shared device counts once, however many devices); `devices`: distinct devices
 * concerned; `pairs`: the overlapping pairs of occurrences.
 */
export const conflictTotalsSchema = z.object({ conflicts: z.number(), preemptions: z.number(), devices: z.number(), pairs: z.number(), truncated: z.boolean() });
export type ConflictTotals = z.infer<typeof conflictTotalsSchema>;

/** 201/200 of POST and PATCH /api/v1/schedules. */
export const saveResultSchema = scheduleViewSchema.extend({
  /** Why the approval rules apply to this save (empty when they do not). */
  approvalReasons: z.array(z.string()),
  /** The same reasons with stable codes (`approval.reason.*`) and parameters, for the reader's language (issue 19). */
  approvalReasonCodes: z.array(approvalReasonSchema),
  /** Overlap notices found when saving (preemptions, and conflicts the operator accepted). */
  conflicts: z.array(conflictNoticeSchema),
  conflictTotals: conflictTotalsSchema,
  /**
   * The background job bringing the save to the devices (GET /api/v1/fanouts/:id); null when it reaches none yet
   * (held for approval). `occurrences` and `deviceCount` are what the job materialises.
   */
  fanout: fanoutViewSchema.nullable(),
});
export type SaveResult = z.infer<typeof saveResultSchema>;

/** POST /api/v1/schedules/:id/cancel and /api/v1/approvals/schedules/:id/approve: the schedule and the job sending the change. */
export const scheduleChangeResultSchema = scheduleViewSchema.extend({ fanout: fanoutViewSchema.nullable() });
export type ScheduleChangeResult = z.infer<typeof scheduleChangeResultSchema>;

/** 200 of a dry run: what the save would do, nothing saved. */
export const dryRunResultSchema = z.object({
  dryRun: z.literal(true),
  occurrences: z.array(z.object({ startAt: z.string(), durationMs: z.number() })),
  deviceCount: z.number(),
  conflicts: z.array(conflictNoticeSchema),
  conflictTotals: conflictTotalsSchema,
});
export type DryRunResult = z.infer<typeof dryRunResultSchema>;

/** GET /api/v1/schedules/:id/summary */
export const scheduleSummarySchema = z.object({
  scheduleId: z.string(),
  totals: countsSchema,
  deviceCount: z.number(),
  occurrences: z.array(z.object({ occurrenceId: z.string(), startAt: z.string(), counts: countsSchema, total: z.number() })),
});
export type ScheduleSummary = z.infer<typeof scheduleSummarySchema>;

/** One occurrence with what a calendar or a day's list shows of its schedule and content. */
export const occurrenceFacts = {
  occurrenceId: z.string(),
  scheduleId: z.string(),
  contentId: z.string(),
  contentTitle: z.string(),
  contentKind: z.string(),
  priority: z.string(),
  startAt: z.string(),
  durationMs: z.number(),
};

/** GET /api/v1/schedules/occurrences */
export const calendarOccurrenceSchema = z.object({
  ...occurrenceFacts,
  /** startAt + durationMs (the content's length, its repeats and gaps): when the slot really ends. */
  endAt: z.string(),
  scheduleStatus: z.string(),
  deviceCount: z.number(),
});
export type CalendarOccurrence = z.infer<typeof calendarOccurrenceSchema>;
