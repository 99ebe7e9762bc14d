import { defaultOnPreempt, PROTOCOL_VERSION, textStyleSchema, type DeviceKind, type PreemptPolicy, type Priority, type Slot, type TimelineMessage } from '@loa/shared';

/**
 * What an interrupted item does when none was chosen: routine and priority items resume (a bulletin cut by an
 * alert continues where it stopped if its window is still open); an emergency item, interrupted only by another
 * emergency, is skipped, since stale emergency audio replayed after the newer one would confuse listeners.
 */

/** One scheduled occurrence for one device, as read from the database. */
export interface SlotRow {
  deviceId: string;
  occurrenceId: string;
  scheduleId: string;
  startAt: number;
  durationMs: number;
  priority: Priority;
  volume: number | null;
  onPreempt: PreemptPolicy | null;
  /** Plays of the file within the slot, and the pause between them (audio only). */
  repeat: number;
  gapMs: number;
  contentId: string;
  contentType: 'audio' | 'text' | 'relay' | 'image';
  url: string | null;
  title: string;
  text: string | null;
  mediaSha256: string | null;
  mediaBytes: number | null;
  mediaMime: string | null;
  mediaDurationMs: number | null;
  /** Board presentation (text style JSON; for images fit and background). */
  style?: Record<string, unknown> | null | undefined;
  /** The image variant for this device's board profile (or the default size). */
  imageSha256?: string | null | undefined;
  imageBytes?: number | null | undefined;
  imageMime?: string | null | undefined;
  /**
   * Issue 18: the kind of the device, read only where a content reaches several kinds (audio carrying a board text):
   * a board shows the text, a speaker plays the audio. Absent or null: the content's own slot type.
   */
  deviceKind?: DeviceKind | null | undefined;
}

/** A stored style that no longer validates (edited by hand, older format) is dropped rather than sent broken. */
function textStyle(raw: SlotRow['style']): { style?: NonNullable<ReturnType<typeof textStyleSchema.parse>> } {
  if (!raw) return {};
  const r = textStyleSchema.safeParse(raw);
  return r.success && Object.keys(r.data).length > 0 ? { style: r.data } : {};
}

/** Pure: the rows of one device → the slots its agent executes, in start order. */
export function compileSlots(rows: readonly SlotRow[]): Slot[] {
  const slots: Slot[] = [];
  for (const r of [...rows].sort((a, b) => a.startAt - b.startAt || a.occurrenceId.localeCompare(b.occurrenceId))) {
    const base = {
      occurrenceId: r.occurrenceId,
      scheduleId: r.scheduleId,
      contentId: r.contentId,
      title: r.title.slice(0, 200),
      priority: r.priority,
      startAt: r.startAt,
      durationMs: r.durationMs,
      ...(r.volume === null ? {} : { volume: r.volume }),
      onPreempt: r.onPreempt ?? defaultOnPreempt(r.priority),
    };
    if (r.contentType === 'audio' && r.deviceKind === 'board') {
      // One message, every channel: the board shows the audio's text for the whole window (its default style).
      if (r.text) slots.push({ ...base, type: 'text', text: r.text });
    } else if (r.contentType === 'audio') {
      // A row without media means the file was removed after scheduling; the slot is dropped rather than sent broken.
      if (!r.mediaSha256 || !r.mediaBytes || !r.mediaDurationMs) continue;
      slots.push({
        ...base,
        type: 'audio',
        media: { sha256: r.mediaSha256, bytes: r.mediaBytes, durationMs: r.mediaDurationMs, mime: r.mediaMime ?? 'application/octet-stream' },
        ...(r.repeat > 1 ? { repeat: r.repeat, gapMs: r.gapMs } : {}),
      });
    } else if (r.contentType === 'relay') {
      if (r.url) slots.push({ ...base, type: 'relay', url: r.url });
    } else if (r.contentType === 'image') {
      if (!r.imageSha256 || !r.imageBytes) continue;
      const fit = r.style?.fit === 'cover' ? 'cover' : 'contain';
      const background = typeof r.style?.background === 'string' && /^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/.test(r.style.background) ? r.style.background : undefined;
      slots.push({
        ...base,
        type: 'image',
        media: { sha256: r.imageSha256, bytes: r.imageBytes, mime: r.imageMime ?? 'image/png' },
        fit,
        ...(background ? { background } : {}),
      });
    } else if (r.text) {
      slots.push({ ...base, type: 'text', text: r.text, ...textStyle(r.style) });
    }
  }
  return slots;
}

export function buildTimeline(deviceId: string, version: number, generatedAt: number, areaCodes: readonly string[], rows: readonly SlotRow[]): TimelineMessage {
  return { v: PROTOCOL_VERSION, deviceId, version, generatedAt, areaCodes: [...areaCodes], slots: compileSlots(rows) };
}
