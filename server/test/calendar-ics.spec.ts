import { renderCalendar, vtimezone, type FeedEvent } from '../src/calendar/calendar-ics.js';

const unfold = (ics: string): string[] => ics.replace(/\r\n[ \t]/g, '').split('\r\n').filter((l) => l.length > 0);

const event = (over: Partial<FeedEvent> = {}): FeedEvent => ({
  uid: 's1:1763176620000@loa',
  start: Date.parse('2025-11-15T03:17:00Z'),
  end: Date.parse('2025-11-15T03:32:00Z'),
  summary: 'Bản tin; sáng, thời sự',
  description: 'Mức ưu tiên: Thường\nPhát tới: Xã Tây Đằng',
  location: 'Xã Tây Đằng, Xã B',
  priority: 5,
  categories: ['Loa', 'Thường'],
  cancelled: false,
  sequence: 3,
  lastModified: Date.parse('2025-11-10T01:02:03Z'),
  ...over,
});

/** The iCalendar writer on its own: zones, escaping, stable bytes. The feed on a server is calendar.spec.ts. */
describe('calendar ICS writer', () => {
  const window = { from: Date.parse('2025-11-01T00:00:00Z'), to: Date.parse('2026-01-01T00:00:00Z') };

  it('writes wall-clock times on the zone with its VTIMEZONE, UTC stamps, and escaped text', () => {
    const lines = unfold(renderCalendar('Loa – Xã Tây Đằng', 'Asia/Ho_Chi_Minh', window, [event()]));
    expect(lines).toContain('DTSTART;TZID=Asia/Ho_Chi_Minh:20251115T101700');
    expect(lines).toContain('DTEND;TZID=Asia/Ho_Chi_Minh:20251115T103200');
    expect(lines).toContain('DTSTAMP:20251110T010203Z');
    expect(lines).toContain('LAST-MODIFIED:20251110T010203Z');
    expect(lines).toContain('SEQUENCE:3');
    expect(lines).toContain('UID:s1:1763176620000@loa');
    expect(lines).toContain('SUMMARY:Bản tin\\; sáng\\, thời sự');
    expect(lines).toContain('DESCRIPTION:Mức ưu tiên: Thường\\nPhát tới: Xã Tây Đằng');
    expect(lines).toContain('STATUS:CONFIRMED');
    expect(lines).toContain('X-WR-CALNAME:Loa – Xã Tây Đằng');
    expect(lines.filter((l) => l === 'BEGIN:VTIMEZONE')).toHaveLength(1);
    expect(lines).toContain('TZOFFSETTO:+0700');
  });

  it('gives the same bytes for the same data (the ETag rests on it), and a name cannot break a line', () => {
    const a = renderCalendar('Loa – A', 'Asia/Ho_Chi_Minh', window, [event(), event({ uid: 'x@loa', cancelled: true })]);
    expect(renderCalendar('Loa – A', 'Asia/Ho_Chi_Minh', window, [event(), event({ uid: 'x@loa', cancelled: true })])).toBe(a);
    expect(unfold(a)).toContain('STATUS:CANCELLED');
    const evil = unfold(renderCalendar('Loa – A\r\nBEGIN:VEVENT', 'Asia/Ho_Chi_Minh', window, []));
    expect(evil.filter((l) => l === 'BEGIN:VEVENT')).toEqual([]);
  });

  it('describes a zone with daylight saving by its real changes', () => {
    const tz = unfold(vtimezone('Europe/Berlin', Date.parse('2026-01-01T00:00:00Z'), Date.parse('2026-12-31T00:00:00Z')));
    // 29/03/2026 02:00 CET → 03:00 CEST; 25/10/2026 03:00 CEST → 02:00 CET (onsets in the time before the change).
    expect(tz.join('|')).toContain('BEGIN:DAYLIGHT|DTSTART:20260329T020000|TZOFFSETFROM:+0100|TZOFFSETTO:+0200|END:DAYLIGHT');
    expect(tz.join('|')).toContain('BEGIN:STANDARD|DTSTART:20261025T030000|TZOFFSETFROM:+0200|TZOFFSETTO:+0100|END:STANDARD');
    const lines = unfold(renderCalendar('x', 'Europe/Berlin', window, [event({ start: Date.parse('2025-11-15T03:17:00Z'), end: Date.parse('2025-11-15T03:32:00Z') })]));
    expect(lines).toContain('DTSTART;TZID=Europe/Berlin:20251115T041700');
  });
});
