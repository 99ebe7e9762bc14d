import { createHash } from 'node:crypto';
import { PROTOCOL_VERSION } from './version.js';
import type { Slot, TimelineMessage, TimelinePatchMessage } from './messages.js';

/**
 * JSON with every object's keys sorted and undefined members left out: the same value gives the same text whichever
 * side built it (the server's compiler or the agent's schema parse, which order keys differently).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of Object.keys(obj).sort()) {
    const v = obj[key];
    if (v !== undefined) parts.push(`${JSON.stringify(key)}:${canonicalJson(v)}`);
  }
  return `{${parts.join(',')}}`;
}

const byOccurrence = (a: Slot, b: Slot) => (a.occurrenceId < b.occurrenceId ? -1 : a.occurrenceId > b.occurrenceId ? 1 : 0);

/**
 * sha256 (hex) of what a timeline says: device, version, generation time, areas and slots, the slots taken in
 * occurrence order so that the order they are listed in does not matter.
 */
export function timelineDigest(t: TimelineMessage): string {
  const body = { deviceId: t.deviceId, version: t.version, generatedAt: t.generatedAt, areaCodes: t.areaCodes ?? [], slots: [...t.slots].sort(byOccurrence) };
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

/** The order the server compiles slots in: by start, then by occurrence id. */
export const compareSlots = (a: Slot, b: Slot): number => a.startAt - b.startAt || a.occurrenceId.localeCompare(b.occurrenceId);

export type PatchResult = { ok: true; timeline: TimelineMessage } | { ok: false; error: string };

/**
 * Pure: the timeline a patch makes of `held`. Refused (never thrown) when it is not a patch of `held` or the result
 * is not what the server compiled (its digest differs): the caller then fetches the whole timeline.
 */
export function applyTimelinePatch(held: TimelineMessage | null, p: TimelinePatchMessage): PatchResult {
  if (!held || held.version !== p.base) return { ok: false, error: `patch of version ${p.base}, holding ${held?.version ?? 'none'}` };
  if (held.deviceId !== p.deviceId) return { ok: false, error: `patch for ${p.deviceId}, holding a timeline of ${held.deviceId}` };
  if (p.version <= p.base) return { ok: false, error: `patch to version ${p.version} is not above its base ${p.base}` };
  const slots = new Map(held.slots.map((s) => [s.occurrenceId, s]));
  for (const id of p.remove) slots.delete(id);
  for (const s of p.upsert) slots.set(s.occurrenceId, s);
  const areaCodes = p.areaCodes ?? held.areaCodes;
  const timeline: TimelineMessage = {
    v: PROTOCOL_VERSION,
    deviceId: p.deviceId,
    version: p.version,
    generatedAt: p.generatedAt,
    ...(areaCodes ? { areaCodes: [...areaCodes] } : {}),
    slots: [...slots.values()].sort(compareSlots),
  };
  const digest = timelineDigest(timeline);
  return digest === p.digest ? { ok: true, timeline } : { ok: false, error: `patched timeline ${p.version} does not match its digest` };
}
