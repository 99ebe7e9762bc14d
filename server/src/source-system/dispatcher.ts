import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { AuditService } from '../audit/audit.service.js';
import { Clock } from '../common/clock.js';
import { JobScheduler } from '../jobs/job-scheduler.js';
import type { AppLogger } from '../logging/logger.js';
import { LOGGER } from '../logging/logging.module.js';
import type { ExchangeAdapter, SendResult } from './dispatcher.adapter.js';
import type { SourceExchangeEntity } from './exchange.entity.js';
import type { SourcePeerEntity } from './peer.entity.js';
import { LoaAdapter } from './loa-adapter.js';
import { OutboxRepository } from './outbox.repository.js';
import { PeersService } from './peers.service.js';
import { RestAdapter } from './rest-adapter.js';

export const DISPATCH_JOB = 'source-system.dispatch';
export const DISPATCH_INTERVAL_MS = 5_000;

/** When to try again and when to give up (see docs/source-system.md). */
export const RETRY_POLICY = {
  /** The first retry comes about this long after the first failure; each next one twice as late. */
  baseMs: 10_000,
  /** No wait longer than this. */
  capMs: 60 * 60_000,
  /** ±25 % at random on each wait, so retries of many exchanges (or instances) do not fall in step. */
  jitter: 0.25,
  /** Dead after this many attempts… */
  maxAttempts: 20,
  /** …or once the next attempt would come this long after the exchange was created. */
  maxAgeMs: 3 * 24 * 60 * 60_000,
} as const;

/** The wait before attempt `attempts + 1`, given `attempts` made (1 → about base). */
export function backoffMs(attempts: number, random: number, policy: typeof RETRY_POLICY = RETRY_POLICY): number {
  const exp = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, attempts - 1));
  return Math.min(policy.capMs, Math.round(exp * (1 - policy.jitter + 2 * policy.jitter * random)));
}

const BATCH = 50;
/** Sends in flight at once (all peers together). */
const PARALLEL = 8;
/** One dispatch run sends at most this many before yielding to the next tick. */
const RUN_LIMIT = 1_000;

const SYSTEM_ACTOR = { id: null, name: 'source-system', role: 'system', areaCode: null };

/**
 * Sends the outbox. A leader-gated periodic job (every 5 s, and at start-up: rows left by a previous run are taken
 * up) plus a wake-up when something is enqueued. Each due row is claimed by a compare-and-set that also sets a
 * lease, so one process sends each attempt even if several dispatchers ran (leadership moving); a row whose sender
 * died comes back when its lease lapses. The whole state is in the database: a restart loses nothing.
 */
@Injectable()
export class Dispatcher implements OnApplicationBootstrap, OnModuleDestroy {
  private wakeTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private readonly log: AppLogger;

  constructor(
    private readonly repo: OutboxRepository,
    private readonly peers: PeersService,
    private readonly loa: LoaAdapter,
    private readonly rest: RestAdapter,
    private readonly clock: Clock,
    private readonly jobs: JobScheduler,
    private readonly audit: AuditService,
    @Inject(LOGGER) logger: AppLogger,
  ) {
    this.log = logger.child({ ctx: 'source-system' });
  }

  onApplicationBootstrap(): void {
    this.jobs.schedule({ name: DISPATCH_JOB, intervalMs: DISPATCH_INTERVAL_MS, runAtStart: true, run: () => this.dispatchDue() });
  }

  onModuleDestroy(): void {
    this.stopped = true;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
  }

