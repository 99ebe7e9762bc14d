import { defaultOnPreempt, priorityRank, type PlaybackEvent, type PlaybackEventType, type PreemptPolicy, type Slot } from '@loa/shared';
import type { Logger } from 'pino';
import { setPrecise, type Clock, type TimerHandle } from '../../clock.js';
import { errorMessage } from '../../fsutil.js';
import type { StartInfo } from '../../core/bus.js';
import { clampLufs } from './loudness.js';
import { newEventId } from '../reports/outbox.js';
import type { RunHandle, SlotRunner } from './runners.js';
import type { OccurrenceLedger } from './occurrence-ledger.js';

export interface ExecutorOptions {
  /** The corrected (server) clock: slots start, and reports are stamped, on it. */
  clock: Clock;
  ledger: OccurrenceLedger;
  runner: SlotRunner;
  logger: Logger;
  /** Persists (outbox) and forwards one report; the executor serialises calls in order. */
  emit: (event: PlaybackEvent) => Promise<void>;
  /** Called whenever what is playing changes (telemetry, board status). */
  onCurrent?: (occurrenceId: string | null) => void;
  /** Called right after a slot really started for the first time (benchmarks of the synchronised start). */
  onStarted?: (info: StartInfo) => void;
  /** The device's own, uncorrected clock (only reported in StartInfo). */
  localNow?: () => number;
  /** A slot started this much after its start time is logged as late. */
  lateToleranceMs?: number;
  /** The longest the executor sleeps before re-checking its plan (guards against clock jumps). */
  maxSleepMs?: number;
  /** Media of a slot is checked this long before its start, so the start itself is quick (default 3000 ms). */
  prepareLeadMs?: number;
  /** Audio already playing may run this far past its window (start-up overheads) before it is cut (default 2000 ms). */
  overrunMs?: number;
}

export type { StartInfo };

/** Spread (max − min) of real start instants, e.g. of `wallAt` across agents in one process. */
export function startSpread(instants: readonly number[]): number {
  return instants.length === 0 ? 0 : Math.max(...instants) - Math.min(...instants);
}

/** What an interrupted item does when the output frees up: the slot's policy, else resume (skip for emergencies). */
export const preemptPolicyOf = (s: Slot): PreemptPolicy => s.onPreempt ?? defaultOnPreempt(s.priority);

/** `stopped`: an operator's stop command; the item ends there (reported preempted) and is not continued. */
type StopReason = 'preempted' | 'removed' | 'shutdown' | 'stopped';

/** How far an occurrence got, carried across preemptions. */
interface Progress {
  /** Audio: which play of `repeat` (0-based). */
  playIndex: number;
  /** Audio: position inside the current play. */
  offsetMs: number;
  /** Total played so far, every run included. */
  playedMs: number;
  startedReported: boolean;
  preemptedBy: string[];
  notes: string[];
  /** Loudest momentary level measured at the output over every run (LUFS), when the runner measures it. */
  maxLevelLufs?: number;
  /** Audio: per play, how far into the file the output got (a restart or a resume overlap counts once). */
  heard: number[];
  /** Time spent interrupted, every interruption included: what a resumed audio item may win back. */
  lostMs: number;
  /** Audio resumed after preemption: the end of its window, extended into free time (see extensionEnd). */
  extendedEnd?: number;
}

interface Current {
  slot: Slot;
  progress: Progress;
  handle: RunHandle | null;
  stopReason: StopReason | null;
  preemptedBy?: string;
  cancelGap: (() => void) | null;
  finished: Promise<void>;
}

interface Suspended {
  slot: Slot;
  progress: Progress;
  policy: PreemptPolicy;
  /** When it was interrupted (corrected clock). */
  since: number;
}

const endOf = (s: Slot): number => s.startAt + s.durationMs;
const levelOf = (p: Progress): { outputLevelLufs?: number } => (p.maxLevelLufs === undefined ? {} : { outputLevelLufs: p.maxLevelLufs });
const freshProgress = (): Progress => ({ playIndex: 0, offsetMs: 0, playedMs: 0, startedReported: false, preemptedBy: [], notes: [], heard: [], lostMs: 0 });

