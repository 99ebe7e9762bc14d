import type { PlaybackEvent } from '@loa/shared';
import type { AlarmKind } from './alarm.entity.js';

export const ALARM_KINDS = ['offline', 'low-disk', 'playback-failures', 'silence'] as const satisfies readonly AlarmKind[];

/** What a piece of evidence says about one alarm of one device; applied only if it changes the alarm's state. */
export interface AlarmDecision {
  deviceId: string;
  kind: AlarmKind;
  action: 'raise' | 'clear';
  detail: string;
}

export interface AlarmThresholds {
  lowDiskBytes: number;
  silenceLufs: number;
  playbackFailures: number;
}

export interface TelemetryEvidence {
  deviceId: string;
  at: number;
  freeDiskBytes: number | null;
  /** Media the device refused to download because it would not fit (agents since issue 12); null: none said. */
  mediaBlockedBytes?: number | null;
  playing: string | null;
  outputLevelLufs: number | null;
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
const lufs = (v: number): string => `${v.toFixed(1)} LUFS`;

/** Keeps the last decision per (device, kind): later evidence overrides earlier in the same batch. */
function lastPerAlarm(decisions: AlarmDecision[]): AlarmDecision[] {
  const out = new Map<string, AlarmDecision>();
  for (const d of decisions) {
    const key = `${d.deviceId}\u0000${d.kind}`;
    out.delete(key);
    out.set(key, d);
  }
  return [...out.values()];
}

/**
 * Telemetry: free disk below the threshold, or media the device could not fit, raises `low-disk` (cleared once
 * free disk is above the threshold and nothing is refused); something playing with a
 * momentary output level below the silence threshold raises `silence` (only an audible finished playback clears it).
 */
export function telemetryDecisions(samples: readonly TelemetryEvidence[], t: AlarmThresholds): AlarmDecision[] {
  const out: AlarmDecision[] = [];
  for (const s of [...samples].sort((a, b) => a.at - b.at)) {
    const blocked = s.mediaBlockedBytes ?? 0;
    if (blocked > 0) {
      const free = s.freeDiskBytes === null ? '' : ` (free disk ${mb(s.freeDiskBytes)})`;
      out.push({ deviceId: s.deviceId, kind: 'low-disk', action: 'raise', detail: `media of ${mb(blocked)} does not fit on the device${free}` });
    } else if (s.freeDiskBytes !== null) {
      out.push(
        s.freeDiskBytes < t.lowDiskBytes
          ? { deviceId: s.deviceId, kind: 'low-disk', action: 'raise', detail: `free disk ${mb(s.freeDiskBytes)}, below ${mb(t.lowDiskBytes)}` }
          : { deviceId: s.deviceId, kind: 'low-disk', action: 'clear', detail: `free disk back to ${mb(s.freeDiskBytes)}` },
      );
    }
    if (s.playing && s.outputLevelLufs !== null && s.outputLevelLufs < t.silenceLufs) {
      out.push({
        deviceId: s.deviceId,
        kind: 'silence',
        action: 'raise',
        detail: `playing ${s.playing} but output level ${lufs(s.outputLevelLufs)}, below ${lufs(t.silenceLufs)}`,
      });
    }
  }
  return lastPerAlarm(out);
}

/** Finished playbacks of one device: below the silence threshold raises `silence`, an audible one clears it. */
export function silenceDecisions(deviceId: string, events: readonly PlaybackEvent[], t: AlarmThresholds): AlarmDecision[] {
  const out: AlarmDecision[] = [];
  for (const e of [...events].sort((a, b) => a.at - b.at)) {
    if (e.type !== 'finished' || e.outputLevelLufs === undefined) continue;
    out.push(
      e.outputLevelLufs < t.silenceLufs
        ? { deviceId, kind: 'silence', action: 'raise', detail: `${e.occurrenceId} finished at ${lufs(e.outputLevelLufs)}, below ${lufs(t.silenceLufs)}` }
        : { deviceId, kind: 'silence', action: 'clear', detail: `${e.occurrenceId} finished audibly (${lufs(e.outputLevelLufs)})` },
    );
  }
  return lastPerAlarm(out);
}

/**
 * `playback-failures` from the device's latest failed/finished reports (newest first, as stored): raised when the
 * newest `playbackFailures` are all failures, cleared when the newest is a finished playback.
 */
export function failureDecision(
  deviceId: string,
  recent: ReadonlyArray<{ type: string; reason: string | null; occurrenceId: string }>,
  t: AlarmThresholds,
): AlarmDecision | null {
  const newest = recent[0];
  if (!newest) return null;
  if (newest.type === 'finished') return { deviceId, kind: 'playback-failures', action: 'clear', detail: `${newest.occurrenceId} played to the end` };
  let run = 0;
  while (run < recent.length && recent[run]?.type === 'failed') run++;
  if (run < t.playbackFailures) return null;
  return {
    deviceId,
    kind: 'playback-failures',
    action: 'raise',
    detail: `${run} playbacks in a row failed; last: ${newest.occurrenceId}${newest.reason ? ` (${newest.reason})` : ''}`,
  };
}
