/**
 * Time is injected everywhere the agent decides *when* to do something, so tests (and a fleet simulator)
 * can drive schedules deterministically instead of sleeping.
 */
export interface TimerHandle {
  readonly id: number;
}

export interface Clock {
  now(): number;
  setTimer(fn: () => void, delayMs: number): TimerHandle;
  clearTimer(handle: TimerHandle | null | undefined): void;
  /**
   * Like setTimer, but fires within about a millisecond of the due time instead of whenever the event loop
   * gets to it (armed early, finished with a short spin). Used for slot starts; optional for test clocks.
   */
  setPreciseTimer?(fn: () => void, delayMs: number): TimerHandle;
  /**
   * Subscribes to steps of this clock: jumps of its reading that the monotonic clock contradicts (someone set the
   * time, NTP stepped it). The listener runs synchronously inside the first reading that sees the step, before the
   * reading is returned, so whoever corrects for it does so before anyone acts on the jumped time. Returns an
   * unsubscribe. Optional: clocks without it never step on their own.
   */
  onStep?(listener: (deltaMs: number) => void): () => void;
}

/** Where a SystemClock reads the time; injectable so detection can be tested without setting the host's clock. */
export interface TimeSources {
  /** The wall clock (epoch ms): settable, may jump. */
  wall(): number;
  /** A monotonic clock (ms from any origin): never jumps, never set. */
  mono(): number;
}

const hostTime: TimeSources = { wall: () => Date.now(), mono: () => performance.now() };

/**
 * A wall-clock move against the monotonic clock at least this large, between two readings, is a step. NTP slews
 * at most 0.5 ms/s and readings are at most STEP_WATCH_MS apart while anyone listens, so a slew never looks like one.
 */
export const STEP_DETECT_MS = 500;
/** While someone listens for steps, the clock is read this often, so an idle agent notices a step promptly. */
export const STEP_WATCH_MS = 1000;

/** How early a precise timer arms its coarse timeout before spinning to the due instant. */
export const PRECISE_LEAD_MS = 30;

/** Arms a precise timer on `clock` when it has one, a plain one otherwise. */
export const setPrecise = (clock: Clock, fn: () => void, delayMs: number): TimerHandle =>
  clock.setPreciseTimer ? clock.setPreciseTimer(fn, delayMs) : clock.setTimer(fn, delayMs);

// Node clamps delays above 2^31-1 ms to 1 ms; long waits are split so a far-future slot never fires early.
const MAX_NODE_DELAY = 2 ** 31 - 1;

/**
 * The host's wall clock, watched against the monotonic clock: a step of the wall clock is reported to onStep
 * listeners. Timers run on monotonic time (a delay is a duration), so a step never makes one fire early or late.
 */
export class SystemClock implements Clock {
  private nextId = 1;
  private readonly timers = new Map<number, NodeJS.Timeout>();
  private readonly stepListeners = new Set<(deltaMs: number) => void>();
  /** wall − mono at the last reading: what a step changes. */
  private wallMinusMono: number;
  private watch: NodeJS.Timeout | null = null;

  constructor(
    private readonly time: TimeSources = hostTime,
    private readonly stepDetectMs = STEP_DETECT_MS,
  ) {
    this.wallMinusMono = time.wall() - time.mono();
  }

  now(): number {
    const wall = this.time.wall();
    const drift = wall - this.time.mono() - this.wallMinusMono;
    // Small drifts (slew, rounding of Date.now) are absorbed; a step is reported once, then becomes the new base.
    this.wallMinusMono += drift;
    if (Math.abs(drift) >= this.stepDetectMs) for (const l of [...this.stepListeners]) l(drift);
    return wall;
  }

  onStep(listener: (deltaMs: number) => void): () => void {
    if (!this.watch) {
      this.now(); // re-base: a step from before anyone listened was nobody's to correct
      this.watch = setInterval(() => this.now(), STEP_WATCH_MS);
      this.watch.unref(); // watching never keeps the process alive
    }
    this.stepListeners.add(listener);
    return () => {
      this.stepListeners.delete(listener);
      if (this.stepListeners.size === 0 && this.watch) {
        clearInterval(this.watch);
        this.watch = null;
      }
    };
  }

  setTimer(fn: () => void, delayMs: number): TimerHandle {
    const id = this.nextId++;
    const due = this.time.mono() + Math.max(0, delayMs);
    const arm = (): void => {
      const left = due - this.time.mono();
      const t = setTimeout(
        () => {
          if (due - this.time.mono() > 0 && left > MAX_NODE_DELAY) return arm();
          this.timers.delete(id);
          fn();
        },
        Math.min(Math.max(0, left), MAX_NODE_DELAY),
      );
      this.timers.set(id, t);
    };
    arm();
    return { id };
  }

  clearTimer(handle: TimerHandle | null | undefined): void {
    if (!handle) return;
    const t = this.timers.get(handle.id);
    if (t) clearTimeout(t);
    this.timers.delete(handle.id);
    this.spinning.delete(handle.id);
  }

  private readonly spinning = new Set<number>();

