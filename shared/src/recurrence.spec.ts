import { expand, localParts, normaliseTimesOfDay, parseRule, parseTimesOfDay, RecurrenceError, validateSpec, zonedToUtc } from './recurrence.js';

const HCM = 'Asia/Ho_Chi_Minh';
/** Local wall-clock instants in Hanoi (UTC+7, no DST). */
const vn = (s: string): number => Date.parse(`${s}+07:00`);
const isoVn = (ms: number): string => new Date(ms + 7 * 3_600_000).toISOString().slice(0, 16);
const FAR = Date.parse('2030-01-01T00:00:00Z');
const run = (dtstart: string, rrule: string | null, exdates: Array<number | string> = [], zone = HCM, from = 0, to = FAR) =>
  expand({ dtstart: zone === HCM ? vn(dtstart) : Date.parse(dtstart), rrule, exdates, timezone: zone }, from, to).map((t) => (zone === HCM ? isoVn(t) : new Date(t).toISOString()));

describe(expand.name, () => {
  it('returns a one-off once, or not at all when excluded or outside the window', () => {
    expect(run('2026-11-23T06:30:00', null)).toEqual(['2026-11-23T06:30']);
    expect(run('2026-11-23T06:30:00', null, [vn('2026-11-23T06:30:00')])).toEqual([]);
    expect(run('2026-11-23T06:30:00', null, [], HCM, vn('2026-11-24T00:00:00'))).toEqual([]);
  });

  it('expands DAILY with COUNT at the same local time', () => {
    expect(run('2026-11-23T06:30:00', 'FREQ=DAILY;COUNT=3')).toEqual(['2026-11-23T06:30', '2026-11-24T06:30', '2026-11-25T06:30']);
  });

  it('expands WEEKLY with BYDAY and COUNT, skipping exception dates (which still count)', () => {
    // 2026-11-23 is a Monday.
    const all = run('2026-11-23T17:00:00', 'FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=6');
    expect(all).toEqual(['2026-11-23T17:00', '2026-11-25T17:00', '2026-11-27T17:00', '2026-11-30T17:00', '2026-12-02T17:00', '2026-12-04T17:00']);
    const ex = run('2026-11-23T17:00:00', 'FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=6', [vn('2026-11-25T17:00:00'), '2026-12-02']);
    expect(ex).toEqual(['2026-11-23T17:00', '2026-11-27T17:00', '2026-11-30T17:00', '2026-12-04T17:00']);
  });

  it('starts a weekly series at the first matching day on or after DTSTART', () => {
    expect(run('2026-11-24T06:00:00', 'FREQ=WEEKLY;BYDAY=MO,WE;COUNT=2')).toEqual(['2026-11-25T06:00', '2026-11-30T06:00']);
  });

  it('honours INTERVAL in weeks', () => {
    expect(run('2026-11-23T06:00:00', 'FREQ=WEEKLY;INTERVAL=2;COUNT=3')).toEqual(['2026-11-23T06:00', '2026-12-07T06:00', '2026-12-21T06:00']);
  });

  it('skips months without day 31 and finds month ends with BYMONTHDAY=-1 across February', () => {
    expect(run('2027-01-31T07:00:00', 'FREQ=MONTHLY;BYMONTHDAY=31;COUNT=4')).toEqual(['2027-01-31T07:00', '2027-03-31T07:00', '2027-05-31T07:00', '2027-07-31T07:00']);
    expect(run('2027-01-31T07:00:00', 'FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=4')).toEqual(['2027-01-31T07:00', '2027-02-28T07:00', '2027-03-31T07:00', '2027-04-30T07:00']);
    expect(run('2028-01-31T07:00:00', 'FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=2')).toEqual(['2028-01-31T07:00', '2028-02-29T07:00']);
  });

  it('expands MONTHLY by ordinal weekday (last Friday)', () => {
    expect(run('2026-11-27T19:00:00', 'FREQ=MONTHLY;BYDAY=-1FR;COUNT=3')).toEqual(['2026-11-27T19:00', '2026-12-25T19:00', '2027-01-29T19:00']);
  });

  it('stops at UNTIL (inclusive), given as UTC or as a local date', () => {
    expect(run('2026-11-23T06:30:00', 'FREQ=DAILY;UNTIL=20261125T000000Z')).toEqual(['2026-11-23T06:30', '2026-11-24T06:30', '2026-11-25T06:30']);
    expect(run('2026-11-23T06:30:00', 'FREQ=DAILY;UNTIL=20261124')).toEqual(['2026-11-23T06:30', '2026-11-24T06:30']);
    expect(run('2026-11-23T06:30:00', 'FREQ=DAILY;UNTIL=20261124T063000')).toEqual(['2026-11-23T06:30', '2026-11-24T06:30']);
  });

  it('expands BYHOUR for several bulletins a day', () => {
    expect(run('2026-11-23T06:00:00', 'FREQ=DAILY;BYHOUR=6,17;COUNT=3')).toEqual(['2026-11-23T06:00', '2026-11-23T17:00', '2026-11-24T06:00']);
  });

  it('keeps the wall-clock time fixed across a DST change in the chosen zone', () => {
    // Paris leaves summer time on 2026-10-25: 08:00 local is 06:00Z before and 07:00Z after.
    const out = run('2026-10-24T06:00:00Z', 'FREQ=DAILY;COUNT=3', [], 'Europe/Paris');
    expect(out).toEqual(['2026-10-24T06:00:00.000Z', '2026-10-25T07:00:00.000Z', '2026-10-26T07:00:00.000Z']);
    for (const t of out) expect(localParts(Date.parse(t), 'Europe/Paris')).toMatchObject({ hh: 8, mm: 0 });
  });

  it('returns only the window asked for, still counting COUNT from DTSTART', () => {
    const from = vn('2026-11-25T00:00:00');
    expect(run('2026-11-23T06:30:00', 'FREQ=DAILY;COUNT=4', [], HCM, from)).toEqual(['2026-11-25T06:30', '2026-11-26T06:30']);
  });

  it.each([
    ['FREQ=HOURLY', /not supported/],
    ['FREQ=DAILY;COUNT=2;UNTIL=20270101', /COUNT and UNTIL/],
    ['FREQ=WEEKLY;BYDAY=XX', /BYDAY/],
    ['FREQ=MONTHLY;BYMONTHDAY=32', /out of range/],
    ['FREQ=DAILY;BYSETPOS=1', /BYSETPOS is not supported/],
    ['COUNT=3', /FREQ is required/],
  ])('refuses %s', (rule, message) => {
    expect(() => parseRule(rule, HCM)).toThrow(RecurrenceError);
    expect(() => parseRule(rule, HCM)).toThrow(message);
  });

  it('converts local wall time in Hanoi to UTC', () => {
    expect(new Date(zonedToUtc(2026, 11, 23, 6, 30, 0, HCM)).toISOString()).toBe('2026-11-22T23:30:00.000Z');
  });
});

