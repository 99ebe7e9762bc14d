import type { TelemetryView } from '@loa/shared/rest';
import { isoOrNull } from '../common/iso.js';
import type { DeviceTelemetryEntity } from '../telemetry/device-telemetry.entity.js';

/** A stored telemetry sample as the REST API shows it (device pages and the telemetry history both use it). */
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
