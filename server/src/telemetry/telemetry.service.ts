import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { TelemetryMessage } from '@loa/shared';
import { Batcher } from '../common/batcher.js';
import { Clock } from '../common/clock.js';
import { Metrics } from '../common/metrics.js';
import { AppConfig } from '../config/app-config.js';
import type { DeviceTelemetryEntity } from './device-telemetry.entity.js';
import { PresenceService } from '../devices/presence.service.js';
import { DomainEvents } from '../domain-events/domain-events.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import type { TelemetryView } from '@loa/shared/rest';
import { telemetryView } from '../devices/telemetry-view.js';
import { telemetryRow } from './telemetry-row.js';
import { TelemetryRepository } from './telemetry.repository.js';
import { notFound } from '../common/loa-error.js';

const DAY_MS = 86_400_000;

/** A sample to store, with what only the alarms need (not kept: the alarm's detail records it). */
interface TelemetrySample {
  row: DeviceTelemetryEntity;
  mediaBlockedBytes: number | null;
}

export interface TelemetryQuery {
  from?: number | undefined;
  to?: number | undefined;
  limit: number;
}

/**
 * Telemetry time series: every sample is kept (batched, one multi-row insert per batch, so 10,000 devices every
 * 60 s is a few statements a minute), counts as a heartbeat for presence, is announced (`telemetry.received`: the disk and silence alarms, the live
 * dashboard), and
 * is deleted after `telemetryRetentionMs` by an hourly sweep (TelemetryRetentionJob).
 */
@Injectable()
export class TelemetryService implements OnModuleDestroy {
  private readonly batcher = new Batcher<TelemetrySample>((samples) => this.commit(samples));

  constructor(
    private readonly repo: TelemetryRepository,
    private readonly presence: PresenceService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
    @Inject(LOGGER) private readonly logger: AppLogger,
    private readonly events: DomainEvents,
  ) {}

  /** One telemetry message: stored, and the device counted as seen. Resolves once both are committed. */
  async receive(deviceId: string, msg: TelemetryMessage): Promise<void> {
    const sample = { row: telemetryRow(deviceId, msg, this.clock.now()), mediaBlockedBytes: msg.mediaBlockedBytes ?? null };
    // Issue 19: a position comes on the first sample, on a move and hourly, so this is rare; awaited like the rest.
    const located = msg.location ? this.events.emitAsync('device.locationReported', { deviceId, location: msg.location }) : undefined;
    await Promise.all([this.batcher.submit(sample), this.presence.seen(deviceId, msg.agentVersion), located]);
  }

  async list(deviceId: string, q: TelemetryQuery): Promise<TelemetryView[]> {
    if (!(await this.repo.deviceExists(deviceId))) throw notFound('device.not-found', { id: deviceId });
    const to = q.to ?? this.clock.now() + DAY_MS; // device clocks may run a little ahead: "now" includes them
    return (await this.repo.range(deviceId, { from: q.from, to, limit: q.limit })).map(telemetryView);
  }

  /** Deletes samples older than the retention period; returns how many. */
  async sweepRetention(): Promise<number> {
    const deleted = await this.repo.deleteBefore(this.clock.now() - this.config.telemetryRetentionMs);
    if (deleted > 0) {
      this.metrics.inc('telemetry_samples_expired', deleted);
      this.logger.info({ ctx: 'telemetry', deleted, retentionMs: this.config.telemetryRetentionMs }, 'old telemetry deleted');
    }
    return deleted;
  }

  async onModuleDestroy(): Promise<void> {
    await this.batcher.drain();
  }

  private async commit(samples: TelemetrySample[]): Promise<void> {
    const rows = samples.map((s) => s.row);
    try {
      const stored = await this.repo.insertMany(rows);
      this.metrics.inc('telemetry_samples_stored', stored);
    } catch (err) {
      this.metrics.inc('telemetry_commit_failed', rows.length);
      this.logger.error({ ctx: 'telemetry', err: (err as Error).message, samples: rows.length }, 'telemetry write failed');
      throw err;
    }
    // Awaited as the alarms were before events: a batch's disk and silence alarms are settled before it resolves.
    await this.events.emitAsync('telemetry.received', { samples: samples.map((s) => ({ ...s.row, mediaBlockedBytes: s.mediaBlockedBytes })) });
  }
}
