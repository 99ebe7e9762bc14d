import { createHash } from 'node:crypto';
import type { OtaRolloutDeviceState } from '@loa/shared/rest';

/** Vietnam has one zone, UTC+7, without daylight saving: a fixed offset is exact. */
const VIETNAM_OFFSET_MIN = 7 * 60;
const DAY_MIN = 24 * 60;

const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Whether `now` lies in the daily window [from, to) in Vietnam time; `to` before `from` crosses midnight. */
export function inMaintenanceWindow(window: { from: string; to: string } | null, now: number): boolean {
  if (!window) return true;
  const minute = (((Math.floor(now / 60_000) + VIETNAM_OFFSET_MIN) % DAY_MIN) + DAY_MIN) % DAY_MIN;
  const from = minutesOf(window.from);
  const to = minutesOf(window.to);
  return from < to ? minute >= from && minute < to : minute >= from || minute < to;
}

/**
 * Stage membership: devices ordered by a hash of rollout id and device id (deterministic, different for every
 * rollout, so the same devices are not always first), stage i holding the devices up to its cumulative percentage.
 */
export function planStages(rolloutId: string, deviceIds: readonly string[], stages: readonly number[]): Array<{ deviceId: string; ord: number; stage: number }> {
  const ordered = [...deviceIds]
    .map((id) => ({ id, h: createHash('sha256').update(`${rolloutId}:${id}`).digest('hex') }))
    .sort((a, b) => (a.h < b.h ? -1 : a.h > b.h ? 1 : a.id.localeCompare(b.id)));
  const bounds = stageBounds(ordered.length, stages);
  return ordered.map((d, ord) => ({ deviceId: d.id, ord, stage: bounds.findIndex((b) => ord < b) }));
}

/** Cumulative device counts at the end of each stage; the first stage has at least one device. */
export function stageBounds(total: number, stages: readonly number[]): number[] {
  return stages.map((p, i) => {
    const n = Math.ceil((total * p) / 100);
    return i === 0 ? Math.min(total, Math.max(1, n)) : Math.min(total, n);
  });
}

export const TERMINAL: ReadonlySet<OtaRolloutDeviceState> = new Set(['healthy', 'failed', 'rolled-back']);
export const FAILED: ReadonlySet<OtaRolloutDeviceState> = new Set(['failed', 'rolled-back']);

/** How far along a state is: a report never moves a device to a lower rank (reports may arrive out of order). */
const RANK: Record<OtaRolloutDeviceState, number> = {
  pending: 0,
  offered: 1,
  accepted: 2,
  deferred: 2,
  downloading: 3,
  downloaded: 4,
  installing: 5,
  installed: 6,
  healthy: 7,
  failed: 7,
  'rolled-back': 7,
};

/**
 * Whether a device may move from `current` to `next`. Terminal states are final for the rollout, except a failure
 * the server only assumed (`timeout`), which the device's own terminal report corrects.
 */
export function mayMove(current: OtaRolloutDeviceState, currentError: string | null, next: OtaRolloutDeviceState): boolean {
  if (TERMINAL.has(current)) return current === 'failed' && currentError === 'timeout' && TERMINAL.has(next);
  if (next === current) return next === 'downloading' || next === 'deferred';
  return RANK[next] >= RANK[current];
}

/** Whether `part` is at least `percent` % of `whole` (integers, no rounding error). */
export const reaches = (part: number, whole: number, percent: number): boolean => whole > 0 && part * 100 >= percent * whole;

/** Whether a slot of a stored timeline plays now or starts within `guardMs`. */
export function slotGuarded(timelineJson: string | undefined, now: number, guardMs: number): boolean {
  if (!timelineJson) return false;
  let slots: unknown;
  try {
    slots = (JSON.parse(timelineJson) as { slots?: unknown }).slots;
  } catch {
    return false;
  }
  if (!Array.isArray(slots)) return false;
  return slots.some((s: { startAt?: unknown; durationMs?: unknown }) => {
    if (typeof s.startAt !== 'number' || typeof s.durationMs !== 'number') return false;
    return s.startAt - guardMs <= now && now < s.startAt + s.durationMs;
  });
}

/** Whether an alert in force covers a device: its own area or one above it. */
export function alertGuarded(devicePath: string | undefined, alertAreas: ReadonlySet<string>): boolean {
  if (!devicePath || alertAreas.size === 0) return false;
  return devicePath.split('/').some((code) => code.length > 0 && alertAreas.has(code));
}
