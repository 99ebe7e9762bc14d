import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { NamedLocks } from '../common/named-locks.js';
import { AppConfig } from '../config/app-config.js';
import { JobScheduler } from '../jobs/job-scheduler.js';
import type { AppLogger } from '../logging/logger.js';
import { LOGGER } from '../logging/logging.module.js';
import { NOTIFIERS, type Notifier } from './notifiers.js';
import { NotificationsRepository } from './notifications.repository.js';

/** The leader's pass over the outbox: sends what is due (new, or a retry whose wait is over). */
export const NOTIFY_OUTBOX_JOB = 'notifications.outbox';
export const NOTIFY_OUTBOX_EVERY_MS = 15_000;
/** First retry after 30 s, then doubling, at most an hour apart. */
export const RETRY_BASE_MS = 30_000;
const RETRY_MAX_MS = 3_600_000;
const BATCH = 50;
const LOCK = 'notifications.outbox';

export const retryDelayMs = (attempts: number): number => Math.min(RETRY_BASE_MS * 2 ** Math.max(0, attempts - 1), RETRY_MAX_MS);

/** What one pass did (tests and logs). */
export interface DrainResult {
  sent: number;
  failed: number;
  gaveUp: number;
}

/**
 * Sends the e-mails and texts of notifications, apart from the change that caused them: an approval commits, its
 * notifications are stored with their outbox rows, and only then is anything sent, so a slow or failing gateway never
 * holds or fails the approval. A failed send is tried again with growing waits, up to LOA_NOTIFY_MAX_ATTEMPTS.
 *
 * Passes run one at a time across instances (NamedLocks): the leader's periodic job, and a pass started at once by the
 * instance that stored new messages (so a text goes out within a second, not at the next tick).
 */
@Injectable()
export class NotificationOutbox implements OnApplicationBootstrap {
  private readonly log: AppLogger;
  private kicked: Promise<DrainResult> | null = null;
  private again = false;

  constructor(
    private readonly repo: NotificationsRepository,
    @Inject(NOTIFIERS) private readonly notifiers: readonly Notifier[],
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly locks: NamedLocks,
    private readonly jobs: JobScheduler,
    @Inject(LOGGER) logger: AppLogger,
  ) {
    this.log = logger.child({ ctx: 'notifications' });
  }

  onApplicationBootstrap(): void {
    this.jobs.schedule({ name: NOTIFY_OUTBOX_JOB, intervalMs: NOTIFY_OUTBOX_EVERY_MS, runAtStart: true, run: () => this.drain(this.clock.now()) });
  }

  /** Starts a pass now (new messages were stored); one more follows if asked while one runs. Never rejects. */
  kick(): void {
    if (this.kicked) {
      this.again = true;
      return;
    }
    this.kicked = this.drain(this.clock.now())
      .catch((err: unknown) => {
        this.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'notification outbox pass failed');
        return { sent: 0, failed: 0, gaveUp: 0 };
      })
      .finally(() => {
        this.kicked = null;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Sends every message due at `now`. */
  drain(now: number): Promise<DrainResult> {
    return this.locks.run(LOCK, async () => {
      const result: DrainResult = { sent: 0, failed: 0, gaveUp: 0 };
      for (;;) {
        const due = await this.repo.due(now, BATCH);
        for (const row of due) {
          const attempts = row.attempts + 1;
          const notifier = this.notifiers.find((n) => n.channel === row.channel);
          try {
            if (!notifier?.enabled()) throw new Error(`${row.channel} is not configured`);
            await notifier.send({ to: row.address, subject: row.subject, text: row.body, id: row.id });
          } catch (err) {
            const reason = (err instanceof Error ? err.message : String(err)).slice(0, 500);
            const giveUp = attempts >= this.config.notify.maxAttempts;
            await this.repo.updateOutbox(row.id, { attempts, lastError: reason, nextAttemptAt: giveUp ? null : Math.max(now, this.clock.now()) + retryDelayMs(attempts), failedAt: giveUp ? this.clock.now() : null });
            this.log.warn({ outboxId: row.id, channel: row.channel, attempts, giveUp, reason }, giveUp ? 'notification not sent: giving up' : 'notification not sent: will retry');
            if (giveUp) result.gaveUp++;
            else result.failed++;
            continue;
          }
          await this.repo.updateOutbox(row.id, { attempts, sentAt: this.clock.now(), nextAttemptAt: null, lastError: null });
          result.sent++;
        }
        // A full batch may hide more due rows; the failed ones moved past `now`, so the loop ends.
        if (due.length < BATCH) return result;
      }
    });
  }

  /** Whether a pass started by kick() is still running (tests wait on it through `settled`). */
  async settled(): Promise<void> {
    while (this.kicked) await this.kicked;
  }
}
