import { join } from 'node:path';
import { TIME_PATH, timeResponseSchema } from '@loa/shared';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { Clock, TimerHandle } from '../../clock.js';
import { errorMessage, readJsonIfExists, writeJsonAtomic } from '../../fsutil.js';
import { defaultHttpFetch, type HttpResponse } from '../../http.js';

export type TimeFetchFn = (url: string, init: { signal?: AbortSignal; headers?: Record<string, string> }) => Promise<HttpResponse>;

export interface ClockSyncOptions {
  /** HTTP base URL of the server; the exchange runs against GET `${serverUrl}${TIME_PATH}`. */
  serverUrl: string;
  /** The device's own (uncorrected) clock. */
  local: Clock;
  logger: Logger;
  /** Where the last good offset is kept across restarts (`clock.json`). */
  dataDir: string;
  fetch?: TimeFetchFn;
  /** Exchanges per round (default 8). */
  samples?: number;
  /**
   * Exchanges of a periodic round (default 3): the offset is known and only drifts, so a few exchanges confirm it.
   * A round whose best round trip is much slower than the last estimate's takes the full `samples` instead.
   */
  routineSamples?: number;
  /** Pause between exchanges of a round (default 75 ms). */
  sampleSpacingMs?: number;
  /** Time between rounds (default 5 min); 0 measures once at start and after reconnects only. */
  intervalMs?: number;
  /**
   * Periodic rounds space out up to this (default 6 × intervalMs) while the drift they find stays under
   * `driftBudgetMs` per interval: a clock kept by NTP is confirmed a few times an hour, a drifting one every interval.
   */
  maxIntervalMs?: number;
  /** The most a periodic round should find the clock drifted (default 10 ms): it sets how far rounds may space out. */
  driftBudgetMs?: number;
  /** Delay before retrying a failed round (default 15 s, doubling up to intervalMs). */
  retryMs?: number;
  /** A correction larger than this is stepped even during playback (default 1000 ms). */
  stepThresholdMs?: number;
  /** Slew speed: milliseconds corrected per millisecond of local time (default 0.05, i.e. 50 ms/s). */
  slewRate?: number;
  /** Per-request timeout (default 5 s). */
  requestTimeoutMs?: number;
  /** True while something plays: small corrections are then slewed instead of stepped. */
  isBusy?: () => boolean;
  /** Called after the offset was stepped (by `deltaMs`): whoever armed timers should re-plan. */
  onStep?: (deltaMs: number) => void;
  /** Called after the local clock itself stepped (by `deltaMs`) and the offset was moved to hide it. */
  onLocalStep?: (deltaMs: number) => void;
}

export interface ClockSample {
  offsetMs: number;
  rttMs: number;
}

export interface ClockEstimate extends ClockSample {
  /** Exchanges that answered in this round. */
  samples: number;
  /** Local clock when measured. */
  measuredAt: number;
}

const storedSchema = z.object({ offsetMs: z.number().finite(), rttMs: z.number().nonnegative(), measuredAt: z.number(), serverAt: z.number() });

/**
 * Pure: the offset of one round. Only the exchanges with the smallest round trips are trusted (their queueing
 * delay is the least, so the asymmetry that biases the estimate is the smallest); their median offset wins.
 */
export function estimateOffset(samples: readonly ClockSample[]): ClockSample | null {
  if (samples.length === 0) return null;
  const best = [...samples].sort((a, b) => a.rttMs - b.rttMs).slice(0, Math.max(1, Math.ceil(samples.length / 3)));
  const sorted = best.map((s) => s.offsetMs).sort((a, b) => a - b);
  const half = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[half]! : (sorted[half - 1]! + sorted[half]!) / 2;
  return { offsetMs: median, rttMs: best[0]!.rttMs };
}

/** Pure: offset and round trip of one NTP-style exchange (t0 sent, t3 answer received, local clock). */
export function sampleOf(t0: number, receivedAt: number, sentAt: number, t3: number): ClockSample {
  return { offsetMs: (receivedAt - t0 + (sentAt - t3)) / 2, rttMs: Math.max(0, t3 - t0 - (sentAt - receivedAt)) };
}

