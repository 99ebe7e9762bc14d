import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../clock.js';
import type { EventBus } from '../../core/bus.js';
import { Subscriptions, type Feature } from '../../core/feature.js';
import type { ClockSync } from './clock-sync.js';

export interface ClockFeatureOptions {
  /** Built by the controller: the corrected clock every feature runs on reads its offset from the start. */
  sync: ClockSync;
  /** False: the agent runs on its own clock and never measures the server's. */
  enabled: boolean;
  local: Clock;
  bus: EventBus;
  logger: Logger;
  /**
   * With no clock offset at all (first start), wait this long for the first measurement before judging which
   * slots are due, so a badly set device clock does not expire a fresh timeline.
   */
  initialSyncWaitMs: number;
}

/** Keeps the server clock: loads the last offset, measures it before anything is judged due, then keeps measuring. */
export class ClockFeature implements Feature {
  readonly name = 'clock';
  private readonly subscriptions = new Subscriptions();

  constructor(private readonly opts: ClockFeatureOptions) {}

  /** Server-clock offset for telemetry, once there is more than the device's own clock to go by. */
  get reportedOffsetMs(): number | undefined {
    const { sync, enabled } = this.opts;
    return enabled && sync.source !== 'local' ? Math.round(sync.offsetMs) : undefined;
  }

  async start(): Promise<void> {
    const { sync, enabled, local, logger, bus } = this.opts;
    if (!enabled) return;
    await sync.load();
    if (sync.source === 'local') {
      let timer: TimerHandle | null = null;
      const waited = new Promise<null>((r) => (timer = local.setTimer(() => r(null), this.opts.initialSyncWaitMs)));
      const est = await Promise.race([sync.syncNow(), waited]);
      local.clearTimer(timer);
      if (!est) logger.warn('starting on the local clock: the server clock could not be measured yet');
    }
    this.subscriptions.add(bus.on('mqtt.connected', () => sync.requestSync()));
    sync.start();
  }

  async stop(): Promise<void> {
    this.subscriptions.clear();
    this.opts.sync.stop();
  }

  /** Measures again soon (remote resync); failures only mean the next round will try. */
  measureNow(): void {
    if (this.opts.enabled) void this.opts.sync.syncNow().catch(() => undefined);
  }
}
