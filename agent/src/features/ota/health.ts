import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../clock.js';
import { errorMessage } from '../../fsutil.js';

/** What a freshly installed release must show before it is confirmed; each probe throws while it cannot. */
export interface HealthProbes {
  /** Resolves once connected to the broker (or rejects at the deadline). */
  connected(): Promise<void>;
  /** The timeline the server holds for the device is held and acked (nothing to hold when it has none). */
  timeline(): Promise<void>;
  /** The device can do its job: a speaker plays the self-test tone into its output, a board's page renders. */
  canPlay(): Promise<void>;
}

export interface HealthCheckOptions {
  probes: HealthProbes;
  /** The device clock (the deadline is on it, as boot.mjs reads it). */
  localClock: Clock;
  deadline: number;
  logger: Logger;
  /** Between two rounds of probes (default 5 s). */
  retryMs?: number;
}

/**
 * Runs the probes in order, again and again, until all pass in one round (→ 'healthy') or the deadline passes
 * (→ the last reason). Stoppable: a stopped check settles as 'stopped'.
 */
export class HealthCheck {
  private stopped = false;
  private wake: (() => void) | null = null;
  private timer: TimerHandle | null = null;
  /** Rejects on stop: a probe waiting for the broker must not hold the agent's stop until the deadline. */
  private readonly onStop: Promise<never>;
  private signalStop: () => void = () => undefined;

  constructor(private readonly opts: HealthCheckOptions) {
    this.onStop = new Promise<never>((_, reject) => (this.signalStop = () => reject(new Error('health check stopped'))));
    this.onStop.catch(() => undefined);
  }

  async run(): Promise<{ healthy: true } | { healthy: false; reason: string } | { stopped: true }> {
    const { probes, localClock, logger } = this.opts;
    let reason = 'no health check ran';
    const deadlineReached = () => localClock.now() >= this.opts.deadline;
    while (!this.stopped) {
      if (deadlineReached()) return { healthy: false, reason: `not healthy by the deadline: ${reason}` };
      try {
        await this.beforeDeadline(probes.connected(), 'the broker connection');
        await this.beforeDeadline(probes.timeline(), 'the timeline');
        await this.beforeDeadline(probes.canPlay(), 'the output');
        if (this.stopped) break;
        return { healthy: true };
      } catch (err) {
        if (this.stopped) break;
        reason = errorMessage(err);
        logger.warn({ reason }, 'health check not passed yet');
      }
      await this.sleep(Math.min(this.opts.retryMs ?? 5000, Math.max(0, this.opts.deadline - localClock.now())));
    }
    return { stopped: true };
  }

  stop(): void {
    this.stopped = true;
    this.signalStop();
    this.opts.localClock.clearTimer(this.timer);
    this.wake?.();
  }

  private beforeDeadline<T>(p: Promise<T>, what: string): Promise<T> {
    const left = this.opts.deadline - this.opts.localClock.now();
    let t: TimerHandle | null = null;
    const late = new Promise<never>((_, reject) => (t = this.opts.localClock.setTimer(() => reject(new Error(`${what}: no answer before the deadline`)), Math.max(0, left))));
    return Promise.race([p, late, this.onStop]).finally(() => this.opts.localClock.clearTimer(t));
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = resolve;
      this.timer = this.opts.localClock.setTimer(resolve, ms);
    });
  }
}