/**
 * Estimates how far the local clock is from the server's and serves the correction to a CorrectedClock.
 * The first estimate (or one far off) is applied at once; later small corrections are slewed while something
 * plays so that event times and timers never jump under a running slot.
 */
export class ClockSync {
  private from = 0;
  private to = 0;
  private slewStart = 0;
  private state: 'local' | 'stored' | 'measured' = 'local';
  private last: ClockEstimate | null = null;
  private timer: TimerHandle | null = null;
  private running = false;
  private inflight: Promise<ClockEstimate | null> | null = null;
  private failures = 0;
  /** How many local clock steps were seen: a round that straddles one measured two different local clocks. */
  private localSteps = 0;
  private unfollow: (() => void) | null = null;
  /** A local step was absorbed and no measurement has confirmed the held time yet. */
  private unconfirmedStep = false;
  /** The correction the last round made, over how long it built up (null: nothing to judge drift by). */
  private drift: { correctionMs: number; overMs: number } | null = null;
  private periodMs = 0;
  /** The armed round is a periodic one (few exchanges). */
  private routineDue = false;
  private storing: Promise<void> = Promise.resolve();

  constructor(private readonly opts: ClockSyncOptions) {}

  /** What the current offset is based on: nothing yet (local clock), the stored last estimate, or a measurement. */
  get source(): 'local' | 'stored' | 'measured' {
    return this.state;
  }

  get lastEstimate(): ClockEstimate | null {
    return this.last;
  }

  /** The offset applied now (server time − local time). */
  get offsetMs(): number {
    return this.offsetAt(this.opts.local.now());
  }

  /** The applied offset at a local instant; moves monotonically towards the target while slewing. */
  offsetAt(localNow: number): number {
    if (this.from === this.to) return this.to;
    const d = this.to - this.from;
    const moved = this.rate * Math.max(0, localNow - this.slewStart);
    if (moved >= Math.abs(d)) {
      this.from = this.to;
      return this.to;
    }
    return this.from + Math.sign(d) * moved;
  }

  private get rate(): number {
    return Math.min(0.5, Math.max(0.001, this.opts.slewRate ?? 0.05));
  }

  private get file(): string {
    return join(this.opts.dataDir, 'clock.json');
  }

  /** Applies the offset stored by the previous run, if it still makes sense; call before anything reads the time. */
  async load(): Promise<void> {
    this.followLocalSteps();
    const parsed = storedSchema.safeParse(await readJsonIfExists(this.file).catch(() => undefined));
    const now = this.opts.local.now();
    if (parsed.success && now + parsed.data.offsetMs >= parsed.data.serverAt - 60_000) {
      this.from = this.to = parsed.data.offsetMs;
      this.state = 'stored';
      this.opts.logger.info(
        { offsetMs: Math.round(parsed.data.offsetMs), measuredAt: new Date(parsed.data.serverAt).toISOString() },
        'using the stored clock offset until the server answers',
      );
    } else {
      if (parsed.success) this.opts.logger.warn({ offsetMs: parsed.data.offsetMs }, 'stored clock offset discarded: the local clock went backwards since');
      this.opts.logger.warn('no clock offset yet: running on the local clock until the server answers');
    }
  }

  /** Starts measuring (now, then every intervalMs). */
  start(): void {
    this.running = true;
    this.followLocalSteps();
    const interval = this.opts.intervalMs ?? 300_000;
    this.periodMs = interval;
    // Measured already (e.g. awaited at start-up)? Then the next round is due after the interval.
    if (this.last && interval > 0) this.schedule(interval, true);
    else if (!this.last) this.schedule(0);
  }

  stop(): void {
    this.running = false;
    this.unfollow?.();
    this.unfollow = null;
    this.opts.local.clearTimer(this.timer);
    this.timer = null;
  }

  /** After a reconnect the path to the server may have changed: measure again soon. */
  requestSync(): void {
    if (!this.running || this.inflight) return;
    if (this.last && Math.abs(this.opts.local.now() - this.last.measuredAt) < 30_000) return;
    this.schedule(0);
  }

  private followLocalSteps(): void {
    this.unfollow ??= this.opts.local.onStep?.((d) => this.onLocalStep(d)) ?? null;
  }

