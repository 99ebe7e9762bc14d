import { PROTOCOL_VERSION, timelineDigest, type TimelineMessage, type TimelinePatchMessage } from '@loa/shared';

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Pure: the patch that turns `prev` into `next` (applyTimelinePatch(prev, diff) is `next`, slots in compile order).
 * A slot that changed in any way is sent whole; slots are compared as serialised, so a server that changed how it
 * writes one merely sends it again.
 */
export function diffTimelines(prev: TimelineMessage, next: TimelineMessage): TimelinePatchMessage {
  const before = new Map(prev.slots.map((s) => [s.occurrenceId, JSON.stringify(s)]));
  const kept = new Set<string>();
  const upsert = next.slots.filter((s) => {
    kept.add(s.occurrenceId);
    return before.get(s.occurrenceId) !== JSON.stringify(s);
  });
  const remove = prev.slots.filter((s) => !kept.has(s.occurrenceId)).map((s) => s.occurrenceId);
  const areas = next.areaCodes ?? [];
  return {
    v: PROTOCOL_VERSION,
    deviceId: next.deviceId,
    base: prev.version,
    version: next.version,
    generatedAt: next.generatedAt,
    ...(sameList(prev.areaCodes ?? [], areas) ? {} : { areaCodes: [...areas] }),
    remove,
    upsert,
    digest: timelineDigest(next),
  };
}

/**
 * What goes live on `timeline/patch` for a new version: the JSON of its patch from the device's previous stored
 * payload when that is shorter than the whole timeline, else null (the whole timeline goes). Null too when there is
 * no usable previous version (first timeline, unreadable or foreign payload, not an older version).
 */
export function timelinePatchFor(previousPayload: string | undefined, nextPayload: string): string | null {
  // A patch saves the slots the device already holds and costs its base and digest: of a timeline without slots
  // (every device's first, at registration) it is not smaller (the area chain it may leave out is shorter than the
  // digest), so nothing is parsed for it.
  if (previousPayload === undefined || previousPayload.endsWith('"slots":[]}')) return null;
  let prev: TimelineMessage;
  let next: TimelineMessage;
  try {
    // Both are our own compiler's output as stored: no schema pass needed.
    prev = JSON.parse(previousPayload) as TimelineMessage;
    next = JSON.parse(nextPayload) as TimelineMessage;
  } catch {
    return null;
  }
  if (!Array.isArray(prev.slots) || prev.deviceId !== next.deviceId || !(prev.version < next.version)) return null;
  const patch = JSON.stringify(diffTimelines(prev, next));
  return patch.length < nextPayload.length ? patch : null;
}
