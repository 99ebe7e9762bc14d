import { ICalCalendar, ICalEventStatus, type ICalTZDateStub } from 'ical-generator';
import { localParts } from '@loa/shared';

/** One VEVENT: instants in epoch ms; the writer puts them on the calendar's zone. */
export interface FeedEvent {
  uid: string;
  start: number;
  end: number;
  summary: string;
  description: string;
  location: string | null;
  /** RFC 5545 PRIORITY: 1 highest … 9 lowest. */
  priority: number;
  categories: string[];
  cancelled: boolean;
  sequence: number;
  lastModified: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** The zone's offset from UTC at an instant, in ms. */
const offsetAt = (ms: number, zone: string): number => {
  const p = localParts(ms, zone);
  return Date.UTC(p.y, p.m - 1, p.d, p.hh, p.mm, p.ss) - Math.floor(ms / 1000) * 1000;
};

const two = (n: number): string => String(n).padStart(2, '0');
const offsetText = (ms: number): string => {
  const m = Math.round(Math.abs(ms) / 60_000);
  return `${ms < 0 ? '-' : '+'}${two(Math.floor(m / 60))}${two(m % 60)}`;
};
/** An observance starts at the local time of the offset in force before it (RFC 5545 §3.6.5: "02:00" for spring forward). */
const onsetText = (at: number, before: number): string => new Date(at + before).toISOString().replace(/[-:]/g, '').slice(0, 15);

/**
 * A VTIMEZONE for `zone` valid over [from, to): its offset changes in that span found from the platform's zone data
 * (hourly scan, then to the second), each an observance starting at the change. Vietnam has one offset (+07:00) since
 * 1975, so for Asia/Ho_Chi_Minh this is a single STANDARD block; a zone with DST still gets exact observances.
 * Written here because no VTIMEZONE library is a dependency and the zone data is already in Node's ICU.
 */
export function vtimezone(zone: string, from: number, to: number): string {
  const changes: Array<{ at: number; before: number; after: number }> = [];
  let prev = offsetAt(from, zone);
  for (let t = from + HOUR_MS; t <= to; t += HOUR_MS) {
    const cur = offsetAt(t, zone);
    if (cur === prev) continue;
    let lo = t - HOUR_MS;
    let hi = t;
    while (hi - lo > 1000) {
      const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
      if (offsetAt(mid, zone) === prev) lo = mid;
      else hi = mid;
    }
    changes.push({ at: hi, before: prev, after: cur });
    prev = cur;
  }
  const standard = Math.min(offsetAt(from, zone), ...changes.map((c) => c.after));
  const block = (kind: 'STANDARD' | 'DAYLIGHT', start: string, before: number, after: number): string[] => [
    `BEGIN:${kind}`,
    `DTSTART:${start}`,
    `TZOFFSETFROM:${offsetText(before)}`,
    `TZOFFSETTO:${offsetText(after)}`,
    `END:${kind}`,
  ];
  const first = offsetAt(from, zone);
  const lines = ['BEGIN:VTIMEZONE', `TZID:${zone}`, `X-LIC-LOCATION:${zone}`, ...block(first > standard ? 'DAYLIGHT' : 'STANDARD', '19700101T000000', first, first)];
  for (const c of changes) lines.push(...block(c.after > standard ? 'DAYLIGHT' : 'STANDARD', onsetText(c.at, c.before), c.before, c.after));
  lines.push('END:VTIMEZONE');
  return lines.join('\r\n');
}

/**
 * An instant that ical-generator writes as wall-clock time on `zone`. The library formats a native Date with the
 * process's own zone; it asks a date-fns TZDate (which this mimics: `internal`, `withTimeZone`, `tzComponents`) for
 * the wall clock of the event's zone instead, so the output does not depend on the server's TZ.
 */
class ZonedInstant extends Date implements ICalTZDateStub {
  readonly internal: Date;

  constructor(
    ms: number,
    readonly timeZone: string,
  ) {
    super(ms);
    this.internal = new Date(ms);
  }

  withTimeZone(zone?: string | null): ZonedInstant {
    return new ZonedInstant(this.getTime(), zone ?? this.timeZone);
  }

  tzComponents(): ReturnType<typeof localParts> {
    return localParts(this.getTime(), this.timeZone);
  }

  override getFullYear(): number {
    return this.tzComponents().y;
  }
  override getMonth(): number {
    return this.tzComponents().m - 1;
  }
  override getDate(): number {
    return this.tzComponents().d;
  }
  override getHours(): number {
    return this.tzComponents().hh;
  }
  override getMinutes(): number {
    return this.tzComponents().mm;
  }
  override getSeconds(): number {
    return this.tzComponents().ss;
  }
}

/** Control characters (a newline in an area name) would end a property line early. */
const oneLine = (s: string): string => s.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();

/**
 * The feed as iCalendar text. Events carry DTSTART/DTEND with TZID=`zone` and the zone's VTIMEZONE; DTSTAMP equals
 * LAST-MODIFIED (RFC 5545 §3.8.7.2 for a calendar without METHOD), so the same data gives the same bytes and the
 * ETag holds between fetches.
 */
export function renderCalendar(name: string, zone: string, window: { from: number; to: number }, events: readonly FeedEvent[]): string {
  const cal = new ICalCalendar({
    name: oneLine(name),
    prodId: { company: 'Loa', product: 'Loa lich phat thanh', language: 'VI' },
    // No calendar-level zone name: ical-generator would then write DTSTAMP and LAST-MODIFIED as local times, which
    // RFC 5545 requires in UTC. The generator still emits the VTIMEZONE of every event's zone.
    timezone: { name: null, generator: (tz) => vtimezone(tz, window.from - DAY_MS, window.to + DAY_MS) },
    // Calendar apps poll subscriptions; this asks for an hourly refresh (most apps treat it as a hint).
    ttl: 3600,
  });
  cal.x([['X-WR-TIMEZONE', zone]]);
  for (const e of events) {
    cal.createEvent({
      id: e.uid,
      start: new ZonedInstant(e.start, zone),
      end: new ZonedInstant(Math.max(e.end, e.start + 60_000), zone),
      timezone: zone,
      summary: e.summary,
      description: e.description,
      location: e.location,
      priority: e.priority,
      categories: e.categories.map((c) => ({ name: c })),
      status: e.cancelled ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
      sequence: e.sequence,
      stamp: new Date(e.lastModified),
      lastModified: new Date(e.lastModified),
    });
  }
  return cal.toString();
}
