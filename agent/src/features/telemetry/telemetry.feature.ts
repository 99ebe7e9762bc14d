import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { EventBus } from '../../core/bus.js';
import { Subscriptions, type Feature } from '../../core/feature.js';
import type { Uplink } from '../mqtt/uplink.js';
import { Telemetry, type TelemetrySample } from './telemetry.js';
import type { LocationSource } from './location.js';

export interface TelemetryFeatureOptions {
  dataDir: string;
  intervalMs: number;
  clock: Clock;
  logger: Logger;
  bus: EventBus;
  uplink: Pick<Uplink, 'publish'>;
  /** What the other features know at sampling time. */
  sample: () => TelemetrySample;
  /** Issue 19: where the device stands (config or a GPS daemon's file); null when neither is configured. */
  location?: LocationSource | null;
}

/** Periodic health sample on `telemetry`; sent at once when media runs short of disk. */
export class TelemetryFeature implements Feature {
  readonly name = 'telemetry';
  private telemetry: Telemetry | null = null;
  private readonly subscriptions = new Subscriptions();

  constructor(private readonly opts: TelemetryFeatureOptions) {}

  async start(): Promise<void> {
    const { opts } = this;
    const telemetry = new Telemetry({
      clock: opts.clock,
      logger: opts.logger,
      dataDir: opts.dataDir,
      intervalMs: opts.intervalMs,
      publish: (msg) => opts.uplink.publish('telemetry', msg),
      sample: opts.sample,
      onTick: () => opts.bus.emit('telemetry.tick'),
      ...(opts.location ? { location: (now: number) => opts.location!.next(now) } : {}),
    });
    this.telemetry = telemetry;
    // The server's low-disk alarm should not wait for the next periodic sample.
    this.subscriptions.add(opts.bus.on('media.disk-short', () => void telemetry.send()));
    telemetry.start();
  }

  async stop(): Promise<void> {
    this.subscriptions.clear();
    this.telemetry?.stop();
  }
}
