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
}

// Node clamps delays above 2^31-1 ms to 1 ms; long waits are split so a far-future slot never fires early.
const MAX_NODE_DELAY = 2 ** 31 - 1;

export class SystemClock implements Clock {
  private nextId = 1;
  private readonly timers = new Map<number, NodeJS.Timeout>();

  now(): number {
    return Date.now();
  }

  setTimer(fn: () => void, delayMs: number): TimerHandle {
    const id = this.nextId++;
    const due = Date.now() + Math.max(0, delayMs);
    const arm = (): void => {
      const left = due - Date.now();
      const t = setTimeout(
        () => {
          if (due - Date.now() > 0 && left > MAX_NODE_DELAY) return arm();
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
  }
}

/** A clock that only moves when told to; timers fire in due order during `advance`. */
export class ManualClock implements Clock {
  private nextId = 1;
  private readonly timers = new Map<number, { due: number; fn: () => void }>();

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
