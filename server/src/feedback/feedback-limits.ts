import { Inject, Injectable } from '@nestjs/common';
import { localParts, zonedToUtc } from '@loa/shared';
import { Clock } from '../common/clock.js';
import { AppConfig } from '../config/app-config.js';
import type { AppLogger } from '../logging/logger.js';
import { LOGGER } from '../logging/logging.module.js';
import { FeedbackThrottleRepository, fixedWindow, type ThrottleWindow } from './feedback-throttle.repository.js';

/** What is counted: submissions per address (hour), per phone (local day), look-ups per address (10 minutes), refused webhook calls audited (hour). */
export type LimitKind = 'address' | 'phone' | 'lookup' | 'sms-refusal-audit';

export type LimitOutcome = { ok: true; release(): Promise<void> } | { ok: false; retryAfterSeconds: number };

const HOUR = 3_600_000;
/** Windows older than this are deleted (the longest is a day). */
const KEEP_MS = 2 * 24 * HOUR;
/** How often one process deletes old windows (lazily, on a hit). */
const PURGE_EVERY_MS = 10 * 60_000;

/**
 * The public intake's rate limits, in the database so every instance counts together: a hit is counted first and
 * compared after (atomic, no read-then-write race between instances), and a hit that turned out not to be a new
 * item (an exact duplicate) is given back.
 */
@Injectable()
export class FeedbackLimits {
  private lastPurge = 0;
  private readonly log: AppLogger;

  constructor(
    private readonly repo: FeedbackThrottleRepository,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    @Inject(LOGGER) logger: AppLogger,
  ) {
    this.log = logger.child({ ctx: 'feedback-limits' });
  }

  /** Counts one hit of `kind` for `hash` against `limit` per window. */
  async take(kind: LimitKind, hash: string, limit: number): Promise<LimitOutcome> {
    const now = this.clock.now();
    const w = this.windowOf(kind, now);
    const key = `${kind}:${hash}`;
    const count = await this.repo.hit(key, w.start);
    this.purgeLazily(now);
    if (count > limit) return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((w.end - now) / 1000)) };
    return { ok: true, release: () => this.repo.release(key, w.start) };
  }

  private windowOf(kind: LimitKind, now: number): ThrottleWindow {
    if (kind === 'lookup') return fixedWindow(now, 10 * 60_000);
    if (kind !== 'phone') return fixedWindow(now, HOUR);
    // "Try again tomorrow" means the commune's tomorrow: the day window runs from local midnight to local midnight.
    const p = localParts(now, this.config.timezone);
    const start = zonedToUtc(p.y, p.m, p.d, 0, 0, 0, this.config.timezone);
    const next = new Date(Date.UTC(p.y, p.m - 1, p.d + 1));
    return { start, end: zonedToUtc(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), 0, 0, 0, this.config.timezone) };
  }

  private purgeLazily(now: number): void {
    if (now - this.lastPurge < PURGE_EVERY_MS) return;
    this.lastPurge = now;
    this.repo.purgeBefore(now - KEEP_MS).catch((err: unknown) => this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'purging old feedback rate-limit windows failed'));
  }
}
