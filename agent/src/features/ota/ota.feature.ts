import { statfs } from 'node:fs/promises';
import type { Slot, UpdateCommand } from '@loa/shared';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { EventBus } from '../../core/bus.js';
import { Subscriptions, type Feature } from '../../core/feature.js';
import { errorMessage } from '../../fsutil.js';
import { defaultHttpFetch } from '../../http.js';
import type { Uplink } from '../mqtt/uplink.js';
import type { OtaFetch } from './download.js';
import { HealthCheck, type HealthProbes } from './health.js';
import { InstallLayout } from './layout.js';
import type { OtaReport } from './state.js';
import { Updater, type UpdaterOptions } from './updater.js';

/** No install or restart while a slot plays or within this long before one starts (default 2 min). */
export const DEFAULT_OTA_GUARD_MS = 120_000;

export interface OtaFeatureOptions {
  /** The install directory (config installDir, else LOA_AGENT_INSTALL_DIR set by boot.mjs); none: updates refused. */
  installDir: string | undefined;
  releaseKeys: readonly string[];
  runningVersion: string;
  serverUrl: string;
  deviceId: string;
  secret: string;
  clock: Clock;
  localClock: Clock;
  logger: Logger;
  bus: EventBus;
  uplink: Pick<Uplink, 'publish' | 'connected'>;
  /** What plays now (occurrence id) and what is planned: the update waits for a gap. */
  playing: () => string | null;
  slots: () => readonly Slot[];
  /** The health check of a release just installed. */
  probes: HealthProbes;
  restart: () => void;
  reserveBytes: number;
  fetch?: OtaFetch;
  guardMs?: number;
  /** Tuning for tests (retry delays, polling, boot limit). */
  tuning?: Pick<UpdaterOptions, 'maxBoots' | 'retryDelaysMs' | 'deferPollMs' | 'progressEveryMs'> & { healthRetryMs?: number };
}

const freeSpace = async (dir: string): Promise<number> => {
  const s = await statfs(dir);
  return Number(s.bavail) * Number(s.bsize);
};

/**
 * Agent updates over the air (issue 20), device side: the `update` command's handler, the updater that installs an
 * offered release, and the health check of a release just started. Active only when the agent runs from a valid
 * install directory (boot.mjs sets LOA_AGENT_INSTALL_DIR); otherwise `update` is refused as not installable.
 */
export class OtaFeature implements Feature {
  readonly name = 'ota';
  private updater: Updater | null = null;
  private health: HealthCheck | null = null;
  private healthRun: Promise<void> | null = null;
  private readonly subscriptions = new Subscriptions();

  constructor(private readonly opts: OtaFeatureOptions) {}

  /** The `update` command's handler, or null when this agent cannot update itself (read once started). */
  get updateHandler(): ((c: UpdateCommand) => Promise<Record<string, string>>) | null {
    const updater = this.updater;
    return updater ? (c) => updater.offer(c) : null;
  }

  /** The updater, once started from a valid install directory (tests). */
  get active(): Updater | null {
    return this.updater;
  }

  async start(): Promise<void> {
    const { opts } = this;
    if (!opts.installDir) return;
    const layout = new InstallLayout(opts.installDir);
    const problem = await layout.problem();
    if (problem) {
      opts.logger.warn({ problem }, 'over-the-air updates off');
      return;
    }
    const updater = new Updater({
      layout,
      releaseKeys: opts.releaseKeys,
      runningVersion: opts.runningVersion,
      serverUrl: opts.serverUrl,
      authorization: `Basic ${Buffer.from(`${opts.deviceId}:${opts.secret}`).toString('base64')}`,
      clock: opts.clock,
      localClock: opts.localClock,
      logger: opts.logger,
      fetch: opts.fetch ?? defaultHttpFetch,
      freeSpace,
      reserveBytes: opts.reserveBytes,
      publish: (report: OtaReport) => opts.uplink.publish('ota', report),
      busy: () => this.busy(),
      restart: opts.restart,
      ...(opts.tuning ?? {}),
    });
    await updater.start();
    this.updater = updater;
    if (opts.releaseKeys.length === 0) opts.logger.warn('no release keys pinned (releaseKeys / LOA_AGENT_RELEASE_KEYS): updates will be refused');
    this.subscriptions.add(opts.bus.on('mqtt.connected', () => void updater.resend()));
    const pending = updater.pendingHealth;
    if (pending) this.checkHealth(updater, pending.deadline);
  }

  async stop(): Promise<void> {
    this.subscriptions.clear();
    this.health?.stop();
    await this.healthRun;
    await this.updater?.stop();
  }

  private checkHealth(updater: Updater, deadline: number): void {
    const { opts } = this;
    opts.logger.info({ version: opts.runningVersion, deadline: new Date(deadline).toISOString() }, 'new release started: checking its health');
    const health = (this.health = new HealthCheck({
      probes: opts.probes,
      localClock: opts.localClock,
      deadline,
      logger: opts.logger,
      ...(opts.tuning?.healthRetryMs !== undefined ? { retryMs: opts.tuning.healthRetryMs } : {}),
    }));
    this.healthRun = health
      .run()
      .then(async (r) => {
        if ('stopped' in r) return;
        if (r.healthy) await updater.confirmHealthy();
        else await updater.giveUp('health-timeout', r.reason);
      })
      .catch((err: unknown) => opts.logger.error({ err: errorMessage(err) }, 'health check failed'));
  }

  /** Why an install or restart now would disturb playback, or null. */
  private busy(): string | null {
    const playing = this.opts.playing();
    if (playing) return `${playing} is playing`;
    const now = this.opts.clock.now();
    const guard = this.opts.guardMs ?? DEFAULT_OTA_GUARD_MS;
    for (const slot of this.opts.slots()) {
      const end = slot.startAt + slot.durationMs;
      if (slot.startAt <= now + guard && end > now) return `${slot.occurrenceId} ${slot.startAt > now ? `starts in ${Math.round((slot.startAt - now) / 1000)} s` : 'is in its window'}`;
    }
    return null;
  }
}