  /**
   * The local clock jumped by `deltaMs` while the monotonic clock says no such time passed: a person or NTP set it.
   * The offset absorbs the jump so the corrected clock (and every timer and decision on it) stays continuous, then
   * the server is asked at once which clock was right.
   */
  private onLocalStep(deltaMs: number): void {
    this.localSteps++;
    this.unconfirmedStep = true;
    this.from -= deltaMs;
    this.to -= deltaMs;
    this.slewStart += deltaMs;
    if (this.last) this.last = { ...this.last, measuredAt: this.last.measuredAt + deltaMs };
    this.drift = null;
    this.opts.logger.warn(
      { stepMs: Math.round(deltaMs), offsetMs: Math.round(this.to), source: this.state },
      'local clock stepped (against the monotonic clock): corrected time held continuous; re-measuring against the server',
    );
    if (this.state !== 'local') void this.store(this.last ?? { offsetMs: this.to, rttMs: 0, samples: 0, measuredAt: this.opts.local.now() }, this.to);
    this.opts.onLocalStep?.(deltaMs);
    if (this.running) {
      this.failures = 0;
      this.schedule(0);
    }
  }

  private schedule(delayMs: number, routine = false): void {
    this.opts.local.clearTimer(this.timer);
    this.routineDue = routine;
    this.timer = this.opts.local.setTimer(() => {
      this.timer = null;
      void this.measure(this.routineDue).then((est) => {
        if (!this.running || this.timer) return;
        const interval = this.opts.intervalMs ?? 300_000;
        if (est) {
          this.failures = 0;
          if (interval > 0) this.schedule(this.nextPeriod(interval), true);
        } else {
          this.failures++;
          const base = this.opts.retryMs ?? 15_000;
          const cap = interval > 0 ? interval : 300_000;
          this.schedule(Math.min(cap, base * 2 ** Math.min(this.failures - 1, 10)));
        }
      });
    }, delayMs);
  }

  /**
   * Time to the next periodic round: doubled (up to maxIntervalMs) while the drift seen would build up to less than
   * driftBudgetMs over it, back to `interval` as soon as it would not.
   */
  private nextPeriod(interval: number): number {
    const max = Math.max(interval, this.opts.maxIntervalMs ?? interval * 6);
    const d = this.drift;
    if (!d || d.overMs <= 0) return (this.periodMs = interval);
    const rate = Math.abs(d.correctionMs) / d.overMs;
    const affordable = rate > 0 ? (this.opts.driftBudgetMs ?? 10) / rate : max;
    this.periodMs = Math.round(Math.min(max, Math.max(interval, Math.min(affordable, this.periodMs * 2))));
    return this.periodMs;
  }

  /** The current time between periodic rounds (see maxIntervalMs). */
  get periodicIntervalMs(): number {
    return this.periodMs;
  }

  /** One round of exchanges; applies and stores the estimate. Resolves null (logged) if the server did not answer. */
  syncNow(): Promise<ClockEstimate | null> {
    return this.measure(false);
  }

  private measure(routine: boolean): Promise<ClockEstimate | null> {
    this.inflight ??= this.round(routine).finally(() => (this.inflight = null));
    return this.inflight;
  }

  /**
   * Measures until one round saw a single local clock: samples taken across a step disagree by the step, and a step
   * that lands after the estimate was applied still wants the server's word on the held time.
   */
  private async round(routine: boolean): Promise<ClockEstimate | null> {
    const { local, logger } = this.opts;
    for (let attempt = 1; ; attempt++) {
      const stepsBefore = this.localSteps;
      const { samples, lastError } = await this.collect(routine && attempt === 1);
      const stepped = stepsBefore !== this.localSteps;
      const est = stepped ? null : estimateOffset(samples);
      if (!est) {
        if (stepped && attempt < 3) continue;
        const err = stepped ? 'the local clock stepped during the measurement' : lastError;
        logger.warn({ err, offsetMs: Math.round(this.offsetMs), source: this.state }, 'clock sync failed; keeping the current offset');
        return null;
      }
      const estimate: ClockEstimate = { ...est, samples: samples.length, measuredAt: local.now() };
      this.apply(estimate);
      await this.store(estimate, estimate.offsetMs);
      if (this.unconfirmedStep && attempt < 3) continue;
      return estimate;
    }
  }

