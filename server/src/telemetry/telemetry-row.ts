import type { TelemetryMessage } from '@loa/shared';
import type { DeviceTelemetryEntity } from './device-telemetry.entity.js';

const INT32_MAX = 2_147_483_647;

/** The row stored for one telemetry message (a value the column cannot hold is dropped, never the batch). */
export const telemetryRow = (deviceId: string, m: TelemetryMessage, receivedAt: number): DeviceTelemetryEntity => ({
  deviceId,
  at: m.at,
  receivedAt,
  uptimeS: Math.round(m.uptimeS),
  timelineVersion: m.timelineVersion !== undefined && m.timelineVersion <= INT32_MAX ? m.timelineVersion : null,
  playing: m.playing ?? null,
  volume: m.volume ?? null,
  muted: m.muted ?? null,
  freeDiskBytes: m.freeDiskBytes ?? null,
  rssBytes: m.rssBytes ?? null,
  clockOffsetMs: m.clockOffsetMs === undefined ? null : Math.round(m.clockOffsetMs),
  outboxSize: m.outboxSize ?? null,
  agentVersion: m.agentVersion ?? null,
  outputLevelLufs: m.outputLevelLufs ?? null,
  signalDbm: m.signalDbm ?? null,
  temperatureC: m.temperatureC ?? null,
});
