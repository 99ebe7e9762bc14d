import { applyMask, instantToVn, parseDmy, parseHm, vnToInstant } from '../src/components/date-time-field.js';
import { fmtDate, fmtDateTime, fmtDay, fmtTime } from '../src/format.js';

/**
 * Issue 19 item 11: the dashboard's pickers and dates are Vietnam time in dd/mm/yyyy HH:mm whatever the machine's
 * zone and locale (the browser test runs Chromium in New York with en-US; these check the pure parts).
 */
describe('date/time field parsing', () => {
  it.each<[string, 'date' | 'time' | 'datetime', string]>([
    ['05122026', 'date', '05/12/2026'],
    ['0512', 'date', '05/12'],
    ['05/12/', 'date', '05/12'],
    ['051220260630', 'datetime', '05/12/2026 06:30'],
    ['05/12/2026 0630', 'datetime', '05/12/2026 06:30'],
    ['2026-12-05T06:30', 'datetime', '05/12/2026 06:30'],
    ['2026-12-05', 'date', '05/12/2026'],
    ['0630', 'time', '06:30'],
    ['06:3', 'time', '06:3'],
    ['9999999999999999', 'datetime', '99/99/9999 99:99'],
  ])('masks %j as a %s → %j', (raw, kind, shown) => expect(applyMask(raw, kind)).toBe(shown));

  it('accepts only real calendar days and 24 h times', () => {
    expect(parseDmy('29/02/2028')).toEqual({ y: 2028, m: 2, d: 29 });
    expect(parseDmy('29/02/2027')).toBeNull();
    expect(parseDmy('31/04/2026')).toBeNull();
    expect(parseDmy('12/13/2026')).toBeNull();
    expect(parseHm('23:59')).toBe('23:59');
    expect(parseHm('7:05')).toBe('07:05');
    expect(parseHm('24:00')).toBeNull();
    expect(parseHm('11:60')).toBeNull();
  });

  it('converts between instants and Vietnam wall-clock time (+07:00, no daylight saving)', () => {
    expect(vnToInstant({ y: 2026, m: 12, d: 31 }, '23:45')).toBe('2026-12-31T23:45:00+07:00');
    expect(Date.parse(vnToInstant({ y: 2026, m: 12, d: 31 }, '23:45'))).toBe(Date.UTC(2026, 11, 31, 16, 45));
    expect(instantToVn('2026-12-31T17:30:00Z')).toEqual({ ymd: { y: 2027, m: 1, d: 1 }, hm: '00:30' });
    expect(instantToVn('2026-07-01T06:30:00-04:00')).toEqual({ ymd: { y: 2026, m: 7, d: 1 }, hm: '17:30' });
  });
});

describe('dates shown everywhere', () => {
  it('formats in Asia/Ho_Chi_Minh with fixed dd/mm/yyyy HH:mm', () => {
    expect(fmtDateTime('2026-12-31T17:30:00Z')).toBe('01/01/2027 00:30');
    expect(fmtDateTime(Date.UTC(2026, 5, 1, 23, 5))).toBe('02/06/2026 06:05');
    expect(fmtTime('2026-12-31T17:30:00Z')).toBe('00:30');
    expect(fmtDay('2026-12-31T17:30:00Z')).toBe('01/01/2027');
    expect(fmtDate('2026-12-31T17:30:00Z')).toBe('T6 01/01');
    expect(fmtDateTime(null)).toBe('—');
    expect(fmtDateTime('not a date')).toBe('—');
  });
});
