/**
 * Zod-free constants of the source-system connector (issue 16), so that the dashboard bundle that shows them does
 * not carry zod. Re-exported by `rest/source-system.ts`, where the schemas are.
 */
export const EXCHANGE_KINDS = [
  /** up and down: a bulletin (metadata, text, audio URL) */
  'bulletin',
  /** up: a schedule as created/changed */
  'schedule',
  /** up: playout log rows of a period */
  'playout-log',
  /** up: coverage statistics of a period */
  'coverage',
  /** up: device inventory and status */
  'inventory',
  /** up: feedback statistics (issue 17) */
  'feedback-stats',
  /** up (from a lower Loa): playback results of a bulletin received from above */
  'bulletin-result',
] as const;
export type ExchangeKind = (typeof EXCHANGE_KINDS)[number];

export const EXCHANGE_STATES = ['pending', 'sending', 'sent', 'failed', 'dead'] as const;
export type ExchangeState = (typeof EXCHANGE_STATES)[number];

export const EXCHANGE_DIRECTIONS = ['out', 'in'] as const;
export type ExchangeDirection = (typeof EXCHANGE_DIRECTIONS)[number];

export const PEER_KINDS = ['loa', 'rest'] as const;
export type SourcePeerKind = (typeof PEER_KINDS)[number];
/** upper: we send up to it and accept bulletins from it; lower: we send bulletins down to it and accept results. */
export const PEER_ROLES = ['upper', 'lower'] as const;
export type SourcePeerRole = (typeof PEER_ROLES)[number];