  /**
   * Something was enqueued: run soon rather than at the next tick. Delayed a little, because the enqueue may still
   * be inside its producer's transaction; a row not yet committed is found by the next tick.
   */
  wake(): void {
    if (this.stopped || this.wakeTimer) return;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = null;
      void this.jobs.runNow(DISPATCH_JOB).then(
        (outcome) => {
          // A run was going: it may have looked before this row was there.
          if (outcome === 'busy') this.wake();
        },
        () => undefined,
      );
    }, 200);
    this.wakeTimer.unref();
  }

  /** Sends every due row (up to RUN_LIMIT); answers how many attempts were made. Safe to call from several processes. */
  async dispatchDue(): Promise<number> {
    let made = 0;
    while (made < RUN_LIMIT && !this.stopped) {
      const enabled = new Map((await this.peers.entities()).filter((p) => p.enabled).map((p) => [p.id, p]));
      if (enabled.size === 0) return made;
      const due = await this.repo.due(this.clock.now(), BATCH, [...enabled.keys()]);
      if (due.length === 0) return made;
      let next = 0;
      const worker = async () => {
        while (next < due.length) {
          const row = due[next++]!;
          if (await this.attempt(row, enabled.get(row.peerId) ?? null)) made++;
        }
      };
      await Promise.all(Array.from({ length: Math.min(PARALLEL, due.length) }, worker));
    }
    return made;
  }

  /** Claims and sends one row (as read by `due`); false when another process claimed it first. */
  private async attempt(row: SourceExchangeEntity, peer: SourcePeerEntity | null): Promise<boolean> {
    const now = this.clock.now();
    // Longer than one request can take (the OAuth2 token, a retry after a 401, then the send itself).
    const lease = now + 3 * (peer?.timeoutMs ?? 15_000) + 30_000;
    if (!(await this.repo.claim(row, now, lease))) return false;
    const attempts = row.attempts + 1;
    let result: SendResult;
    if (!peer) result = { outcome: 'dead', httpStatus: null, error: 'the peer no longer exists' };
    else {
      const adapter: ExchangeAdapter = peer.kind === 'loa' ? this.loa : this.rest;
      try {
        result = await adapter.send(peer, { id: row.id, kind: row.kind, idempotencyKey: row.idempotencyKey, payload: JSON.parse(row.payload) as unknown, attempt: attempts });
      } catch (err) {
        // Adapters do not throw; this is a bug, and retrying later is the safe side.
        result = { outcome: 'retry', httpStatus: null, error: `internal error: ${(err as Error).message}`, retryAfterMs: null };
      }
    }
    await this.settle(row, attempts, result, peer?.name ?? null);
    return true;
  }

  private async settle(row: SourceExchangeEntity, attempts: number, result: SendResult, peerName: string | null): Promise<void> {
    const now = this.clock.now();
    let state: 'sent' | 'failed' | 'dead';
    let patch: Partial<SourceExchangeEntity>;
    if (result.outcome === 'sent') {
      state = 'sent';
      patch = { state, sentAt: now, httpStatus: result.httpStatus, remoteRef: result.remoteRef, lastError: null, leaseUntil: null, nextAttemptAt: null, updatedAt: now };
    } else if (result.outcome === 'dead') {
      state = 'dead';
      patch = { state, httpStatus: result.httpStatus, lastError: result.error.slice(0, 1000), leaseUntil: null, nextAttemptAt: null, updatedAt: now };
    } else {
      const wait = Math.min(RETRY_POLICY.capMs, Math.max(backoffMs(attempts, Math.random()), result.retryAfterMs ?? 0));
      const giveUp = attempts >= RETRY_POLICY.maxAttempts || now + wait - row.createdAt > RETRY_POLICY.maxAgeMs;
      state = giveUp ? 'dead' : 'failed';
      const error = giveUp ? `gave up after ${attempts} attempts: ${result.error}` : result.error;
      patch = { state, httpStatus: result.httpStatus, lastError: error.slice(0, 1000), leaseUntil: null, nextAttemptAt: giveUp ? null : now + wait, updatedAt: now };
    }
    if (!(await this.repo.settle(row.id, attempts, patch))) {
      // The lease lapsed and another process took the row: its outcome stands.
      this.log.warn({ exchange: row.id, attempts }, 'exchange settled by another sender; this outcome is dropped');
      return;
    }
    if (state !== 'sent') this.log.warn({ exchange: row.id, peer: row.peerId, kind: row.kind, attempts, state, error: patch.lastError }, 'exchange not sent');
    await this.audit.record({
      actor: SYSTEM_ACTOR,
      action: `source-system.exchange-${state}`,
      resourceType: 'source-exchange',
      resourceId: row.id,
      outcome: state === 'sent' ? 'ok' : 'error',
      status: patch.httpStatus ?? 0,
      detail: {
        peerId: row.peerId,
        peer: peerName,
        kind: row.kind,
        exchangeRef: row.idempotencyKey,
        attempt: attempts,
        ...(state === 'sent' ? { remoteRef: patch.remoteRef } : { error: patch.lastError, nextAttemptAt: patch.nextAttemptAt ? new Date(patch.nextAttemptAt).toISOString() : null }),
      },
    });
  }
}
