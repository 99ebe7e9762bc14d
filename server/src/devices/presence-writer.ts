import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Batcher } from '../common/batcher.js';
import { Metrics } from '../common/metrics.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { DevicesRepository, type PresenceUpdate } from './devices.repository.js';

/**
 * Presence (status messages, telemetry "last seen") arrives in storms: 10,000 devices reconnecting after a broker
 * restart. Updates are written together, one transaction per batch, the last word per device winning.
 */
@Injectable()
export class PresenceWriter implements OnModuleDestroy {
  private readonly batcher = new Batcher<PresenceUpdate>((updates) => this.writeBatch(updates));

  constructor(
    private readonly repo: DevicesRepository,
    private readonly metrics: Metrics,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  write(update: PresenceUpdate): Promise<void> {
    return this.batcher.submit(update);
  }

  onModuleDestroy(): Promise<void> {
    return this.batcher.drain();
  }

  private async writeBatch(updates: PresenceUpdate[]): Promise<void> {
    const latest = new Map<string, PresenceUpdate>();
    for (const u of updates) {
      const prev = latest.get(u.deviceId);
      latest.set(u.deviceId, { ...u, online: u.online ?? prev?.online, agentVersion: u.agentVersion ?? prev?.agentVersion });
    }
    try {
      await this.repo.writePresence([...latest.values()]);
      this.metrics.inc('presence_written', latest.size);
    } catch (err) {
      this.logger.error({ ctx: 'devices', err: (err as Error).message, updates: updates.length }, 'presence write failed');
      throw err;
    }
  }
}
