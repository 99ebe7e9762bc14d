import { expand } from '@loa/shared/recurrence';
import { buildRrule, expandStarts, parseRrule } from '../src/pages/schedule-common.js';
import { diffObjects } from '../src/pages/audit.js';

/**
 * The calendar draws pending schedules (which have no stored occurrences yet) and planned weeks beyond the server's
 * horizon from the RRULE in the browser, with the server's own expander. What it draws must be what the server will
 * play: the view's fields (ISO start, exdates as instants or local dates, the zone) must reach the expander exactly as
 * the server passes them from its records, to the millisecond.
 */
describe('calendar recurrence (dashboard) against the server', () => {
  const zone = 'Asia/Ho_Chi_Minh';
  const dtstart = Date.parse('2026-11-23T06:30:00+07:00'); // a Monday
  const from = Date.parse('2026-11-20T00:00:00+07:00');
  const to = Date.parse('2027-02-28T00:00:00+07:00');
  const rules = [
    null,
    'FREQ=DAILY',
    'FREQ=DAILY;INTERVAL=3;COUNT=10',
    'FREQ=WEEKLY;BYDAY=MO,WE,FR',
    'FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,SA;UNTIL=20270115',
    'FREQ=MONTHLY;BYMONTHDAY=1,15',
    'FREQ=MONTHLY;BYMONTHDAY=-1',
    'FREQ=MONTHLY;BYDAY=1MO',
    'FREQ=MONTHLY;BYDAY=-1FR;COUNT=3',
  ];

  it.each(rules)('%s gives the same starts in the browser and on the server', (rrule) => {
    const exdates = ['2026-11-25', '2026-12-07T06:30:00+07:00'];
    const server = expand({ dtstart, rrule, exdates: exdates.map((e) => (e.length === 10 ? e : Date.parse(e))), timezone: zone }, from, to);
    const browser = expandStarts({ startAt: new Date(dtstart).toISOString(), rrule, exdates, timezone: zone }, from, to);
    expect(server.length).toBeGreaterThan(0);
    expect(browser).toEqual(server);
  });

  it('reads wall-clock times on the schedule\'s zone and drops excluded days', () => {
    const starts = expandStarts({ startAt: '2026-11-23T06:30:00+07:00', rrule: 'FREQ=WEEKLY;BYDAY=MO,WE,FR;COUNT=4', exdates: ['2026-11-25'], timezone: zone }, from, to);
    expect(starts.map((t) => new Date(t).toISOString())).toEqual(['2026-11-22T23:30:00.000Z', '2026-11-26T23:30:00.000Z', '2026-11-29T23:30:00.000Z']);
  });

  it('draws nothing for a rule the server refuses', () => {
    expect(expandStarts({ startAt: '2026-11-23T06:30:00+07:00', rrule: 'FREQ=HOURLY', exdates: [], timezone: zone }, from, to)).toEqual([]);
  });

  it('rebuilds the rule the editor parsed, keeping parts it does not edit', () => {
    for (const r of ['FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH;COUNT=8', 'FREQ=MONTHLY;BYDAY=-1FR;UNTIL=20270630', 'FREQ=DAILY;BYHOUR=6,18']) {
      const rebuilt = buildRrule(parseRrule(r));
      expect(rebuilt?.split(';').sort()).toEqual(r.split(';').sort());
    }
    expect(buildRrule(parseRrule(null))).toBeNull();
  });
});

describe('audit before/after diff', () => {
  it('lists every key once and marks only the changed ones', () => {
    const rows = diffObjects({ name: 'Cụm loa A', tags: ['x'], areaCode: '01' }, { name: 'Cụm loa B', tags: ['x'], profileId: 'p1' });
    expect(rows.map((r) => [r.key, r.changed])).toEqual([
      ['name', true],
      ['tags', false],
      ['areaCode', true],
      ['profileId', true],
    ]);
    expect(diffObjects(null, { a: 1 })).toEqual([{ key: 'a', before: undefined, after: 1, changed: true }]);
  });
});
