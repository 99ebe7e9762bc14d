import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { Metrics } from '../common/metrics.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { DevicesRepository, type PresenceUpdate } from './devices.repository.js';

interface Pending extends PresenceUpdate {
  resolve: () => void;
  reject: (err: Error) => void;
}

const MAX_PER_COMMIT = 1000;

/**
 * Presence (status messages, telemetry "last seen") arrives in storms: 10,000 devices reconnecting after a broker
 * restart. Updates are queued and written together, one transaction per batch, the way playback events are.
 */
@Injectable()
export class PresenceWriter implements OnModuleDestroy {
  private queue: Pending[] = [];
  private flushing: Promise<void> | null = null;

  constructor(
    private readonly repo: DevicesRepository,
    private readonly metrics: Metrics,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  write(update: PresenceUpdate): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ ...update, resolve, reject });
      this.kick();
    });
  }

  async onModuleDestroy(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  private kick(): void {
    if (this.flushing) return;
    this.flushing = this.drain().finally(() => {
      this.flushing = null;
      if (this.queue.length > 0) this.kick();
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      // Let updates already read from sockets join this batch (the SQLite driver never yields on its own).
      await new Promise<void>((resolve) => setImmediate(resolve));
      const batch = this.queue.splice(0, MAX_PER_COMMIT);
      // The last word per device wins; earlier ones in the same batch are superseded, not lost.
      const latest = new Map<string, Pending>();
      for (const p of batch) latest.set(p.deviceId, { ...latest.get(p.deviceId), ...p, agentVersion: p.agentVersion ?? latest.get(p.deviceId)?.agentVersion });
      try {
        await this.repo.writePresence([...latest.values()]);
        this.metrics.inc('presence_written', latest.size);
        for (const p of batch) p.resolve();
      } catch (err) {
        this.logger.error({ ctx: 'devices', err: (err as Error).message, updates: batch.length }, 'presence write failed');
        for (const p of batch) p.reject(err as Error);
      }
    }
  }
}
