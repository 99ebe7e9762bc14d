import { z } from 'zod';

/**
 * Issue 21: practice mode. The main server proxies PRACTICE_API_PREFIX + `/v1/...` (HTTP and the live event
 * stream) to the user's sandbox, a separate practice instance of Loa; the dashboard in practice mode calls
 * `/practice/api/v1/...` instead of `/api/v1/...`.
 */
export const PRACTICE_API_PREFIX = '/practice/api';
/** The practice instance's internal seed endpoint, answered only in practice mode with the sandbox secret. */
export const PRACTICE_SEED_PATH = '/api/v1/practice/seed';
export const PRACTICE_SECRET_HEADER = 'x-loa-practice-secret';
/** Prefix of the identity assertion the proxy puts in the practice instance's `Authorization: Bearer` header. */
export const PRACTICE_ASSERTION_PREFIX = 'practice.';

export const PRACTICE_SANDBOX_STATES = ['stopped', 'starting', 'ready', 'restarting', 'stopping', 'failed'] as const;

export const practiceStatusViewSchema = z.object({
  /** The sandbox the user practises in: `class-<classId>` or `user-<userId>`. */
  sandboxId: z.string(),
  state: z.enum(PRACTICE_SANDBOX_STATES),
  /** Where the dashboard sends its API calls while in practice mode. */
  apiBase: z.literal(PRACTICE_API_PREFIX),
  startedAt: z.string().nullable(),
  lastUsedAt: z.string().nullable(),
});
export type PracticeStatusView = z.infer<typeof practiceStatusViewSchema>;

export const practiceLeaveViewSchema = z.object({ left: z.literal(true), sandboxId: z.string() });
export type PracticeLeaveView = z.infer<typeof practiceLeaveViewSchema>;

const seedArea = z.object({
  code: z.string().min(1).max(32),
  name: z.string().min(1).max(200),
  level: z.string().min(1).max(32),
  parentCode: z.string().min(1).max(32).nullable(),
});
const seedUser = z.object({
  username: z.string().min(1).max(64),
  role: z.enum(['admin', 'operator', 'approver', 'commune_officer']),
  areaCode: z.string().min(1).max(32).nullable(),
  fullName: z.string().max(100).nullable(),
});

/** What the main server sends a fresh practice instance: the trainees' areas, the members, the approval rules. */
export const practiceSeedRequestSchema = z.object({
  /** Parents before children. */
  areas: z.array(seedArea).max(20_000),
  users: z.array(seedUser).max(2_000),
  /** Settings rows (approval rules) copied as they are, by key. */
  settings: z.array(z.object({ key: z.string().min(1).max(64), value: z.unknown() })).max(100),
  speakersPerCommune: z.number().int().min(0).max(20).default(3),
  boardsPerCommune: z.number().int().min(0).max(20).default(1),
});
export type PracticeSeedRequest = z.input<typeof practiceSeedRequestSchema>;

export const practiceSeedResultSchema = z.object({
  areas: z.number().int(),
  users: z.number().int(),
  settings: z.number().int(),
  /** Virtual devices created (0 while the virtual-devices feature is absent). */
  devices: z.number().int(),
});
export type PracticeSeedResult = z.infer<typeof practiceSeedResultSchema>;
