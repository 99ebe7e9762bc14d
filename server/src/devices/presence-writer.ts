import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Batcher } from '../common/batcher.js';
import { Metrics } from '../common/metrics.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { DevicesRepository } from './devices.repository.js';
import type { PresenceTransition, PresenceUpdate } from './presence-state.js';

export type TransitionListener = (transitions: readonly PresenceTransition[]) => void | Promise<void>;

/**
 * Presence (status messages, heartbeats, the server's own timeouts) arrives in storms: 10,000 devices reconnecting
 * after a broker restart. Every presence change goes through here, one transaction per batch and in arrival order,
 * so transitions are computed on a consistent state and only real online↔offline changes are logged.
 */
@Injectable()
export class PresenceWriter implements OnModuleDestroy {
  private readonly batcher = new Batcher<PresenceUpdate>((updates) => this.writeBatch(updates));
  private readonly listeners: TransitionListener[] = [];

  constructor(
    private readonly repo: DevicesRepository,
    private readonly metrics: Metrics,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  /** Resolves once the update is committed (with its batch). */
  write(update: PresenceUpdate): Promise<void> {
    return this.batcher.submit(update);
  }

  /** Called after each commit with the transitions it recorded (errors are logged, never propagated). */
  onTransitions(listener: TransitionListener): void {
    this.listeners.push(listener);
  }

  onModuleDestroy(): Promise<void> {
    return this.batcher.drain();
  }

  private async writeBatch(updates: PresenceUpdate[]): Promise<void> {
    let result: Awaited<ReturnType<DevicesRepository['writePresence']>>;
    try {
      result = await this.repo.writePresence(updates);
    } catch (err) {
      this.logger.error({ ctx: 'devices', err: (err as Error).message, updates: updates.length }, 'presence write failed');
      throw err;
    }
    this.metrics.inc('presence_written', result.written);
    if (result.transitions.length === 0) return;
    this.metrics.inc('presence_transitions', result.transitions.length);
    for (const t of result.transitions) this.logger.debug({ ctx: 'devices', deviceId: t.deviceId, state: t.state, reason: t.reason }, 'device presence changed');
    for (const listener of this.listeners) {
      try {
        await listener(result.transitions);
      } catch (err) {
        this.logger.error({ ctx: 'devices', err: (err as Error).message }, 'presence transition listener failed');
      }
    }
  }
}
