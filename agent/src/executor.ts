import { priorityRank, type PlaybackEvent, type PlaybackEventType, type Slot } from '@loa/shared';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from './clock.js';
import { errorMessage } from './fsutil.js';
import { newEventId } from './outbox.js';
import type { RunHandle, SlotRunner } from './runners.js';
import type { OccurrenceLedger } from './timeline-store.js';

export interface ExecutorOptions {
  clock: Clock;
  ledger: OccurrenceLedger;
  runner: SlotRunner;
  logger: Logger;
  /** Persists (outbox) and forwards one report; the executor serialises calls in order. */
  emit: (event: PlaybackEvent) => Promise<void>;
  /** Called whenever what is playing changes (telemetry, board status). */
  onCurrent?: (occurrenceId: string | null) => void;
  /** A slot started this much after its start time is logged as late. */
  lateToleranceMs?: number;
  /** The longest the executor sleeps before re-checking its plan (guards against clock jumps). */
  maxSleepMs?: number;
}

type StopReason = 'preempted' | 'removed' | 'shutdown';

interface Current {
  slot: Slot;
  handle: RunHandle | null;
  startedAt: number;
  stopReason: StopReason | null;
  preemptedBy?: string;
  finished: Promise<void>;
}

const endOf = (s: Slot): number => s.startAt + s.durationMs;

/** Higher priority first, then earlier start: the order in which due slots get the output. */
const compareDue = (a: Slot, b: Slot): number => priorityRank(b.priority) - priorityRank(a.priority) || a.startAt - b.startAt;

/**
 * Plays the stored timeline against the clock. One slot owns the output at a time: a due slot of higher
 * priority preempts the current one, an equal or lower one waits and is skipped if its window closes
 * meanwhile. Every decision is reported exactly once per occurrence, backed by the persistent ledger.
 */
export class Executor {
  private slots: Slot[] = [];
  private current: Current | null = null;
  /** Due, not yet started, waiting for the output. */
  private readonly waiting = new Map<string, { slot: Slot; blockedBy: string | null }>();
  private timer: TimerHandle | null = null;
  private running = false;
  private io: Promise<void> = Promise.resolve();

  constructor(private readonly opts: ExecutorOptions) {}

  get playing(): string | null {
    return this.current?.slot.occurrenceId ?? null;
  }

  /** Starts from the stored timeline (if any): passed slots are reported expired, current ones start late. */
  start(slots: readonly Slot[]): void {
    this.running = true;
    // A 'started' without an outcome means the agent died mid-playback; the occurrence is not replayed.
    const known = new Map(slots.map((s) => [s.occurrenceId, s]));
    for (const s of known.values()) {
      if (this.opts.ledger.get(s.occurrenceId)?.state === 'started') {
        this.report('failed', s, { reason: 'agent restarted during playback' });
      }
    }
    this.setSlots(slots, true);
  }

  /** Re-plans against a new timeline; occurrences removed from it are not played (and stopped if playing). */
  setSlots(slots: readonly Slot[], startup = false): void {
    this.slots = [...slots].sort((a, b) => a.startAt - b.startAt);
    const ids = new Set(this.slots.map((s) => s.occurrenceId));
    for (const s of this.slots) {
      if (!this.opts.ledger.get(s.occurrenceId)) this.report('delivered', s);
    }
    for (const id of [...this.waiting.keys()]) if (!ids.has(id)) this.waiting.delete(id);
    const cur = this.current;
    if (cur && !ids.has(cur.slot.occurrenceId) && !cur.stopReason) {
      this.opts.logger.info({ occurrenceId: cur.slot.occurrenceId }, 'playing occurrence was removed from the timeline; stopping it');
      cur.stopReason = 'removed';
      cur.handle?.stop();
    }
    void this.opts.ledger.prune(ids, this.opts.clock.now()).catch((err: unknown) => {
      this.opts.logger.warn({ err: errorMessage(err) }, 'could not prune occurrence ledger');
    });
    this.tick(startup);
  }

  /** Stops playback (reported as failed: agent stopped) and waits until every report is persisted. */
  async stop(): Promise<void> {
    this.running = false;
    this.opts.clock.clearTimer(this.timer);
    this.timer = null;
    const cur = this.current;
    if (cur) {
      if (!cur.stopReason) cur.stopReason = 'shutdown';
      cur.handle?.stop();
      await cur.finished;
    }
    await this.flush();
  }

  /** Resolves when all reports issued so far are persisted. */
  async flush(): Promise<void> {
    let seen: Promise<void>;
    do {
      seen = this.io;
      await seen;
    } while (seen !== this.io);
  }

  private handled(occurrenceId: string): boolean {
    const rec = this.opts.ledger.get(occurrenceId);
    return rec !== undefined && rec.state !== 'delivered';
  }

