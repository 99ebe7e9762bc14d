import { Inject, Injectable, Optional, type OnModuleDestroy } from '@nestjs/common';
import { Batcher } from '../common/batcher.js';
import { Metrics } from '../common/metrics.js';
import { DomainEvents } from '../domain-events/domain-events.js';
import { LoaMetrics } from '../metrics/loa-metrics.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { PresenceReader } from './presence-reader.js';
import { DevicesRepository } from './devices.repository.js';
import type { PresenceUpdate } from './presence-state.js';

/**
 * Under load, presence batches start at most this often. A reconnect storm brings a few hundred to a thousand
 * statuses a second; each batch pays a transaction, a read, an update, the connection log and its reactions (alarms,
 * live events), and on SQLite each commit rewrites the touched pages of the devices table in the WAL. At the
 * batcher's default (50 ms) a storm's batches held ~20 devices; a quarter of a second holds a few hundred, for a
 * dashboard that shows the change a fraction of a second later. An idle writer still commits at once.
 */
export const PRESENCE_LINGER_MS = 250;

/**
 * Presence (status messages, heartbeats, the server's own timeouts) arrives in storms: 10,000 devices reconnecting
 * after a broker restart. Every presence change goes through here, one transaction per batch and in arrival order,
 * so transitions are computed on a consistent state and only real online↔offline changes are logged and announced
 * (`presence.changed`, one event per committed batch).
 */
/**
 * A heartbeat (telemetry, playback report, timeline ack) from a device this instance committed online, with a
 * `last_seen_at` less than `intervalMs` old, is not written at once (issue 14): in a push each device's ack and its
 * `delivered` report, in ingestion every report batch, and right after a connect the status and the first ack each
 * rewrote the device row (and on PostgreSQL every index of it). The latest such heartbeat per device is held and
 * written once that row is `intervalMs` old (checked every `intervalMs / 2`), so `last_seen_at` lags what was heard by
 * at most 1½ intervals, and the heartbeat sweep (another instance's, too) still finds it in time as long as
 * 1½ intervals stay below the heartbeat timeout (PresenceService takes a quarter of it).
 *
 * Presence changes are never held: a status or a server decision (sweep, revocation) first writes the held
 * heartbeat of its device, in order, and the cache does not answer for a device while such an update is in flight.
 * The cache holds only what this instance committed; another instance's change it did not see (e.g. a last will
 * handled there) makes an entry stale, and then a heartbeat is held for at most 1½ intervals instead of being
 * written at once: a presence change it brings (`resumed`) comes that much later, never not at all.
 */
export interface HeartbeatThrottle {
  intervalMs: number;
  now: () => number;
}

@Injectable()
export class PresenceWriter extends PresenceReader implements OnModuleDestroy {
  private readonly batcher = new Batcher<PresenceUpdate>((updates) => this.writeBatch(updates), { lingerMs: PRESENCE_LINGER_MS });
  /** Status updates accepted and not yet committed (the last one per device): presence as last heard. */
  private readonly inFlight = new Map<string, PresenceUpdate>();
  private throttle: HeartbeatThrottle | null = null;
  private flushTimer: NodeJS.Timeout | null = null;
  /** `last_seen_at` this instance committed for each device it left online. */
  private readonly committedSeen = new Map<string, number>();
  /** Status updates and server decisions submitted and not committed yet, per device. */
  private readonly changing = new Map<string, number>();
  /** Heartbeats not written yet: the latest per device. */
  private readonly held = new Map<string, PresenceUpdate>();

  constructor(
    private readonly repo: DevicesRepository,
    private readonly metrics: Metrics,
    @Inject(LOGGER) private readonly logger: AppLogger,
    private readonly events: DomainEvents,
    @Optional() loaMetrics?: LoaMetrics,
  ) {
    super();
    loaMetrics?.queue('presence', () => this.batcher.pending);
  }

  /** Turns on the heartbeat throttle (see HeartbeatThrottle); PresenceService does, from the heartbeat timeout. */
  throttleHeartbeats(throttle: HeartbeatThrottle): void {
    this.throttle = throttle;
  }

