/**
 * Issue 18, CAP 1.2: the contract's plain constants, free of zod (the dashboard bundle imports them at run time).
 * The schemas are in rest/cap.ts, which re-exports these.
 */
import type { Priority } from './enums.js';

export const CAP_PATH = '/api/v1/cap';
export const capMessagesPath = (sourceId: string): string => `${CAP_PATH}/sources/${sourceId}/messages`;
/** Content types a pushed message may carry. */
export const CAP_CONTENT_TYPES = ['application/cap+xml', 'application/xml', 'text/xml'] as const;

export const CAP_URGENCIES = ['Immediate', 'Expected', 'Future', 'Past', 'Unknown'] as const;
export const CAP_SEVERITIES = ['Extreme', 'Severe', 'Moderate', 'Minor', 'Unknown'] as const;
export const CAP_CERTAINTIES = ['Observed', 'Likely', 'Possible', 'Unlikely', 'Unknown'] as const;
export type CapUrgency = (typeof CAP_URGENCIES)[number];
export type CapSeverity = (typeof CAP_SEVERITIES)[number];
export type CapCertainty = (typeof CAP_CERTAINTIES)[number];

/** `push`: the source POSTs to us with its credential; `feed`: we poll its Atom/RSS feed. */
export const CAP_SOURCE_KINDS = ['push', 'feed'] as const;
export type CapSourceKind = (typeof CAP_SOURCE_KINDS)[number];

/** One line of a source's priority table (CapPriorityRule; the schema is capPriorityRuleSchema in rest/cap.ts). */
export interface CapPriorityRuleShape {
  urgency?: CapUrgency[] | undefined;
  severity?: CapSeverity[] | undefined;
  certainty?: CapCertainty[] | undefined;
  priority: Priority;
}

/**
 * Defaults after TT39's levels: a severe or extreme event expected now or soon and at least possible preempts
 * everything (emergency); anything moderate or worse and not past is a priority broadcast; the rest is normal.
 */
export const DEFAULT_CAP_PRIORITY_RULES: CapPriorityRuleShape[] = [
  { severity: ['Extreme', 'Severe'], urgency: ['Immediate', 'Expected'], certainty: ['Observed', 'Likely', 'Possible'], priority: 'emergency' },
  { severity: ['Extreme', 'Severe', 'Moderate'], urgency: ['Immediate', 'Expected', 'Future', 'Unknown'], priority: 'priority' },
];

/**
 * `geocode` valueNames whose values are read as Loa area codes (the official administrative unit codes, "mã đơn vị
 * hành chính" of the national list, which Loa's areas use). Compared without regard to case.
 */
export const DEFAULT_CAP_GEOCODE_NAMES = ['MaDVHC', 'VN-ADMIN', 'admin-code'];

/**
 * What became of a received message. `accepted`: alerts published (or updated/cancelled); `pending`: alerts wait
 * for a second person (untrusted source under the two-person rule); `test-recorded`: status Test/Exercise on a
 * source without allowTest, recorded, nothing broadcast; `ignored`: nothing to broadcast (Ack, Error, Draft,
 * System, a non-public scope); `refused`: not taken, `reason` says why.
 */
export const CAP_MESSAGE_STATES = ['accepted', 'pending', 'test-recorded', 'ignored', 'refused'] as const;
export type CapMessageState = (typeof CAP_MESSAGE_STATES)[number];

