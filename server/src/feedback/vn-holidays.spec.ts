import { dayNumber, isoOfDay, isoWeekday, lunarToDay, statutoryHolidays, tetOf, vnHolidays } from './vn-holidays.js';

const MON_FRI = [1, 2, 3, 4, 5];
const dates = (list: Array<{ date: string }>): string[] => list.map((h) => h.date);

describe('lunar calendar (Hồ Ngọc Đức, UTC+7)', () => {
  it.each([
    [2020, '2020-01-25'],
    [2023, '2023-01-22'],
    [2024, '2024-02-10'],
    [2025, '2025-01-29'],
    [2026, '2026-02-17'],
    [2027, '2027-02-06'],
  ])('Tết %i is %s', (year, date) => {
    expect(tetOf(year)).toBe(date);
  });

  it('reckons on Vietnam’s zone: Tết 1985 was 21 January in Vietnam (20 February in China)', () => {
    expect(tetOf(1985)).toBe('1985-01-21');
  });

  it.each([
    [2024, '2024-04-18'],
    [2025, '2025-04-07'],
    [2026, '2026-04-26'],
  ])('Giỗ Tổ Hùng Vương (10/3 lunar) %i is %s', (year, date) => {
    expect(isoOfDay(lunarToDay(10, 3, year)!)).toBe(date);
  });

  it('handles leap months: 2023 had a leap 2nd month (nhuận tháng 2), 2025 a leap 6th month', () => {
    expect(isoOfDay(lunarToDay(1, 2, 2023, true)!)).toBe('2023-03-22');
    expect(isoOfDay(lunarToDay(1, 3, 2023)!)).toBe('2023-04-20');
    expect(isoOfDay(lunarToDay(1, 6, 2025, true)!)).toBe('2025-07-25');
    expect(lunarToDay(1, 5, 2025, true)).toBeNull();
    expect(lunarToDay(1, 2, 2024, true)).toBeNull();
  });
});

describe('day numbers', () => {
  it('round-trips dates and names weekdays ISO-style', () => {
    expect(isoOfDay(dayNumber('2026-02-13'))).toBe('2026-02-13');
    expect(isoWeekday(dayNumber('2026-02-13'))).toBe(5); // Friday
    expect(isoWeekday(dayNumber('2026-02-15'))).toBe(7); // Sunday
    expect(isoWeekday(dayNumber('1969-12-29'))).toBe(1); // before the epoch too
  });
});

describe(statutoryHolidays.name, () => {
  it('lists the eleven days of art. 112 for 2026 with Vietnamese names', () => {
    const h = statutoryHolidays(2026);
    expect(dates(h)).toEqual(['2026-01-01', '2026-02-16', '2026-02-17', '2026-02-18', '2026-02-19', '2026-02-20', '2026-04-26', '2026-04-30', '2026-05-01', '2026-09-01', '2026-09-02']);
    expect(h.find((d) => d.date === '2026-02-16')!.name).toBe('Tết Nguyên đán (ngày cuối năm Âm lịch)');
    expect(h.find((d) => d.date === '2026-02-17')!.name).toBe('Tết Nguyên đán (mùng 1 tháng Giêng)');
    expect(h.find((d) => d.date === '2026-04-26')!.name).toMatch(/^Giỗ Tổ Hùng Vương/);
  });

  it.each([
    // The Prime Minister's choices of 2021–2025, which the rule reproduces.
    [2021, '2021-09-03'],
    [2022, '2022-09-01'],
    [2023, '2023-09-01'],
    [2024, '2024-09-03'],
    [2025, '2025-09-01'],
  ])('puts the day beside 2/9 of %i on %s', (year, date) => {
    const side = statutoryHolidays(year).filter((d) => d.name.includes('liền kề'));
    expect(dates(side)).toEqual([date]);
  });

  it('has one National Day before 2021 (Labour Code 2012)', () => {
    expect(statutoryHolidays(2020).filter((d) => d.name.startsWith('Quốc khánh'))).toHaveLength(1);
  });
});

describe(vnHolidays.name, () => {
  it('gives the next working day off for a holiday on a weekly day off (art. 112(3))', () => {
    // Giỗ Tổ 2026 is a Sunday: Monday 27/4 off.
    const h = vnHolidays(2026, MON_FRI);
    expect(h.find((d) => d.date === '2026-04-27')!.name).toBe('Nghỉ bù Giỗ Tổ Hùng Vương (10/3 Âm lịch)');
    expect(h).toHaveLength(12);
  });

  it('moves several compensation days past the holiday block and past each other (Tết 2024: Sat 10 and Sun 11 Feb)', () => {
    const h = vnHolidays(2024, MON_FRI);
    expect(dates(h.filter((d) => d.name.startsWith('Nghỉ bù')))).toEqual(['2024-02-14', '2024-02-15']);
  });

  it('counts with the office’s own week: working Saturdays leave only Sunday holidays compensated', () => {
    const h = vnHolidays(2024, [1, 2, 3, 4, 5, 6]);
    expect(h.filter((d) => d.name.startsWith('Nghỉ bù')).map((d) => [d.date, d.name])).toEqual([['2024-02-14', 'Nghỉ bù Tết Nguyên đán (mùng 2 tháng Giêng)']]);
  });
});