  /** Resolves once the update is committed (with its batch), or, for a heartbeat held by the throttle, at once. */
  write(update: PresenceUpdate): Promise<void> {
    const id = update.deviceId;
    if (update.online === undefined && !update.decided) {
      if (this.mayHold(update)) {
        this.held.set(id, update);
        this.metrics.inc('presence_heartbeats_held');
        this.flushTimer ??= setInterval(() => this.writeHeld(false), Math.max(1, Math.floor(this.throttle!.intervalMs / 2))).unref();
        return Promise.resolve();
      }
    } else if (this.throttle) {
      const before = this.held.get(id);
      if (before) {
        this.held.delete(id);
        void this.batcher.submit(before).catch(() => undefined); // its failure is logged by writeBatch
      }
      this.changing.set(id, (this.changing.get(id) ?? 0) + 1);
      this.committedSeen.delete(id);
    }
    // Heartbeats and conditional sweeps may change nothing: only what certainly applies is counted before its commit.
    if (update.online !== undefined && update.silentBefore === undefined) this.inFlight.set(id, update);
    return this.batcher.submit(update);
  }

  private mayHold(u: PresenceUpdate): boolean {
    if (!this.throttle || this.changing.has(u.deviceId)) return false;
    const seen = this.committedSeen.get(u.deviceId);
    return seen !== undefined && u.at >= seen && u.at - seen < this.throttle.intervalMs;
  }

  /** Writes the held heartbeats whose device's row is an interval old (`all`: every one, e.g. at shutdown). */
  private writeHeld(all: boolean): Promise<unknown> {
    const now = this.throttle?.now() ?? 0;
    const due: Promise<void>[] = [];
    for (const [id, u] of this.held) {
      const seen = this.committedSeen.get(id);
      if (!all && seen !== undefined && now - seen < (this.throttle?.intervalMs ?? 0)) continue;
      this.held.delete(id);
      due.push(this.batcher.submit(u).catch(() => undefined)); // its failure is logged by writeBatch
    }
    if (this.held.size === 0 && this.flushTimer) {
      clearInterval(this.flushTimer);
      this.flushTimer = null;
    }
    return Promise.all(due);
  }

  async onlineAmong(deviceIds: readonly string[]): Promise<ReadonlySet<string>> {
    const online = new Set(await this.repo.onlineAmong(deviceIds));
    for (const id of deviceIds) {
      const heard = this.inFlight.get(id);
      if (heard === undefined) continue;
      if (heard.online) online.add(id);
      else online.delete(id);
    }
    return online;
  }

  async onModuleDestroy(): Promise<void> {
    await this.writeHeld(true);
    return this.batcher.drain();
  }

  /**
   * Committed (or failed): the table answers again, unless a later update of the device is still in flight; the
   * last-seen cache learns what the batch left online (`seenOnline`), or forgets the devices when it failed.
   */
  private settle(updates: readonly PresenceUpdate[], seenOnline: ReadonlyMap<string, number> | null): void {
    for (const u of updates) if (this.inFlight.get(u.deviceId) === u) this.inFlight.delete(u.deviceId);
    if (!this.throttle) return;
    for (const u of updates) {
      if (u.online === undefined && !u.decided) continue;
      const n = (this.changing.get(u.deviceId) ?? 1) - 1;
      if (n > 0) this.changing.set(u.deviceId, n);
      else this.changing.delete(u.deviceId);
    }
    for (const u of updates) {
      const seen = seenOnline?.get(u.deviceId);
      if (seen !== undefined && !this.changing.has(u.deviceId)) this.committedSeen.set(u.deviceId, seen);
      else this.committedSeen.delete(u.deviceId);
    }
  }

  private async writeBatch(updates: PresenceUpdate[]): Promise<void> {
    let result: Awaited<ReturnType<DevicesRepository['writePresence']>>;
    try {
      result = await this.repo.writePresence(updates);
    } catch (err) {
      this.settle(updates, null);
      this.logger.error({ ctx: 'devices', err: (err as Error).message, updates: updates.length }, 'presence write failed');
      throw err;
    }
    this.settle(updates, result.seenOnline ?? null);
    this.metrics.inc('presence_written', result.written);
    if (result.transitions.length === 0) return;
    this.metrics.inc('presence_transitions', result.transitions.length);
    for (const t of result.transitions) this.logger.debug({ ctx: 'devices', deviceId: t.deviceId, state: t.state, reason: t.reason }, 'device presence changed');
    // Awaited: the batch (and so the next one) waits for its reactions, e.g. offline alarms cleared, which is the
    // back-pressure of a reconnect storm; the listeners' errors are logged, never thrown.
    await this.events.emitAsync('presence.changed', { changes: result.transitions });
  }
}