  setPreciseTimer(fn: () => void, delayMs: number): TimerHandle {
    const due = this.time.mono() + Math.max(0, delayMs);
    const handle = this.setTimer(() => {
      // The coarse timer fired PRECISE_LEAD_MS early (or late under load); spin on setImmediate, which keeps
      // I/O flowing, until the due instant.
      this.spinning.add(handle.id);
      const spin = (): void => {
        if (!this.spinning.has(handle.id)) return;
        if (this.time.mono() < due) {
          setImmediate(spin);
          return;
        }
        this.spinning.delete(handle.id);
        fn();
      };
      spin();
    }, delayMs - PRECISE_LEAD_MS);
    return handle;
  }
}

/** The system clock moved by a fixed amount: a device whose clock is wrong (tests, benchmarks, simulators). */
export class SkewedClock extends SystemClock {
  constructor(readonly skewMs: number) {
    super();
  }

  override now(): number {
    return super.now() + this.skewMs;
  }
}

/**
 * The local clock corrected by an offset that may change over time (ClockSync slews or steps it). Timers are
 * due at a corrected instant: they re-check it before firing, so a correction applied while they wait moves
 * them too.
 */
export class CorrectedClock implements Clock {
  private nextId = 1;
  private readonly live = new Map<number, TimerHandle>();

  constructor(
    readonly base: Clock,
    private readonly offsetAt: (localNow: number) => number,
    /** The fastest the offset may change (ms per local ms) while slewing; waits are shortened to match. */
    private readonly maxSlewRate = 0.5,
  ) {}

  now(): number {
    const local = this.base.now();
    return Math.round(local + this.offsetAt(local)); // reports carry integer epoch ms
  }

  setTimer(fn: () => void, delayMs: number): TimerHandle {
    return this.arm(fn, delayMs, false);
  }

  setPreciseTimer(fn: () => void, delayMs: number): TimerHandle {
    return this.arm(fn, delayMs, this.base.setPreciseTimer !== undefined);
  }

  clearTimer(handle: TimerHandle | null | undefined): void {
    if (!handle) return;
    this.base.clearTimer(this.live.get(handle.id));
    this.live.delete(handle.id);
  }

  private arm(fn: () => void, delayMs: number, precise: boolean): TimerHandle {
    const id = this.nextId++;
    const due = this.now() + Math.max(0, delayMs);
    // Re-check against the corrected clock every so often: a slew shifts the due instant by a fraction of the wait.
    const check = (first = false): void => {
      if (!first && !this.live.has(id)) return;
      const left = due - this.now();
      if (left <= 0) {
        if (first) {
          this.live.set(id, this.base.setTimer(() => check(), 0)); // never fire synchronously inside setTimer
          return;
        }
        this.live.delete(id);
        fn();
        return;
      }
      if (precise && left <= 4 * PRECISE_LEAD_MS) {
        this.live.set(
          id,
          this.base.setPreciseTimer!(() => {
            this.live.delete(id);
            fn();
          }, left),
        );
        return;
      }
      // A slew may make the corrected clock run up to (1 + maxSlewRate) times as fast as the local one: wait
      // only what is surely not too long, then look again (converges geometrically).
      const sure = Math.floor(left / (1 + this.maxSlewRate));
      const step = Math.max(1, precise ? Math.min(sure, left - 2 * PRECISE_LEAD_MS) : sure);
      this.live.set(id, this.base.setTimer(() => check(), step));
    };
    check(true);
    return { id };
  }
}

/** A clock that only moves when told to; timers fire in due order during `advance`. */
export class ManualClock implements Clock {
  private nextId = 1;
  private readonly timers = new Map<number, { due: number; fn: () => void }>();
  private readonly stepListeners = new Set<(deltaMs: number) => void>();

  constructor(private current = 0) {}

  now(): number {
    return this.current;
  }

  setTimer(fn: () => void, delayMs: number): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { due: this.current + Math.max(0, delayMs), fn });
    return { id };
  }

  clearTimer(handle: TimerHandle | null | undefined): void {
    if (handle) this.timers.delete(handle.id);
  }

  onStep(listener: (deltaMs: number) => void): () => void {
    this.stepListeners.add(listener);
    return () => this.stepListeners.delete(listener);
  }

  /**
   * Sets the clock by `deltaMs` as a person or NTP would: the reading jumps, no time passes (timers stay as far
   * from firing as they were, like monotonic timers), and step listeners are told.
   */
  jump(deltaMs: number): void {
    this.current += deltaMs;
    for (const t of this.timers.values()) t.due += deltaMs;
    for (const l of [...this.stepListeners]) l(deltaMs);
  }

  get pendingTimers(): number {
    return this.timers.size;
  }

  /** Moves time forward, firing every timer that falls due on the way (including ones armed meanwhile). */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      let nextId = -1;
      let next: { due: number; fn: () => void } | undefined;
      for (const [id, t] of this.timers) {
        if (t.due <= target && (!next || t.due < next.due)) {
          next = t;
          nextId = id;
        }
      }
      if (!next) break;
      this.timers.delete(nextId);
      this.current = Math.max(this.current, next.due);
      next.fn();
    }
    this.current = target;
  }

  set(now: number): void {
    this.advance(Math.max(0, now - this.current));
  }
}
