import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { isoOrNull } from '../common/iso.js';
import { Metrics } from '../common/metrics.js';
import { AppConfig } from '../config/app-config.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { DevicesRepository } from './devices.repository.js';
import type { ConnectionReason } from './presence-state.js';
import { PresenceWriter } from './presence-writer.js';
import type { ConnectionView } from '@loa/shared/rest';
import { notFound } from '../common/loa-error.js';
export type { ConnectionView } from '@loa/shared/rest';

/** Longest pause between heartbeat sweeps, whatever the timeout. */
const MAX_SWEEP_INTERVAL_MS = 30_000;

/**
 * Presence the dashboard can trust: online/offline follows the retained `status` channel (connect, shutdown, last
 * will), and a device marked online from which nothing has been heard for `heartbeatTimeoutMs` is marked offline by
 * a periodic sweep, so no device stays "online" after a silent death. Every online↔offline transition is logged.
 */
@Injectable()
export class PresenceService {
  constructor(
    private readonly writer: PresenceWriter,
    private readonly repo: DevicesRepository,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {
    // Issue 14: a heartbeat from a device heard a moment ago does not rewrite its row (see HeartbeatThrottle). A
    // quarter of the timeout keeps the row's lag (at most 1½ of it) well inside the timeout the sweep applies.
    writer.throttleHeartbeats({ intervalMs: this.lastSeenIntervalMs(), now: () => clock.now() });
  }

  /** How old a device's `last_seen_at` may get before a heartbeat rewrites it: a quarter of the heartbeat timeout. */
  lastSeenIntervalMs(): number {
    return Math.floor(this.config.heartbeatTimeoutMs / 4);
  }

  /** Any sign of life (telemetry, playback report, timeline ack); brings back a device marked offline by a timeout. */
  seen(deviceId: string, agentVersion?: string): Promise<void> {
    return this.writer.write({ deviceId, at: this.clock.now(), agentVersion });
  }

  /**
   * Marks a device offline now, e.g. when its credentials are revoked ('revoked': a later heartbeat from the old
   * session does not bring it back, and no offline alarm is raised; only a new connection does). Resolves once the
   * transition is committed and logged.
   */
  async markOffline(deviceId: string, reason: string): Promise<void> {
    await this.writer.write({ deviceId, at: this.clock.now(), online: false, decided: true, reason: reason.slice(0, 32) as ConnectionReason });
  }

  /** Marks offline every device still online but silent for longer than the heartbeat timeout; returns how many. */
  async sweep(): Promise<number> {
    const now = this.clock.now();
    const cutoff = now - this.config.heartbeatTimeoutMs;
    const ids = await this.repo.silentOnline(cutoff);
    if (ids.length === 0) return 0;
    // Through the writer, in order with live traffic: a heartbeat that arrived meanwhile wins (silentBefore).
    await Promise.all(ids.map((deviceId) => this.writer.write({ deviceId, at: now, online: false, decided: true, reason: 'heartbeat-timeout', silentBefore: cutoff })));
    this.metrics.inc('presence_heartbeat_timeouts', ids.length);
    this.logger.info({ ctx: 'devices', count: ids.length, timeoutMs: this.config.heartbeatTimeoutMs }, 'silent devices marked offline');
    return ids.length;
  }

  async connections(deviceId: string, limit: number): Promise<ConnectionView[]> {
    if (!(await this.repo.find(deviceId))) throw notFound('device.not-found', { id: deviceId });
    return (await this.repo.connections(deviceId, limit)).map((c) => ({ at: isoOrNull(c.at) ?? '', state: c.state, reason: c.reason }));
  }

  /** Every min(timeout / 4, 30 s), so a silent device is offline at most 1¼ timeouts after its last word. */
  sweepIntervalMs(): number {
    return Math.min(Math.floor(this.config.heartbeatTimeoutMs / 4), MAX_SWEEP_INTERVAL_MS);
  }
}