  private async collect(routine: boolean): Promise<{ samples: ClockSample[]; lastError: string }> {
    const full = Math.max(1, this.opts.samples ?? 8);
    const few = Math.min(full, Math.max(1, this.opts.routineSamples ?? 3));
    const samples: ClockSample[] = [];
    let lastError = '';
    for (let i = 0; i < full; i++) {
      // A periodic round stops after a few exchanges when one was about as quick as the last estimate's best: the
      // link is as it was, and a slow one (queueing) is what the full round's filtering is for.
      if (routine && i >= few && this.quickAsBefore(samples)) break;
      if (i > 0) await this.pause(this.opts.sampleSpacingMs ?? 75);
      try {
        samples.push(await this.exchange());
      } catch (err) {
        lastError = errorMessage(err);
      }
    }
    return { samples, lastError };
  }

  private quickAsBefore(samples: readonly ClockSample[]): boolean {
    const last = this.last;
    if (!last || samples.length === 0) return false;
    const best = Math.min(...samples.map((s) => s.rttMs));
    return best <= Math.max(2 * last.rttMs, last.rttMs + 20);
  }

  /** Writes clock.json; writes are chained so a slow earlier one never lands over a later one. */
  private store(est: ClockEstimate, offsetMs: number): Promise<void> {
    const content = { offsetMs, rttMs: est.rttMs, measuredAt: est.measuredAt, serverAt: est.measuredAt + offsetMs };
    this.storing = this.storing.then(() =>
      writeJsonAtomic(this.file, content).catch((err: unknown) => this.opts.logger.warn({ err: errorMessage(err) }, 'could not store the clock offset')),
    );
    return this.storing;
  }

  private async exchange(): Promise<ClockSample> {
    const fetchFn = this.opts.fetch ?? defaultHttpFetch;
    const t0 = this.opts.local.now();
    const res = await fetchFn(`${this.opts.serverUrl}${TIME_PATH}`, {
      signal: AbortSignal.timeout(this.opts.requestTimeoutMs ?? 5000),
      headers: { 'cache-control': 'no-store' },
    });
    const body = await res.text();
    const t3 = this.opts.local.now();
    if (!res.ok) throw new Error(`GET ${TIME_PATH} answered ${res.status}`);
    const parsed = timeResponseSchema.safeParse(JSON.parse(body));
    if (!parsed.success) throw new Error(`GET ${TIME_PATH}: invalid answer`);
    return sampleOf(t0, parsed.data.receivedAt, parsed.data.sentAt, t3);
  }

  private apply(est: ClockEstimate): void {
    const { logger } = this.opts;
    const now = this.opts.local.now();
    const current = this.offsetAt(now);
    const delta = est.offsetMs - current;
    const first = this.state !== 'measured';
    this.drift = first || !this.last || this.unconfirmedStep ? null : { correctionMs: delta, overMs: est.measuredAt - this.last.measuredAt };
    this.last = est;
    this.state = 'measured';
    const busy = this.opts.isBusy?.() ?? false;
    const log = { offsetMs: Math.round(est.offsetMs), correctionMs: Math.round(delta), rttMs: Math.round(est.rttMs), samples: est.samples };
    if (first || !busy || Math.abs(delta) > (this.opts.stepThresholdMs ?? 1000)) {
      this.from = this.to = est.offsetMs;
      if (first) logger.info(log, 'clock synchronised with the server');
      else if (this.unconfirmedStep) logger.info(log, 'clock re-measured after the local clock stepped');
      else logger.debug(log, 'clock offset stepped');
      if (Math.abs(delta) >= 1) this.opts.onStep?.(delta);
    } else {
      this.from = current;
      this.to = est.offsetMs;
      this.slewStart = now;
      if (this.unconfirmedStep) logger.info(log, 'clock re-measured after the local clock stepped (slewing)');
      else logger.debug(log, 'clock offset slewing (playback running)');
    }
    this.unconfirmedStep = false;
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => this.opts.local.setTimer(resolve, ms));
  }
}
