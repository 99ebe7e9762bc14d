/**
 * Issue 16: the KH 179 figure. Coverage = occurrences played to the end ÷ occurrences due, for a period and an area
 * subtree, with the figures around it (on-time starts, minutes aired, availability, failures by reason, alarms),
 * broken down by child area, area level, priority and content category, and drilled down
 * province → district → commune → device → the occurrences behind it (the playout log, filtered by device).
 *
 * The server answers from per-device per-day rollups kept as reports arrive, so a month or a year of a province
 * answers in well under a second.
 */
import { z } from 'zod';
import { PRIORITIES } from '../constants.js';
import { deliveryStateLabelVi } from '../report-labels.js';
import { reportPeriodQuerySchema } from './reports.js';

/**
 * The reasons the rollups give an occurrence that failed without the agent saying why: how far it got. Any other
 * reason is the agent's own text, or the state (failed, expired, skipped, preempted) when it gave none.
 */
export const COVERAGE_REASON_LABELS_VI: Readonly<Record<string, string>> = {
  'not-delivered': 'Không báo cáo: thiết bị chưa nhận lịch phát',
  'no-report': 'Không báo cáo: không có báo cáo phát',
  'no-end-report': 'Không báo cáo: đã bắt đầu, không báo kết thúc',
};
export const coverageReasonLabelVi = (reason: string): string => COVERAGE_REASON_LABELS_VI[reason] ?? deliveryStateLabelVi(reason);

/** A content category (thể loại tin). `essential` marks "thông tin thiết yếu", the KH 179 figure's subject. */
export const contentCategorySchema = z.object({
  code: z.string(),
  name: z.string(),
  essential: z.boolean(),
});
export type ContentCategoryView = z.infer<typeof contentCategorySchema>;

/** POST /api/v1/content-categories (admin), PATCH /api/v1/content-categories/:code (name, essential). */
export const createContentCategorySchema = z.object({
  code: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, 'code: lower-case letters, digits and dashes, at most 32, e.g. thiet-yeu'),
  name: z.string().trim().min(1).max(100),
  essential: z.boolean().default(false),
});
export type CreateContentCategoryRequest = z.infer<typeof createContentCategorySchema>;
export const updateContentCategorySchema = createContentCategorySchema.omit({ code: true }).partial();
export type UpdateContentCategoryRequest = z.infer<typeof updateContentCategorySchema>;

/**
 * The figures of one slice (an area, a device, a priority, a category, a day): counts and the rates derived from
 * them. A rate is null when its denominator is 0 (nothing due: no figure, not 100 %).
 */
export const coverageFiguresSchema = z.object({
  /** Occurrences due on devices in the period (one per occurrence per device; future ones not counted). */
  due: z.number().int(),
  /** … played to the end (state finished). */
  played: z.number().int(),
  /** played ÷ due. */
  coverage: z.number().nullable(),
  /** … started within the on-time tolerance of their scheduled start (LOA_REPORT_ON_TIME_SECONDS, default 60). */
  onTime: z.number().int(),
  /** onTime ÷ the occurrences that started. */
  onTimeRate: z.number().nullable(),
  /** Seconds of audio aired (played durations summed). */
  airedSeconds: z.number(),
  /** Occurrences failed, expired, skipped or never reported past their end. */
  failed: z.number().int(),
  /** Devices counted. */
  devices: z.number().int(),
  /** Share of the period the devices were online (device-seconds online ÷ device-seconds in the period). */
  availability: z.number().nullable(),
  /** Alarms raised on these devices in the period. */
  alarms: z.number().int(),
});
export type CoverageFigures = z.infer<typeof coverageFiguresSchema>;

/**
 * GET /api/v1/reports/coverage: a period (month, quarter, year or from/to, as reportPeriodQuerySchema), a subtree (the
 * reader's own when absent), optional filters. The device drill-down takes the same query (areaCode ignored).
 */
export const coverageQuerySchema = z
  .object({
    areaCode: z.string().min(1).max(32).optional(),
    /** Only these priorities (comma-separated). */
    priority: z
      .string()
      .optional()
      .transform((s) => (s === undefined || s === '' ? undefined : s.split(',')))
      .pipe(z.array(z.enum(PRIORITIES)).optional()),
    /** Only this category code, or `essential` for every category marked essential (the KH 179 figure). */
    category: z.string().min(1).max(32).optional(),
  })
  .and(reportPeriodQuerySchema);
export type CoverageQuery = z.infer<typeof coverageQuerySchema>;

/** One row of the breakdown: a child area of the subtree (kind area) or, below a commune, a device. */
export const coverageRowSchema = z.object({
  kind: z.enum(['area', 'device']),
  /** Area code or device id: pass it back as areaCode (area) or to the device drill-down (device). */
  key: z.string(),
  name: z.string(),
  /** Area level (province, district, commune, village) or the device kind. */
  level: z.string(),
  figures: coverageFiguresSchema,
});
export type CoverageRow = z.infer<typeof coverageRowSchema>;

export const coverageReportSchema = z.object({
  period: z.object({ from: z.string().describe('ISO-8601 UTC, inclusive'), to: z.string().describe('ISO-8601 UTC, exclusive'), label: z.string() }),
  area: z.object({ code: z.string().nullable(), name: z.string(), level: z.string().nullable() }),
  totals: coverageFiguresSchema,
  /** The children of the area (areas; devices below a commune), worst coverage first (null coverage last). */
  rows: z.array(coverageRowSchema),
  byLevel: z.array(z.object({ level: z.string(), figures: coverageFiguresSchema })),
  byPriority: z.array(z.object({ priority: z.enum(PRIORITIES), figures: coverageFiguresSchema })),
  byCategory: z.array(z.object({ category: z.string().nullable(), name: z.string(), essential: z.boolean(), figures: coverageFiguresSchema })),
  /** One point per day (period ≤ 92 days) or per month (longer), for the charts. */
  series: z.array(z.object({ date: z.string().describe('yyyy-mm-dd or yyyy-mm, Vietnam time'), figures: coverageFiguresSchema })),
  /** Failed occurrences by reason, most frequent first: `reason` as stored (a code below, or the agent's text), `label` in Vietnamese. */
  failuresByReason: z.array(z.object({ reason: z.string(), label: z.string(), count: z.number().int() })),
});
export type CoverageReport = z.infer<typeof coverageReportSchema>;

/** GET /api/v1/reports/coverage/devices/:deviceId: one device's figures for the period and its days. */
export const deviceCoverageSchema = z.object({
  device: z.object({ id: z.string(), name: z.string().nullable(), areaCode: z.string().nullable(), kind: z.string() }),
  period: coverageReportSchema.shape.period,
  totals: coverageFiguresSchema,
  series: coverageReportSchema.shape.series,
  failuresByReason: coverageReportSchema.shape.failuresByReason,
});
export type DeviceCoverage = z.infer<typeof deviceCoverageSchema>;
