import { Injectable } from '@nestjs/common';
import { Clock } from '../common/clock.js';

export type TimerHandle = { readonly id: unknown };

/**
 * Time as a virtual device sees it: the server's Clock for "now" and one-shot timers for what falls due (a slot's
 * start and end, a resend, the next telemetry sample). A port, so a test can drive the devices with a fake clock.
 *
 * These timers are per process on purpose, like the per-process timers architecture.md lists: each virtual device is
 * an MQTT client living in this process's memory (a practice instance is one process on SQLite), so its clock cannot
 * be a leader-gated job of the cluster.
 */
export abstract class VirtualTimers {
  abstract now(): number;
  abstract set(fn: () => void, ms: number): TimerHandle;
  abstract clear(handle: TimerHandle | null): void;
}

/** setTimeout's longest delay (about 24.8 days); a later instant is reached by waking up once in between. */
const MAX_DELAY_MS = 2_147_483_647;

@Injectable()
export class ClockVirtualTimers extends VirtualTimers {
  constructor(private readonly clock: Clock) {
    super();
  }

  now(): number {
    return this.clock.now();
  }

  set(fn: () => void, ms: number): TimerHandle {
    const t = setTimeout(fn, Math.min(MAX_DELAY_MS, Math.max(0, Math.round(ms))));
    // A virtual device's timer never holds the process open by itself (a stop ends the devices anyway).
    t.unref();
    return { id: t };
  }

  clear(handle: TimerHandle | null): void {
    if (handle) clearTimeout(handle.id as NodeJS.Timeout);
  }
}