/** How long the whole item is: every play of an audio file; the window for what is shown or relayed. */
export const itemMsOf = (s: Slot): number => (s.type === 'audio' ? s.media.durationMs * (s.repeat ?? 1) : s.durationMs);

/** How much of the item was output at least once (audio: per play, the furthest position reached). */
const heardMsOf = (s: Slot, p: Progress): number =>
  Math.min(itemMsOf(s), s.type === 'audio' ? p.heard.reduce((a, b) => a + b, 0) : p.playedMs);

/** What a report says about an item that started: output time, how much of the item was heard, and the level. */
const proofOf = (s: Slot, p: Progress): { playedMs: number; heardMs: number; itemMs: number; outputLevelLufs?: number } => ({
  playedMs: Math.round(p.playedMs),
  heardMs: Math.round(heardMsOf(s, p)),
  itemMs: itemMsOf(s),
  ...levelOf(p),
});

/** Higher priority first, then earlier start: the order in which due slots get the output. */
const compareDue = (a: Slot, b: Slot): number => priorityRank(b.priority) - priorityRank(a.priority) || a.startAt - b.startAt;

/**
 * Plays the stored timeline against the clock. One slot owns the output at a time: a due slot of higher
 * priority preempts the current one, which then resumes, restarts or is dropped per its policy once the output
 * frees up (if its window is still open); an equal or lower one waits and is skipped if its window closes
 * meanwhile. Every occurrence ends in exactly one terminal report, backed by the persistent ledger.
 */
export class Executor {
  private slots: Slot[] = [];
  /** The slots given by setSlots (timeline and alerts), without the one-off ones. */
  private planned: Slot[] = [];
  /** One-off slots (an operator's playNow), kept across timeline changes until done. */
  private readonly oneOffs = new Map<string, Slot>();
  private current: Current | null = null;
  /** Due, not yet started, waiting for the output. */
  private readonly waiting = new Map<string, { slot: Slot; blockedBy: string | null }>();
  /** Interrupted by a higher priority, to be continued when the output frees up. */
  private readonly suspended = new Map<string, Suspended>();
  private readonly prepared = new Set<string>();
  private timer: TimerHandle | null = null;
  private running = false;
  private io: Promise<void> = Promise.resolve();

  constructor(private readonly opts: ExecutorOptions) {}

  get playing(): string | null {
    return this.current?.slot.occurrenceId ?? null;
  }

  /** Occurrences interrupted and waiting to continue. */
  get interrupted(): string[] {
    return [...this.suspended.keys()];
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
    this.planned = [...slots];
    const now = this.opts.clock.now();
    for (const [id, s] of this.oneOffs) if (endOf(s) <= now && this.handled(id)) this.oneOffs.delete(id);
    this.slots = [...slots, ...this.oneOffs.values()].sort((a, b) => a.startAt - b.startAt);
    const byId = new Map(this.slots.map((s) => [s.occurrenceId, s]));
    for (const s of this.slots) {
      if (!this.opts.ledger.get(s.occurrenceId)) this.report('delivered', s);
    }
    for (const id of [...this.waiting.keys()]) if (!byId.has(id)) this.waiting.delete(id);
    for (const id of [...this.prepared]) if (!byId.has(id)) this.prepared.delete(id);
    for (const [id, sus] of [...this.suspended]) {
      const now = byId.get(id);
      if (now) {
        sus.slot = now;
        continue;
      }
      this.suspended.delete(id);
      if (sus.progress.startedReported) {
        this.report('skipped', sus.slot, { ...proofOf(sus.slot, sus.progress), reason: 'removed from the timeline while preempted' });
      }
    }
    const cur = this.current;
    if (cur && !byId.has(cur.slot.occurrenceId) && !cur.stopReason) {
      this.opts.logger.info({ occurrenceId: cur.slot.occurrenceId }, 'playing occurrence was removed from the timeline; stopping it');
      this.stopCurrent(cur, 'removed');
    }
    void this.opts.ledger.prune(new Set(byId.keys()), this.opts.clock.now()).catch((err: unknown) => {
      this.opts.logger.warn({ err: errorMessage(err) }, 'could not prune occurrence ledger');
    });
    this.tick(startup);
  }