describe('several times of day (issue 19)', () => {
  const runTimes = (dtstart: string, rrule: string | null, times: string[], opts: { exdates?: Array<number | string>; rdates?: number[]; zone?: string; from?: number } = {}) => {
    const zone = opts.zone ?? HCM;
    const spec = { dtstart: zone === HCM ? vn(dtstart) : Date.parse(dtstart), rrule, exdates: opts.exdates ?? [], timezone: zone, times, rdates: opts.rdates ?? [] };
    return expand(spec, opts.from ?? 0, FAR).map((t) => (zone === HCM ? isoVn(t) : new Date(t).toISOString()));
  };

  it('gives a one-off each of its times on its day', () => {
    expect(runTimes('2026-11-23T06:00:00', null, ['17:00', '06:00'])).toEqual(['2026-11-23T06:00', '2026-11-23T17:00']);
  });

  it('gives every selected day each time, in order, and counts each towards COUNT', () => {
    expect(runTimes('2026-11-23T06:00:00', 'FREQ=DAILY;COUNT=3', ['06:00', '17:00'])).toEqual(['2026-11-23T06:00', '2026-11-23T17:00', '2026-11-24T06:00']);
    expect(runTimes('2026-11-23T06:00:00', 'FREQ=WEEKLY;BYDAY=MO,WE;COUNT=4', ['06:00', '17:30'])).toEqual([
      '2026-11-23T06:00',
      '2026-11-23T17:30',
      '2026-11-25T06:00',
      '2026-11-25T17:30',
    ]);
  });

  it('skips times before DTSTART on its first day and honours exception dates per instant or per day', () => {
    expect(runTimes('2026-11-23T12:00:00', 'FREQ=DAILY;COUNT=3', ['06:00', '17:00'])).toEqual(['2026-11-23T17:00', '2026-11-24T06:00', '2026-11-24T17:00']);
    expect(runTimes('2026-11-23T06:00:00', 'FREQ=DAILY;COUNT=4', ['06:00', '17:00'], { exdates: [vn('2026-11-23T17:00:00')] })).toEqual(['2026-11-23T06:00', '2026-11-24T06:00', '2026-11-24T17:00']);
    expect(runTimes('2026-11-23T06:00:00', 'FREQ=DAILY;COUNT=4', ['06:00', '17:00'], { exdates: ['2026-11-23'] })).toEqual(['2026-11-24T06:00', '2026-11-24T17:00']);
  });

  it('keeps each local time across a DST change in the schedule zone', () => {
    // Paris leaves summer time on 2026-10-25: 06:00 and 17:00 local move by an hour in UTC.
    const out = runTimes('2026-10-24T04:00:00Z', 'FREQ=DAILY;COUNT=4', ['06:00', '17:00'], { zone: 'Europe/Paris' });
    expect(out).toEqual(['2026-10-24T04:00:00.000Z', '2026-10-24T15:00:00.000Z', '2026-10-25T05:00:00.000Z', '2026-10-25T16:00:00.000Z']);
    for (const t of out) expect([6, 17]).toContain(localParts(Date.parse(t), 'Europe/Paris').hh);
  });

  it('stays on +07:00 in Asia/Ho_Chi_Minh whatever the season', () => {
    const out = runTimes('2027-03-27T06:00:00', 'FREQ=DAILY;COUNT=4', ['06:00', '17:00']);
    expect(out).toEqual(['2027-03-27T06:00', '2027-03-27T17:00', '2027-03-28T06:00', '2027-03-28T17:00']);
  });

  it('adds RDATEs (a moved occurrence) outside COUNT, in order, unless excluded', () => {
    const moved = vn('2026-11-23T09:15:00');
    expect(runTimes('2026-11-23T06:00:00', 'FREQ=DAILY;COUNT=2', ['06:00', '17:00'], { exdates: [vn('2026-11-23T06:00:00')], rdates: [moved] })).toEqual(['2026-11-23T09:15', '2026-11-23T17:00']);
    expect(runTimes('2026-11-23T06:00:00', null, [], { rdates: [moved], exdates: ['2026-11-23'] })).toEqual([]);
  });

  it('refuses a malformed time and times together with BYHOUR', () => {
    expect(() => parseTimesOfDay(['6:00'])).toThrow(RecurrenceError);
    expect(() => parseTimesOfDay(['24:00'])).toThrow(/HH:MM/);
    expect(normaliseTimesOfDay(['17:00', '06:00', '17:00'])).toEqual(['06:00', '17:00']);
    expect(() => validateSpec({ dtstart: vn('2026-11-23T06:00:00'), rrule: 'FREQ=DAILY;BYHOUR=6', exdates: [], timezone: HCM, times: ['06:00', '17:00'] })).toThrow(/BYHOUR/);
  });
});
