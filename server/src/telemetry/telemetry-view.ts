import type { TelemetryMessage } from '@loa/shared';
import { isoOrNull } from '../common/iso.js';
import type { DeviceTelemetryEntity } from '../database/entities.js';

/** A telemetry sample as the API shows it: ISO instants, absent measurements as null. */
export interface TelemetryView {
  at: string;
  receivedAt: string;
  uptimeS: number;
  timelineVersion: number | null;
  playing: string | null;
  volume: number | null;
  muted: boolean | null;
  freeDiskBytes: number | null;
  rssBytes: number | null;
  clockOffsetMs: number | null;
  outboxSize: number | null;
  agentVersion: string | null;
  outputLevelLufs: number | null;
  signalDbm: number | null;
  temperatureC: number | null;
}

export const telemetryView = (t: DeviceTelemetryEntity): TelemetryView => ({
  at: isoOrNull(t.at) ?? '',
  receivedAt: isoOrNull(t.receivedAt) ?? '',
  uptimeS: t.uptimeS,
  timelineVersion: t.timelineVersion,
  playing: t.playing,
  volume: t.volume,
  muted: t.muted,
  freeDiskBytes: t.freeDiskBytes,
  rssBytes: t.rssBytes,
  clockOffsetMs: t.clockOffsetMs,
  outboxSize: t.outboxSize,
  agentVersion: t.agentVersion,
  outputLevelLufs: t.outputLevelLufs,
  signalDbm: t.signalDbm,
  temperatureC: t.temperatureC,
});

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