  /** Re-checks the plan now (after the clock was corrected). */
  replan(): void {
    this.tick();
  }

  /**
   * Runs a one-off slot (an operator's playNow) alongside the timeline: at its priority, under the usual rules
   * (it waits for a higher priority item, preempts a lower one) and with the usual reports.
   */
  runNow(slot: Slot): void {
    this.oneOffs.set(slot.occurrenceId, slot);
    this.setSlots(this.planned);
  }

  /**
   * Stops the item playing now (an operator's stop): it ends reported `preempted` and is not continued; whatever
   * waits for the output then gets it. Resolves with the stopped occurrence once it ended, or null if none played.
   */
  async stopPlaying(): Promise<string | null> {
    const cur = this.current;
    if (!cur || (cur.stopReason && cur.stopReason !== 'preempted')) return null;
    cur.stopReason = 'stopped';
    cur.handle?.stop();
    cur.cancelGap?.();
    await cur.finished;
    return cur.slot.occurrenceId;
  }

  /** Stops playback (reported as failed: agent stopped) and waits until every report is persisted. */
  async stop(): Promise<void> {
    this.running = false;
    this.opts.clock.clearTimer(this.timer);
    this.timer = null;
    const cur = this.current;
    if (cur) {
      if (!cur.stopReason) this.stopCurrent(cur, 'shutdown');
      await cur.finished;
    }
    for (const [id, sus] of [...this.suspended]) {
      this.suspended.delete(id);
      if (sus.progress.startedReported) {
        this.report('failed', sus.slot, { ...proofOf(sus.slot, sus.progress), reason: 'agent stopped while the item was preempted' });
      }
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

  private stopCurrent(cur: Current, reason: StopReason, by?: string): void {
    cur.stopReason = reason;
    if (by) cur.preemptedBy = by;
    cur.handle?.stop();
    cur.cancelGap?.();
  }

  private tick(startup = false): void {
    if (!this.running) return;
    this.opts.clock.clearTimer(this.timer);
    this.timer = null;
    const now = this.opts.clock.now();
    let wakeAt = Number.POSITIVE_INFINITY;
    let precise = false;
    const wake = (at: number, isStart = false): void => {
      if (at < wakeAt || (at === wakeAt && isStart)) {
        wakeAt = at;
        precise = isStart;
      }
    };
    const prepareLead = this.opts.prepareLeadMs ?? 3000;

    for (const s of this.slots) {
      const id = s.occurrenceId;
      if (this.current?.slot.occurrenceId === id || this.suspended.has(id) || this.handled(id)) continue;
      const queued = this.waiting.get(id);
      if (endOf(s) <= now) {
        this.waiting.delete(id);
        if (queued?.blockedBy) this.report('skipped', s, { reason: `window closed while ${queued.blockedBy} was playing` });
        else this.report('expired', s, { reason: startup ? 'window passed while the agent was not running' : 'window passed before it could start' });
        continue;
      }
      if (s.startAt <= now) {
        const unsupported = this.opts.runner.unsupported?.(s) ?? null;
        if (unsupported) {
          this.waiting.delete(id);
          this.report('skipped', s, { reason: unsupported });
          continue;
        }
        if (!queued) this.waiting.set(id, { slot: s, blockedBy: null });
        wake(endOf(s));
      } else {
        if (s.startAt - prepareLead <= now) this.prepare(s);
        else wake(s.startAt - prepareLead);
        wake(s.startAt, true);
      }
    }
    for (const [id, sus] of [...this.suspended]) {
      if (endOf(sus.slot) <= now) {
        this.suspended.delete(id);
        const by = sus.progress.preemptedBy.join(', ');
        this.report('preempted', sus.slot, { ...proofOf(sus.slot, sus.progress), reason: `preempted by ${by}; window closed before it could ${sus.policy}` });
      } else {
        wake(endOf(sus.slot));
      }
    }

    this.dispatch(now);
    if (Number.isFinite(wakeAt)) {
      const delay = Math.min(Math.max(0, wakeAt - now), this.opts.maxSleepMs ?? 3_600_000);
      const fire = (): void => this.tick();
      this.timer = precise && delay === wakeAt - now ? setPrecise(this.opts.clock, fire, delay) : this.opts.clock.setTimer(fire, delay);
    }
  }

  private prepare(s: Slot): void {
    if (this.prepared.has(s.occurrenceId) || !this.opts.runner.prepare) return;
    this.prepared.add(s.occurrenceId);
    this.opts.runner.prepare(s).catch((err: unknown) => {
      // Not reported here: the start re-checks and reports the failure at slot time.
      this.opts.logger.warn({ occurrenceId: s.occurrenceId, err: errorMessage(err) }, 'slot not ready ahead of its start');
    });
  }

  private dispatch(now: number): void {
    const candidates: Array<{ slot: Slot; suspended: boolean }> = [
      ...[...this.waiting.values()].map((w) => ({ slot: w.slot, suspended: false })),
      ...[...this.suspended.values()].map((s) => ({ slot: s.slot, suspended: true })),
    ].sort((a, b) => compareDue(a.slot, b.slot));
    const next = candidates[0];
    if (!next) return;
    const cur = this.current;
    if (cur) {
      for (const w of this.waiting.values()) w.blockedBy ??= cur.slot.occurrenceId;
      if (!cur.stopReason && priorityRank(next.slot.priority) > priorityRank(cur.slot.priority)) {
        this.opts.logger.info(
          { occurrenceId: cur.slot.occurrenceId, by: next.slot.occurrenceId, priority: next.slot.priority },
          'preempting current playback for a higher priority slot',
        );
        this.stopCurrent(cur, 'preempted', next.slot.occurrenceId);
      }
      return;
    }
    const id = next.slot.occurrenceId;
    if (next.suspended) {
      const sus = this.suspended.get(id)!;
      this.suspended.delete(id);
      sus.progress.lostMs += Math.max(0, now - sus.since);
      const extendedEnd = this.extensionEnd(sus.slot, sus.progress, now);
      if (extendedEnd === undefined) delete sus.progress.extendedEnd;
      else sus.progress.extendedEnd = extendedEnd;
      this.opts.logger.info(
        { occurrenceId: id, policy: sus.policy, playIndex: sus.progress.playIndex, offsetMs: Math.round(sus.progress.offsetMs) },
        `continuing preempted item (${sus.policy})`,
      );
      this.startSession(sus.slot, sus.progress);
      return;
    }
    this.waiting.delete(id);
    const lateMs = now - next.slot.startAt;
    if (lateMs > (this.opts.lateToleranceMs ?? 2000)) {
      this.opts.logger.warn({ occurrenceId: id, lateMs }, 'starting slot late (still inside its window)');
    }
    this.startSession(next.slot, freshProgress());
  }

  /**
   * What `resume` and `restart` promise an audio item: the time the interruption took is won back past the end of
   * its window, but only from free time: never past the start of another slot, and not at all while another item
   * waits for the output. What still does not fit is cut, and the item ends `preempted` (see play()). Boards and
   * relays are not extended: a text is shown again for the rest of its window, and a live stream is live.
   */
  private extensionEnd(slot: Slot, p: Progress, now: number): number | undefined {
    if (slot.type !== 'audio' || p.lostMs <= 0) return undefined;
    const end = endOf(slot);
    if (this.waiting.size > 0 || this.suspended.size > 0) return undefined;
    let until = end + p.lostMs;
    for (const s of this.slots) {
      if (s.occurrenceId !== slot.occurrenceId && s.startAt > now && s.startAt < until && !this.handled(s.occurrenceId)) until = s.startAt;
    }
    return until > end ? until : undefined;
  }

  private startSession(slot: Slot, progress: Progress): void {
    let resolveFinished!: () => void;
    const cur: Current = {
      slot,
      progress,
      handle: null,
      stopReason: null,
      cancelGap: null,
      finished: new Promise<void>((r) => (resolveFinished = r)),
    };
    this.current = cur;
    const log = this.opts.logger.child({ occurrenceId: slot.occurrenceId });

    this.play(cur, log)
      .catch((err: unknown) => {
        log.error({ err: errorMessage(err) }, 'unexpected executor error');
        if (!this.isTerminal(slot.occurrenceId)) this.report('failed', slot, { playedMs: Math.round(progress.playedMs), reason: `internal error: ${errorMessage(err)}` });
      })
      .finally(() => {
        if (this.current === cur) this.current = null;
        this.opts.onCurrent?.(null);
        resolveFinished();
        this.tick();
      });
  }

  private isTerminal(occurrenceId: string): boolean {
    const s = this.opts.ledger.get(occurrenceId)?.state;
    return s !== undefined && s !== 'delivered' && s !== 'started';
  }

  /** Runs one occurrence until it ends, is stopped, or its window closes; then reports or suspends it. */
  private async play(cur: Current, log: Logger): Promise<void> {
    const { clock, runner } = this.opts;
    const { slot, progress: p } = cur;
    const end = p.extendedEnd ?? endOf(slot);
    const plays = slot.type === 'audio' ? (slot.repeat ?? 1) : 1;
    const gapMs = slot.type === 'audio' ? (slot.gapMs ?? 0) : 0;
    const overrun = this.opts.overrunMs ?? 2000;
    let outcome: { kind: 'done' } | { kind: 'window'; note: string } | { kind: 'failed'; reason: string } = { kind: 'done' };

    for (;;) {
      if (cur.stopReason) break;
      const now = clock.now();
      if (now >= end) {
        outcome = { kind: 'window', note: `window ended after ${p.playIndex} of ${plays} plays` };
        break;
      }
      const maxMs = (slot.type === 'audio' ? end + overrun : end) - now;
      const offsetMs = slot.type === 'audio' ? Math.round(p.offsetMs) : 0;
      const capped = slot.type === 'audio' && slot.media.durationMs - offsetMs > maxMs;
      let handle: RunHandle;
      try {
        handle = await runner.run(slot, { offsetMs, maxMs });
      } catch (err) {
        log.warn({ err: errorMessage(err) }, 'slot could not start');
        outcome = { kind: 'failed', reason: errorMessage(err) };
        break;
      }
      cur.handle = handle;
      if (!p.startedReported && !cur.stopReason) {
        const startedAt = clock.now();
        const localStartedAt = this.opts.localNow?.() ?? startedAt;
        const wallAt = Date.now();
        p.startedReported = true;
        this.report('started', slot);
        log.info({ title: slot.title, priority: slot.priority, lateMs: startedAt - slot.startAt }, 'playback started');
        this.opts.onStarted?.({ occurrenceId: slot.occurrenceId, targetAt: slot.startAt, startedAt, localStartedAt, wallAt });
      } else if (offsetMs > 0 || p.preemptedBy.length > 0) {
        log.info({ playIndex: p.playIndex, offsetMs }, 'playback continued');
      }
      this.opts.onCurrent?.(slot.occurrenceId);
      if (cur.stopReason) handle.stop();
      else this.tick(); // something of higher priority may have become due while starting

      const r = await handle.done;
      cur.handle = null;
      // Played is what was output (the player's progress), not how long the process ran.
      const outMs = r.mediaMs ?? r.playedMs;
      p.playedMs += outMs;
      if (slot.type === 'audio') {
        // A play that ran to its natural end was heard to the end, whatever the rounding of the progress.
        const reached = r.ok && !capped ? slot.media.durationMs : Math.min(slot.media.durationMs, offsetMs + outMs);
        p.heard[p.playIndex] = Math.max(p.heard[p.playIndex] ?? 0, reached);
      }
      if (r.maxLevelLufs !== undefined) p.maxLevelLufs = Math.max(p.maxLevelLufs ?? r.maxLevelLufs, r.maxLevelLufs);
      if (cur.stopReason) {
        if (slot.type === 'audio') p.offsetMs = offsetMs + outMs;
        break;
      }
      if (!r.ok) {
        outcome = { kind: 'failed', reason: r.stopped ? 'stopped' : r.reason };
        break;
      }
      if (r.ok && r.note) p.notes.push(r.note);
      if (slot.type !== 'audio') break;
      if (capped) {
        outcome = { kind: 'window', note: `cut at the end of its window during play ${p.playIndex + 1} of ${plays}` };
        break;
      }
      p.playIndex++;
      p.offsetMs = 0;
      if (p.playIndex >= plays) break;
      if (gapMs > 0) {
        await new Promise<void>((resolve) => {
          const t = clock.setTimer(resolve, gapMs);
          cur.cancelGap = () => {
            clock.clearTimer(t);
            resolve();
          };
        });
        cur.cancelGap = null;
      }
    }

    const proof = proofOf(slot, p);
    const { playedMs } = proof;
    const by = cur.preemptedBy ?? 'a higher priority slot';
    switch (cur.stopReason) {
      case 'stopped':
        this.report('preempted', slot, { ...proof, reason: 'stopped by remote command' });
        break;
      case 'preempted': {
        const policy = preemptPolicyOf(slot);
        if (policy === 'skip' || !p.startedReported) {
          if (!p.startedReported) {
            // Stopped before it really started: it simply waits again as if never started.
            this.waiting.set(slot.occurrenceId, { slot, blockedBy: by });
            break;
          }
          this.report('preempted', slot, { ...proof, reason: `preempted by ${by}` });
        } else {
          if (policy === 'restart') {
            p.playIndex = 0;
            p.offsetMs = 0;
          }
          p.preemptedBy.push(by);
          this.suspended.set(slot.occurrenceId, { slot, progress: p, policy, since: clock.now() });
          log.info({ by, policy, playedMs }, 'playback preempted; will continue when the output frees up');
        }
        break;
      }
      case 'removed':
        this.report('skipped', slot, { ...proof, reason: 'removed from the timeline while playing' });
        break;
      case 'shutdown':
        this.report('failed', slot, { ...proof, reason: 'agent stopped during playback' });
        break;
      default: {
        const notes: string[] = [];
        if (p.preemptedBy.length > 0) {
          notes.push(`${preemptPolicyOf(slot) === 'restart' ? 'restarted' : 'resumed'} after preemption by ${p.preemptedBy.join(', ')}`);
        }
        if (outcome.kind === 'window') notes.push(outcome.note);
        notes.push(...p.notes);
        if (outcome.kind === 'failed') {
          this.report('failed', slot, { ...(p.startedReported ? proof : levelOf(p)), reason: [outcome.reason, ...notes].join('; ') });
        } else if (slot.type === 'audio' && p.preemptedBy.length > 0 && proof.heardMs < proof.itemMs) {
          // Resumed, but even its extension into free time could not hold the rest: not `finished`.
          this.report('preempted', slot, { ...proof, reason: notes.join('; ') });
        } else {
          this.report('finished', slot, { ...proof, ...(notes.length ? { reason: notes.join('; ') } : {}) });
        }
      }
    }
    log.info({ playedMs, outcome: cur.stopReason ?? outcome.kind }, 'playback ended');
  }

  /** Records the decision at once (so it is never taken twice) and persists the report in order. */
  private report(
    type: PlaybackEventType,
    slot: Slot,
    extra: { playedMs?: number; heardMs?: number; itemMs?: number; reason?: string; outputLevelLufs?: number } = {},
  ): void {
    const at = this.opts.clock.now();
    const event: PlaybackEvent = {
      id: newEventId(at),
      occurrenceId: slot.occurrenceId,
      type,
      at,
      ...(extra.playedMs !== undefined ? { playedMs: Math.max(0, Math.round(extra.playedMs)) } : {}),
      ...(extra.heardMs !== undefined ? { heardMs: Math.max(0, Math.round(extra.heardMs)) } : {}),
      ...(extra.itemMs !== undefined ? { itemMs: Math.max(1, Math.round(extra.itemMs)) } : {}),
      ...(extra.reason !== undefined ? { reason: extra.reason.slice(0, 500) } : {}),
      ...(extra.outputLevelLufs !== undefined ? { outputLevelLufs: clampLufs(extra.outputLevelLufs) } : {}),
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
