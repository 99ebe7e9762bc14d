import type { AlertAreaCounts, AlertBannerItem, AlertSummary } from '@loa/shared/rest';
import { applySummary, inForce, isNewer, nextChange, orderAreas, pctOf, playedOf, refusalOf, summaryFromEvent } from '../src/pages/alert-progress.js';

const NOW = Date.parse('2026-12-06T01:00:00Z');
const iso = (offsetMs: number) => new Date(NOW + offsetMs).toISOString();

const summary = (patch: Partial<AlertSummary> = {}): AlertSummary => ({
  alertId: 'a-1',
  total: 4,
  byState: { expected: 1, delivered: 0, started: 1, finished: 1, failed: 1, withdrawn: 0 },
  areas: [],
  updatedAt: iso(0),
  ...patch,
});

const banner = (id: string, patch: Partial<AlertBannerItem> = {}): AlertBannerItem => ({
  id,
  areaCode: '09955',
  areaName: 'Xã Tây Đằng',
  title: 'Lũ quét',
  priority: 'emergency',
  source: 'manual',
  effectiveAt: iso(-60_000),
  expiresAt: iso(3_600_000),
  total: 4,
  played: 0,
  ...patch,
});

const area = (areaCode: string, name: string, total: number, played: number, failed: number): AlertAreaCounts => ({ areaCode, name, total, delivered: played, played, failed });

describe('alert proof of play: counts, events, banner (issue 18)', () => {
  it('counts started and finished as played, and never calls an empty area fully played', () => {
    expect(playedOf(summary())).toBe(2);
    expect(playedOf({ byState: { failed: 3 } as AlertSummary['byState'] })).toBe(0);
    expect(pctOf(2, 4)).toBe(50);
    expect(pctOf(2, 3)).toBe(66);
    expect(pctOf(0, 0)).toBe(0);
    expect(pctOf(5, 4)).toBe(100);
  });

  it('reads the summary from an alert.progress event, flat or under `summary`, and ignores anything else', () => {
    const s = summary();
    expect(summaryFromEvent({ type: 'alert.progress', areaCode: '09955', ...s })).toEqual(s);
    expect(summaryFromEvent({ type: 'alert.progress', summary: s })).toEqual(s);
    expect(summaryFromEvent({ type: 'alert.progress', alertId: 'a-1' })).toBeNull();
    expect(summaryFromEvent({ type: 'delivery.state', scheduleId: 's', deviceId: 'd', state: 'finished' })).toBeNull();
  });

  it('keeps the newest summary when a re-read and an event cross', () => {
    const shown = summary({ updatedAt: iso(5_000) });
    expect(isNewer(summary({ updatedAt: iso(1_000) }), shown)).toBe(false);
    expect(isNewer(summary({ updatedAt: iso(6_000) }), shown)).toBe(true);
    expect(isNewer(summary(), null)).toBe(true);
    expect(isNewer(summary({ alertId: 'a-2', updatedAt: iso(1_000) }), shown)).toBe(true);
  });

  it('orders areas: the alert’s own area, then failures (most first), then least played, then by name', () => {
    const rows = [area('B', 'Xã Bằng', 10, 10, 0), area('C', 'Xã Cam', 10, 2, 0), area('P', 'Huyện', 40, 20, 3), area('D', 'Xã Đông', 10, 8, 1), area('E', 'Xã Ên', 10, 5, 2), area('A', 'Xã An', 10, 10, 0)];
    expect(orderAreas(rows, 'P').map((r) => r.areaCode)).toEqual(['P', 'E', 'D', 'C', 'A', 'B']);
    expect(orderAreas(rows, null).map((r) => r.areaCode)).toEqual(['P', 'E', 'D', 'C', 'A', 'B']);
    // The input is not reordered in place (it is the summary held in state).
    expect(rows[0]!.areaCode).toBe('B');
  });

  it('updates only the matching banner alert and says when the alert is not shown yet', () => {
    const items = [banner('a-1'), banner('a-2', { played: 3 })];
    const u = applySummary(items, summary({ total: 5 }));
    expect(u.unknown).toBe(false);
    expect(u.items.map((b) => [b.id, b.played, b.total])).toEqual([
      ['a-1', 2, 5],
      ['a-2', 3, 4],
    ]);
    expect(items[0]!.played).toBe(0);
    expect(applySummary(items, summary({ alertId: 'a-9' })).unknown).toBe(true);
  });

  it('shows alerts in force only, and knows when to look again without an event', () => {
    const items = [banner('now'), banner('later', { effectiveAt: iso(600_000) }), banner('gone', { expiresAt: iso(-1) })];
    expect(inForce(items, NOW).map((b) => b.id)).toEqual(['now']);
    expect(nextChange(items, NOW)).toBe(NOW + 600_000);
    expect(nextChange([banner('gone', { effectiveAt: iso(-9_000), expiresAt: iso(-1) })], NOW)).toBeNull();
  });

  it('explains the server’s refusals of an alert in the form’s own words', () => {
    // The server's own words (server/src/alerts/alerts.service.ts).
    expect(refusalOf(400, 'speakText reads the alert text aloud: give speakText or mediaSha256, not both')).toBe('speakWithAudio');
    expect(refusalOf(400, 'speakText needs the text to read aloud: give text')).toBe('speakNoText');
    expect(refusalOf(400, 'speakText: text-to-speech is not available on this server')).toBe('ttsUnavailable');
    expect(refusalOf(502, 'text-to-speech failed: the TTS service answered 503: maintenance')).toBe('ttsUnavailable');
    expect(refusalOf(400, 'media 3f2a is not approved content marked for emergencies: the approval rule emergency.audioFromEmergencyContentOnly allows only such audio (or speakText) in alerts')).toBe(
      'notEmergencyContent',
    );
    expect(refusalOf(400, 'speakText reads the alert text aloud: an alert with a stream cannot have it')).toBeNull();
        expect(refusalOf(403, 'area 09955 is outside your scope')).toBe('outOfScope');
    expect(refusalOf(403, 'Forbidden resource')).toBe('forbidden');
    expect(refusalOf(400, 'speakText: TTS engine failed')).toBe('ttsUnavailable');
    expect(refusalOf(400, 'unknown media 3f2a: upload it first (POST /api/v1/media)')).toBe('mediaUnknown');
    expect(refusalOf(409, 'alert a-1: a second person must confirm it (the user who created it cannot)')).toBe('secondPerson');
    expect(refusalOf(409, 'alert a-1 expired: it waited more than 30 minutes for confirmation; send it again')).toBe('confirmLapsed');
    expect(refusalOf(409, 'alert a-1 is cancelled: only a pending alert can be confirmed')).toBe('notPending');
    expect(refusalOf(409, 'alert a-1 is expired; only an active alert can be cancelled')).toBe('notActive');
    expect(refusalOf(409, 'alert a-1 changed meanwhile: cannot cancel it')).toBeNull();
  });
});
