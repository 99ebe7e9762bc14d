import { randomBytes } from 'node:crypto';
import type { AlertMessage, DeviceKind, Slot } from '@loa/shared';

/*
 * What a virtual device decides the way a real agent does. The server may not import the agent (architecture rule 4),
 * so the few pure rules it needs are restated here, each naming the agent code it follows; the texts of reasons are the
 * agent's own, so a trainee reads in practice exactly what a real speaker would say.
 */

/** agent/src/features/reports/outbox.ts `newEventId`: minted once per report, kept across resends. */
export const newEventId = (now: number): string => `${now.toString(36)}-${randomBytes(6).toString('hex')}`;

/** The level (LUFS) the agent's meter reports for digital silence (agent playback/loudness.ts SILENCE_LUFS). */
export const SILENCE_LUFS = -120.7;

/**
 * A plausible measured level of normalised programme at the output: files are normalised to about −16 LUFS
 * integrated, whose loudest momentary 400 ms window sits a few LU above; the self-test tone (−20 dBFS sine) measures
 * about −23 LUFS (agent commands/self-test.ts).
 */
export const PROGRAMME_LUFS = -14.5;
export const SELF_TEST_TONE_LUFS = -23;
export const SELF_TEST_TONE_DBFS = -20;

/** What the agent's runner says when this kind of device cannot render the slot at all (reported `skipped`). */
export function unsupportedReason(kind: DeviceKind, slot: Slot): string | null {
  if (kind === 'speaker') return slot.type === 'text' || slot.type === 'image' ? `a speaker cannot show ${slot.type === 'text' ? 'text' : 'images'}` : null;
  if (slot.type === 'relay') return 'board cannot relay audio';
  if (slot.type === 'audio') return 'board cannot play audio';
  return null;
}

/** The media a slot needs on this kind of device (audio on a speaker, an image on a board), or null. */
export const mediaOf = (slot: Slot): string | null => (slot.type === 'audio' || slot.type === 'image' ? slot.media.sha256 : null);

/** The agent's media cache error for a file it does not hold (agent media/media-cache.ts). */
export const mediaMissing = (sha256: string): string => `media ${sha256} missing`;

/** agent executor `itemMsOf`: every play of an audio file; the window for what is shown or relayed. */
export const itemMsOf = (s: Slot): number => (s.type === 'audio' ? s.media.durationMs * (s.repeat ?? 1) : s.durationMs);

/** How long the item runs from its start: all its plays and gaps for audio, capped by the window's end. */
export function runEnd(s: Slot, startedAt: number): number {
  const windowEnd = s.startAt + s.durationMs;
  if (s.type !== 'audio') return windowEnd;
  const plays = s.repeat ?? 1;
  return Math.min(windowEnd, startedAt + s.media.durationMs * plays + (s.gapMs ?? 0) * (plays - 1));
}

/** agent alerts/alert-book.ts `alertSlot`: the slot an area alert becomes on this kind of device, or null. */
export function alertSlot(a: AlertMessage, kind: DeviceKind, now: number): Slot | null {
  if (a.msgType === 'cancel' || a.expiresAt <= now) return null;
  const base = {
    occurrenceId: `alert:${a.id}`,
    scheduleId: 'alert',
    contentId: a.id,
    title: a.title,
    priority: a.priority,
    startAt: a.effectiveAt,
    ...(a.volume === undefined ? {} : { volume: a.volume }),
  };
  if (kind === 'speaker') {
    if (a.stream) {
      const durationMs = a.expiresAt - a.effectiveAt;
      return durationMs > 0 ? { ...base, type: 'relay', durationMs, url: a.stream.url, ...(a.stream.live ? { live: true } : {}) } : null;
    }
    if (!a.media) return null;
    return { ...base, type: 'audio', durationMs: a.media.durationMs, media: a.media };
  }
  const durationMs = a.expiresAt - a.effectiveAt;
  if (durationMs <= 0) return null;
  return { ...base, type: 'text', durationMs, text: a.text ?? a.title };
}
