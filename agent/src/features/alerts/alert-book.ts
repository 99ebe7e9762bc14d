import { join } from 'node:path';
import { alertMessageSchema, type AlertMessage, type DeviceKind, type Slot } from '@loa/shared';
import { z } from 'zod';
import { readJsonIfExists, writeJsonAtomic } from '../../fsutil.js';

const bookSchema = z.record(z.string(), alertMessageSchema);

export type AlertChange =
  | { kind: 'set'; alert: AlertMessage }
  | { kind: 'ignored'; reason: string }
  /** Older than what the channel already gave us: a replay of a superseded alert. */
  | { kind: 'stale'; reason: string };

/**
 * What each followed area's alert channel currently holds, kept on disk so an alert keeps playing across an
 * agent restart with no network. The channel holds one retained message: a new alert or update replaces the
 * previous one, a cancellation withdraws it. Alerts end by their own expiry: the empty payload the server leaves on
 * the channel at expiry carries no signature, so it is not trusted to withdraw anything.
 */
export class AlertBook {
  private byArea = new Map<string, AlertMessage>();

  constructor(private readonly dir: string) {}

  private get file(): string {
    return join(this.dir, 'alerts.json');
  }

  async load(): Promise<void> {
    const parsed = bookSchema.safeParse(await readJsonIfExists(this.file).catch(() => undefined));
    this.byArea = new Map(parsed.success ? Object.entries(parsed.data) : []);
  }

  /** `alert` has been verified (signature, area) by the caller. */
  async apply(alert: AlertMessage): Promise<AlertChange> {
    const held = this.byArea.get(alert.areaCode);
    if (held && held.id === alert.id && held.msgType === alert.msgType) return { kind: 'ignored', reason: 'already held' };
    if (held && alert.sentAt < held.sentAt) return { kind: 'stale', reason: `sent ${alert.sentAt}, older than the held ${held.id} sent ${held.sentAt}` };
    this.byArea.set(alert.areaCode, alert);
    await this.save();
    return { kind: 'set', alert };
  }

  /** Drops alerts of areas this device no longer belongs to. */
  async retain(areaCodes: readonly string[]): Promise<void> {
    const keep = new Set(areaCodes);
    let changed = false;
    for (const code of [...this.byArea.keys()]) {
      if (!keep.has(code)) changed = this.byArea.delete(code) || changed;
    }
    if (changed) await this.save();
  }

  slots(kind: DeviceKind, now: number): Slot[] {
    return [...this.byArea.values()].flatMap((a) => {
      const s = alertSlot(a, kind, now);
      return s ? [s] : [];
    });
  }

  private save(): Promise<void> {
    return writeJsonAtomic(this.file, Object.fromEntries(this.byArea));
  }
}

/**
 * Pure: the slot an alert becomes on this kind of device, or null (cancelled, expired, or nothing this device
 * can render). A board shows the text until the alert expires; a speaker plays the audio once.
 */
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
    // Issue 18: a live microphone or a relayed station plays until the alert ends (or is cancelled).
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
