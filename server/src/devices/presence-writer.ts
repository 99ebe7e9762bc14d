import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Batcher } from '../common/batcher.js';
import { Metrics } from '../common/metrics.js';
import { DomainEvents } from '../domain-events/domain-events.js';
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
@Injectable()
export class PresenceWriter extends PresenceReader implements OnModuleDestroy {
  private readonly batcher = new Batcher<PresenceUpdate>((updates) => this.writeBatch(updates), { lingerMs: PRESENCE_LINGER_MS });
  /** Status updates accepted and not yet committed (the last one per device): presence as last heard. */
  private readonly inFlight = new Map<string, PresenceUpdate>();

  constructor(
    private readonly repo: DevicesRepository,
    private readonly metrics: Metrics,
    @Inject(LOGGER) private readonly logger: AppLogger,
    private readonly events: DomainEvents,
  ) {
    super();
  }

  /** Resolves once the update is committed (with its batch). */
  write(update: PresenceUpdate): Promise<void> {
    // Heartbeats and conditional sweeps may change nothing: only what certainly applies is counted before its commit.
    if (update.online !== undefined && update.silentBefore === undefined) this.inFlight.set(update.deviceId, update);
    return this.batcher.submit(update);
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

  onModuleDestroy(): Promise<void> {
    return this.batcher.drain();
  }

  /** Committed (or failed): the table answers again, unless a later update of the device is still in flight. */
  private settle(updates: readonly PresenceUpdate[]): void {
    for (const u of updates) if (this.inFlight.get(u.deviceId) === u) this.inFlight.delete(u.deviceId);
  }

  private async writeBatch(updates: PresenceUpdate[]): Promise<void> {
    let result: Awaited<ReturnType<DevicesRepository['writePresence']>>;
    try {
      result = await this.repo.writePresence(updates);
    } catch (err) {
      this.settle(updates);
      this.logger.error({ ctx: 'devices', err: (err as Error).message, updates: updates.length }, 'presence write failed');
      throw err;
    }
    this.settle(updates);
    this.metrics.inc('presence_written', result.written);
    if (result.transitions.length === 0) return;
    this.metrics.inc('presence_transitions', result.transitions.length);
    for (const t of result.transitions) this.logger.debug({ ctx: 'devices', deviceId: t.deviceId, state: t.state, reason: t.reason }, 'device presence changed');
    // Awaited: the batch (and so the next one) waits for its reactions, e.g. offline alarms cleared, which is the
    // back-pressure of a reconnect storm; the listeners' errors are logged, never thrown.
    await this.events.emitAsync('presence.changed', { changes: result.transitions });
  }
}
