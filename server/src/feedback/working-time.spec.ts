import { WorkingCalendar, normalizePeriods, type WorkingTimeRules } from './working-time.js';

const ZONE = 'Asia/Ho_Chi_Minh';
const H = 3_600_000;
/** An instant given as Vietnam wall-clock time. */
const vn = (s: string): number => Date.parse(`${s}:00+07:00`);
const iso = (ms: number): string => new Date(ms + 7 * H).toISOString().slice(0, 16).replace('T', ' ');
const rules = (over: Partial<WorkingTimeRules> = {}): WorkingTimeRules => ({
  days: [1, 2, 3, 4, 5],
  periods: [
    ['07:30', '11:30'],
    ['13:30', '17:00'],
  ],
  builtIn: true,
  extra: [],
  workdays: [],
  zone: ZONE,
  ...over,
});

describe(WorkingCalendar.name, () => {
  const sut = new WorkingCalendar(rules());

  describe('addWorkingMs', () => {
    it('counts within a period and across the lunch break', () => {
      expect(iso(sut.addWorkingMs(vn('2026-03-03T08:00'), 2 * H))).toBe('2026-03-03 10:00');
      expect(iso(sut.addWorkingMs(vn('2026-03-03T10:30'), 2 * H))).toBe('2026-03-03 14:30');
    });

    it('starts the clock at the next period when received outside working time', () => {
      expect(iso(sut.addWorkingMs(vn('2026-03-03T12:00'), 1 * H))).toBe('2026-03-03 14:30');
      expect(iso(sut.addWorkingMs(vn('2026-03-03T20:00'), 1 * H))).toBe('2026-03-04 08:30');
      expect(iso(sut.addWorkingMs(vn('2026-03-03T05:00'), 1 * H))).toBe('2026-03-03 08:30');
    });

    it('leaves a deadline landing exactly at a period end there', () => {
      expect(iso(sut.addWorkingMs(vn('2026-03-03T07:30'), 4 * H))).toBe('2026-03-03 11:30');
      expect(iso(sut.addWorkingMs(vn('2026-03-03T07:30'), 7.5 * H))).toBe('2026-03-03 17:00');
    });

    it('crosses a weekend: received Friday 16:30, 8 working hours → Monday 17:00', () => {
      expect(iso(sut.addWorkingMs(vn('2026-03-06T16:30'), 8 * H))).toBe('2026-03-09 17:00');
      expect(iso(sut.addWorkingMs(vn('2026-03-06T16:30'), 8.5 * H))).toBe('2026-03-10 08:00');
    });

    it('skips Tết 2026 (16–20 February) and the weekends around it', () => {
      expect(iso(sut.addWorkingMs(vn('2026-02-13T16:30'), 8 * H))).toBe('2026-02-23 17:00');
    });

    it('skips a compensation day: Giỗ Tổ 2026 on Sunday 26/4 gives Monday 27/4 off', () => {
      expect(iso(sut.addWorkingMs(vn('2026-04-24T16:00'), 2 * H))).toBe('2026-04-28 08:30');
    });

    it('counts a make-up workday and skips an extra day off', () => {
      const withSaturday = new WorkingCalendar(rules({ workdays: ['2026-03-07'] }));
      expect(iso(withSaturday.addWorkingMs(vn('2026-03-06T16:30'), 8 * H))).toBe('2026-03-07 17:00');
      const withExtra = new WorkingCalendar(rules({ extra: ['2026-03-09'] }));
      expect(iso(withExtra.addWorkingMs(vn('2026-03-06T16:30'), 8 * H))).toBe('2026-03-10 17:00');
    });

    it('turns the statutory holidays off with builtIn: false', () => {
      const none = new WorkingCalendar(rules({ builtIn: false }));
      expect(iso(none.addWorkingMs(vn('2026-02-13T16:30'), 8 * H))).toBe('2026-02-16 17:00');
    });

    it('returns the start for no time at all', () => {
      expect(sut.addWorkingMs(vn('2026-03-07T10:00'), 0)).toBe(vn('2026-03-07T10:00'));
    });

    it('reaches a long limit (240 working hours = 32 working days) over Tết', () => {
      const due = sut.addWorkingMs(vn('2026-02-02T07:30'), 240 * H);
      expect(sut.workingMsBetween(vn('2026-02-02T07:30'), due)).toBe(240 * H);
      expect(iso(due)).toBe('2026-03-24 17:00'); // 10 days before Tết, 22 after
    });
  });

  describe('workingMsBetween', () => {
    it('counts only working time and is the inverse of addWorkingMs', () => {
      expect(sut.workingMsBetween(vn('2026-03-06T16:30'), vn('2026-03-09T17:00'))).toBe(8 * H);
      expect(sut.workingMsBetween(vn('2026-03-07T08:00'), vn('2026-03-08T20:00'))).toBe(0);
      expect(sut.workingMsBetween(vn('2026-03-03T12:00'), vn('2026-03-03T13:00'))).toBe(0);
      expect(sut.workingMsBetween(vn('2026-03-03T09:00'), vn('2026-03-03T08:00'))).toBe(0);
      for (const start of [vn('2026-02-13T16:30'), vn('2026-03-03T12:15'), vn('2026-04-24T23:59')]) {
        for (const hours of [0.25, 3, 7.5, 13, 80]) expect(sut.workingMsBetween(start, sut.addWorkingMs(start, hours * H))).toBe(hours * H);
      }
    });
  });

  describe('isWorkingDay and days', () => {
    it('names holidays and tells working days', () => {
      expect(sut.isWorkingDay('2026-02-13')).toBe(true);
      expect(sut.isWorkingDay('2026-02-14')).toBe(false);
      expect(sut.isWorkingDay('2026-02-17')).toBe(false);
      expect(sut.holidayName('2026-02-17')).toBe('Tết Nguyên đán (mùng 1 tháng Giêng)');
      expect(sut.holidayName('2026-02-14')).toBeNull();
      const days = sut.days('2026-02-15', '2026-02-23');
      expect(days.map((d) => d.working)).toEqual([false, false, false, false, false, false, false, false, true]);
      expect(days.filter((d) => d.holiday !== null)).toHaveLength(5);
    });

    it('makes a workday win over a holiday (the Government moved it)', () => {
      const moved = new WorkingCalendar(rules({ workdays: ['2026-02-20'], extra: ['2026-02-23'] }));
      expect(moved.isWorkingDay('2026-02-20')).toBe(true);
      expect(moved.isWorkingDay('2026-02-23')).toBe(false);
      expect(moved.holidayName('2026-02-23')).toBe('Ngày nghỉ bổ sung (theo quyết định)');
    });
  });

  it('is fast enough for list views: 10,000 deadlines over a year in well under a second', () => {
    const cal = new WorkingCalendar(rules());
    const start = vn('2026-01-01T00:00');
    const t0 = performance.now();
    let last = 0;
    for (let i = 0; i < 10_000; i++) last = cal.addWorkingMs(start + i * 3_153_600, 80 * H);
    expect(last).toBeGreaterThan(start);
    // Not a timed assertion of the code's speed to the millisecond: a guard against an accidental per-call rebuild.
    expect(performance.now() - t0).toBeLessThan(5_000);
  });

  it('follows a zone with daylight saving time (periods are wall-clock time)', () => {
    const paris = new WorkingCalendar(rules({ zone: 'Europe/Paris', builtIn: false }));
    // Friday 27 March 2026 16:30 CET, 1 h → Monday 30 March 08:00 CEST (the clocks went forward on Sunday).
    expect(paris.addWorkingMs(Date.parse('2026-03-27T16:30:00+01:00'), 1 * H)).toBe(Date.parse('2026-03-30T08:00:00+02:00'));
  });
});

describe(normalizePeriods.name, () => {
  it('drops backward periods and merges overlapping ones', () => {
    expect(normalizePeriods([['13:00', '17:00'], ['08:00', '12:00'], ['11:00', '12:30'], ['18:00', '17:00']])).toEqual([[480, 750], [780, 1020]]);
  });
});