  private tick(startup = false): void {
    if (!this.running) return;
    this.opts.clock.clearTimer(this.timer);
    this.timer = null;
    const now = this.opts.clock.now();
    let wakeAt = Number.POSITIVE_INFINITY;

    for (const s of this.slots) {
      const id = s.occurrenceId;
      if (this.handled(id) || this.current?.slot.occurrenceId === id) continue;
      const queued = this.waiting.get(id);
      if (endOf(s) <= now) {
        this.waiting.delete(id);
        if (queued?.blockedBy) this.report('skipped', s, { reason: `window closed while ${queued.blockedBy} was playing` });
        else this.report('expired', s, { reason: startup ? 'window passed while the agent was not running' : 'window passed before it could start' });
        continue;
      }
      if (s.startAt <= now) {
        if (!queued) this.waiting.set(id, { slot: s, blockedBy: null });
        wakeAt = Math.min(wakeAt, endOf(s));
      } else {
        wakeAt = Math.min(wakeAt, s.startAt);
      }
    }

    this.dispatch(now);
    if (Number.isFinite(wakeAt)) {
      const delay = Math.min(Math.max(0, wakeAt - now), this.opts.maxSleepMs ?? 3_600_000);
      this.timer = this.opts.clock.setTimer(() => this.tick(), delay);
    }
  }

  private dispatch(now: number): void {
    const next = [...this.waiting.values()].map((w) => w.slot).sort(compareDue)[0];
    if (!next) return;
    const cur = this.current;
    if (cur) {
      for (const w of this.waiting.values()) w.blockedBy ??= cur.slot.occurrenceId;
      // Preempt only once the current one really runs; a start in progress is re-checked right after.
      if (cur.handle && !cur.stopReason && priorityRank(next.priority) > priorityRank(cur.slot.priority)) {
        this.opts.logger.info(
          { occurrenceId: cur.slot.occurrenceId, by: next.occurrenceId, priority: next.priority },
          'preempting current playback for a higher priority slot',
        );
        cur.stopReason = 'preempted';
        cur.preemptedBy = next.occurrenceId;
        cur.handle.stop();
      }
      return;
    }
    this.waiting.delete(next.occurrenceId);
    const lateMs = now - next.startAt;
    if (lateMs > (this.opts.lateToleranceMs ?? 2000)) {
      this.opts.logger.warn({ occurrenceId: next.occurrenceId, lateMs }, 'starting slot late (still inside its window)');
    }
    this.startSlot(next);
  }

  private startSlot(slot: Slot): void {
    let resolveFinished!: () => void;
    const cur: Current = {
      slot,
      handle: null,
      startedAt: this.opts.clock.now(),
      stopReason: null,
      finished: new Promise<void>((r) => (resolveFinished = r)),
    };
    this.current = cur;
    const log = this.opts.logger.child({ occurrenceId: slot.occurrenceId });

    const run = async (): Promise<void> => {
      let handle: RunHandle;
      try {
        handle = await this.opts.runner.run(slot);
      } catch (err) {
        log.warn({ err: errorMessage(err) }, 'slot could not start');
        this.report('failed', slot, { reason: errorMessage(err) });
        return;
      }
      cur.handle = handle;
      cur.startedAt = this.opts.clock.now();
      this.report('started', slot);
      log.info({ title: slot.title, priority: slot.priority }, 'playback started');
      this.opts.onCurrent?.(slot.occurrenceId);
      if (cur.stopReason) handle.stop();
      else this.tick(); // something of higher priority may have become due while starting

      const r = await handle.done;
      const playedMs = Math.round(r.playedMs);
      switch (cur.stopReason) {
        case 'preempted':
          this.report('preempted', slot, { playedMs, reason: `preempted by ${cur.preemptedBy ?? 'a higher priority slot'}` });
          break;
        case 'removed':
          this.report('skipped', slot, { playedMs, reason: 'removed from the timeline while playing' });
          break;
        case 'shutdown':
          this.report('failed', slot, { playedMs, reason: 'agent stopped during playback' });
          break;
        default:
          if (r.ok) this.report('finished', slot, { playedMs });
          else this.report('failed', slot, { playedMs, reason: r.stopped ? 'stopped' : r.reason });
      }
      log.info({ playedMs, outcome: cur.stopReason ?? (r.ok ? 'finished' : 'failed') }, 'playback ended');
    };

    run()
      .catch((err: unknown) => {
        log.error({ err: errorMessage(err) }, 'unexpected executor error');
        if (!this.handled(slot.occurrenceId)) this.report('failed', slot, { reason: `internal error: ${errorMessage(err)}` });
      })
      .finally(() => {
        if (this.current === cur) this.current = null;
        this.opts.onCurrent?.(null);
        resolveFinished();
        this.tick();
      });
  }

  /** Records the decision at once (so it is never taken twice) and persists the report in order. */
  private report(type: PlaybackEventType, slot: Slot, extra: { playedMs?: number; reason?: string } = {}): void {
    const at = this.opts.clock.now();
    const event: PlaybackEvent = {
      id: newEventId(at),
      occurrenceId: slot.occurrenceId,
      type,
      at,
      ...(extra.playedMs !== undefined ? { playedMs: extra.playedMs } : {}),
      ...(extra.reason !== undefined ? { reason: extra.reason.slice(0, 500) } : {}),
    };
    const ledgerWrite = this.opts.ledger.set(slot.occurrenceId, { state: type, at, endsAt: endOf(slot) });
    this.io = this.io
      .then(async () => {
        await this.opts.emit(event);
        await ledgerWrite;
      })
      .catch((err: unknown) => {
        this.opts.logger.error({ err: errorMessage(err), event }, 'could not persist playback report');
      });
  }
}
