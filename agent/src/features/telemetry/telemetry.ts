import { readFile, statfs } from 'node:fs/promises';
import type { ReportedLocation, TelemetryMessage } from '@loa/shared';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../clock.js';
import { errorMessage } from '../../fsutil.js';
import { clampLufs } from '../playback/loudness.js';

export interface TelemetryOptions {
  clock: Clock;
  logger: Logger;
  dataDir: string;
  intervalMs?: number;
  publish: (msg: TelemetryMessage) => Promise<boolean>;
  sample: () => TelemetrySample;
  /** Extra periodic work piggy-backing on the same timer (e.g. a prefetch sweep). */
  onTick?: () => void;
  /** SoC temperature where the hardware reports it (default: Linux thermal zone 0; absent elsewhere). */
  temperatureC?: () => Promise<number | undefined>;
  /** Issue 19: the position to send with this sample, if any (LocationSource.next: first, on a move, hourly). */
  location?: (now: number) => Promise<ReportedLocation | undefined>;
}

/**
 * Reads a Linux thermal zone (millidegrees Celsius, e.g. "48500"), as on Raspberry Pi and most ARM boards used in
 * loudspeaker controllers. Undefined when the file is missing or says something implausible.
 */
export const thermalZone =
  (path = '/sys/class/thermal/thermal_zone0/temp') =>
  async (): Promise<number | undefined> => {
    try {
      const milli = Number((await readFile(path, 'utf8')).trim());
      const c = Math.round(milli / 100) / 10;
      return Number.isFinite(c) && c > -60 && c < 200 ? c : undefined;
    } catch {
      return undefined;
    }
  };

/** What the controller knows at sampling time; the rest (uptime, disk, memory) is measured here. */
export interface TelemetrySample {
  timelineVersion: number | undefined;
  playing: string | null;
  outboxSize: number;
  clockOffsetMs?: number;
  agentVersion?: string;
  /** Speaker output setting (absent on a board). */
  volume?: number;
  muted?: boolean;
  /** Loudest momentary level (LUFS) at the output over the last 10 s of what is playing; absent when nothing plays or it is not measured. */
  outputLevelLufs?: number;
  /** Media downloads refused because they would not fit (MediaCache.blockedBytes); 0 or absent: none. */
  mediaBlockedBytes?: number;
}

/** Periodic health sample (QoS 0: a lost one is replaced by the next). */
export class Telemetry {
  private timer: TimerHandle | null = null;
  private readonly startedAt: number;

  constructor(private readonly opts: TelemetryOptions) {
    this.startedAt = opts.clock.now();
  }

  start(): void {
    this.schedule();
  }

  stop(): void {
    this.opts.clock.clearTimer(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    this.timer = this.opts.clock.setTimer(() => {
      void this.send().finally(() => {
        if (this.timer) this.schedule();
      });
      this.opts.onTick?.();
    }, this.opts.intervalMs ?? 60_000);
  }

  async sample(): Promise<TelemetryMessage> {
    const now = this.opts.clock.now();
    const s = this.opts.sample();
    let freeDiskBytes: number | undefined;
    try {
      const fs = await statfs(this.opts.dataDir);
      freeDiskBytes = Math.floor(Number(fs.bavail) * Number(fs.bsize));
    } catch {
      freeDiskBytes = undefined;
    }
    const temperatureC = await (this.opts.temperatureC ?? thermalZone())();
    const location = await this.opts.location?.(now).catch(() => undefined);
    return {
      v: 1,
      at: now,
      ...(temperatureC !== undefined ? { temperatureC } : {}),
      uptimeS: Math.max(0, Math.round((now - this.startedAt) / 1000)),
      ...(s.timelineVersion !== undefined ? { timelineVersion: s.timelineVersion } : {}),
      // Absent is what null means (nothing plays): 15 bytes a minute an idle device does not send (issue 14).
      ...(s.playing !== null ? { playing: s.playing } : {}),
      rssBytes: process.memoryUsage.rss(),
      ...(freeDiskBytes !== undefined && Number.isSafeInteger(freeDiskBytes) ? { freeDiskBytes } : {}),
      ...(s.mediaBlockedBytes ? { mediaBlockedBytes: s.mediaBlockedBytes } : {}),
      outboxSize: s.outboxSize,
      ...(s.clockOffsetMs !== undefined ? { clockOffsetMs: s.clockOffsetMs } : {}),
      ...(s.agentVersion !== undefined ? { agentVersion: s.agentVersion } : {}),
      ...(s.volume !== undefined ? { volume: s.volume } : {}),
      ...(s.muted !== undefined ? { muted: s.muted } : {}),
      ...(s.outputLevelLufs !== undefined && s.playing ? { outputLevelLufs: clampLufs(s.outputLevelLufs) } : {}),
      ...(location ? { location } : {}),
    };
  }

  async send(): Promise<void> {
    try {
      await this.opts.publish(await this.sample());
    } catch (err) {
      this.opts.logger.warn({ err: errorMessage(err) }, 'telemetry failed');
    }
  }
}
