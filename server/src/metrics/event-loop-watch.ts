import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

/** Liveness looks at the worst delay of the window before and the current one, windows being at least this long. */
const WINDOW_MS = 5000;
/**
 * An event loop held this long is called stalled: far beyond a GC pause or a large batch (tens to hundreds of ms),
 * it means the process cannot answer devices or operators and a supervisor should restart it.
 */
export const EVENT_LOOP_STALL_MS = 10_000;

/**
 * The event loop's delay, for GET /api/health/live. Prometheus gets the same measure, finer, from prom-client's
 * default nodejs_eventloop_lag_* metrics. Windows turn over when read (probes come every few seconds), so no timer
 * of its own runs.
 */
@Injectable()
export class EventLoopWatch implements OnModuleDestroy {
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: 20 });
  private previousMaxMs = 0;
  private windowStart = performance.now();

  constructor() {
    this.histogram.enable();
  }

  /** The worst delay over the current window and the one before it, in milliseconds. */
  recentMaxMs(): number {
    const now = performance.now();
    const current = this.histogram.count > 0 ? this.histogram.max / 1e6 : 0;
    if (now - this.windowStart >= WINDOW_MS) {
      this.previousMaxMs = current;
      this.histogram.reset();
      this.windowStart = now;
      return current;
    }
    return Math.max(this.previousMaxMs, current);
  }

  onModuleDestroy(): void {
    this.histogram.disable();
  }
}
