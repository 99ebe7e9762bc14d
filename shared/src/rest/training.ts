import { z } from 'zod';

/**
 * Issue 21: lessons, training records and classes. The catalogue itself is plain data in `../training/lessons.ts`;
 * these are the requests and views of /api/v1/training.
 */

const text = z.object({ vi: z.string(), en: z.string() });

/** GET /api/v1/training/lessons: the lessons of the caller's role, with its own completion. */
export const lessonStatusViewSchema = z.object({
  id: z.string(),
  title: text,
  summary: text,
  minutes: z.number(),
  steps: z.array(z.object({ route: z.string(), highlight: z.string().nullable(), text })),
  check: z.string(),
  completedAt: z.string().nullable(),
  attempts: z.number(),
});
export type LessonStatusView = z.infer<typeof lessonStatusViewSchema>;

/** POST /api/v1/training/lessons/:id/check: what the verification found; `missing` in the user's language pairs. */
export const lessonCheckResultSchema = z.object({
  lessonId: z.string(),
  passed: z.boolean(),
  completedAt: z.string().nullable(),
  attempts: z.number(),
  /** What is still missing when not passed (empty when passed). */
  missing: z.array(text),
});
export type LessonCheckResult = z.infer<typeof lessonCheckResultSchema>;

/** POST /api/v1/training/lessons/:id/start: prepares the sandbox (faults) for the lesson. */
export const lessonStartViewSchema = z.object({ lessonId: z.string(), sandboxId: z.string(), faultedDevices: z.array(z.string()) });
export type LessonStartView = z.infer<typeof lessonStartViewSchema>;

export const createTrainingClassSchema = z.object({
  name: z.string().trim().min(1).max(200),
  areaCode: z.string().min(1).max(32),
  lessonIds: z.array(z.string().min(1).max(64)).min(1).max(50),
  memberIds: z.array(z.string().min(1).max(36)).max(500).default([]),
});
export type CreateTrainingClass = z.infer<typeof createTrainingClassSchema>;

export const trainingClassViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  areaCode: z.string(),
  lessonIds: z.array(z.string()),
  memberIds: z.array(z.string()),
  sandboxId: z.string(),
  createdBy: z.string(),
  createdAt: z.string(),
});
export type TrainingClassView = z.infer<typeof trainingClassViewSchema>;

/** GET /api/v1/training/classes/:id/progress: members × lessons. */
export const trainingClassProgressSchema = z.object({
  classId: z.string(),
  lessonIds: z.array(z.string()),
  members: z.array(
    z.object({
      userId: z.string(),
      username: z.string(),
      fullName: z.string().nullable(),
      /** Completion time per lesson id; null: not yet. */
      completed: z.record(z.string(), z.string().nullable()),
      done: z.number(),
    }),
  ),
});
export type TrainingClassProgress = z.infer<typeof trainingClassProgressSchema>;

/** GET /api/v1/reports/training (and .csv / .xlsx). */
export const trainingReportQuerySchema = z.object({
  areaCode: z.string().min(1).max(32).optional().describe('root of the report; default: the caller’s area (the whole tree for a nationwide admin)'),
});
export type TrainingReportQuery = z.infer<typeof trainingReportQuerySchema>;

/** One area of the report: staff with an account under it, those who completed their role's lesson set. */
export const trainingAreaFiguresSchema = z.object({
  areaCode: z.string(),
  areaName: z.string(),
  level: z.string(),
  staff: z.number(),
  trained: z.number(),
  /** trained ÷ staff (0..1); null without staff. */
  share: z.number().nullable(),
});
export type TrainingAreaFigures = z.infer<typeof trainingAreaFiguresSchema>;

export const trainingReportSchema = z.object({
  root: trainingAreaFiguresSchema,
  /** The root's child areas (a district's communes), then the rest of the subtree is counted in them. */
  children: z.array(trainingAreaFiguresSchema),
  /** KH 179: 1 (every member of staff). */
  target: z.number(),
  at: z.string(),
});
export type TrainingReport = z.infer<typeof trainingReportSchema>;

/**
 * The trained share the upward exchange carries to the source information system (field `training` of the daily
 * `coverage` exchange): the whole tree of this server, its top areas broken down.
 */
export const trainingSharePayloadSchema = z.object({
  staff: z.number(),
  trained: z.number(),
  share: z.number().nullable(),
  target: z.number(),
  areas: z.array(trainingAreaFiguresSchema),
});
export type TrainingSharePayload = z.infer<typeof trainingSharePayloadSchema>;
