/**
 * Vietnamese public holidays (Labour Code 2019, art. 112) and the lunar calendar they need. Pure: no clock, no zone
 * (dates are calendar dates, "YYYY-MM-DD"; the lunar calendar is Vietnam's, computed at UTC+7).
 *
 * The lunar conversion is Hồ Ngọc Đức's algorithm ("Âm lịch Việt Nam", public domain): new moons and the sun's
 * longitude from Meeus's series, month 11 holding the winter solstice, a leap month being the first without a major
 * solar term. Accurate for 1900–2100, which is all a feedback clock needs.
 */

/** Days since 1970-01-01 (UTC, proleptic Gregorian) ↔ ISO date. */
export const dayNumber = (iso: string): number => Date.UTC(Number(iso.slice(0, 4)), Number(iso.slice(5, 7)) - 1, Number(iso.slice(8, 10))) / 86_400_000;
export const isoOfDay = (n: number): string => new Date(n * 86_400_000).toISOString().slice(0, 10);
/** ISO weekday of a day number: 1 = Monday … 7 = Sunday (1970-01-01 was a Thursday). */
export const isoWeekday = (n: number): number => ((((n + 3) % 7) + 7) % 7) + 1;

// ---- Hồ Ngọc Đức's lunar calendar --------------------------------------------------------------------------------

/** Vietnam's lunar calendar is reckoned on UTC+7 (China's on UTC+8: the two differ in some years, e.g. Tết 1985). */
const VN_ZONE_HOURS = 7;
/** Julian day number of 1970-01-01. */
const JD_EPOCH = 2440588;
const INT = Math.floor;
const DR = Math.PI / 180;

/** The day (Julian day number, local midnight) of the k-th new moon after 1900-01-01. */
function newMoonDay(k: number): number {
  const T = k / 1236.85;
  const T2 = T * T;
  const T3 = T2 * T;
  let jd1 = 2415020.75933 + 29.53058868 * k + 0.0001178 * T2 - 0.000000155 * T3;
  jd1 += 0.00033 * Math.sin((166.56 + 132.87 * T - 0.009173 * T2) * DR);
  const M = 359.2242 + 29.10535608 * k - 0.0000333 * T2 - 0.00000347 * T3;
  const Mpr = 306.0253 + 385.81691806 * k + 0.0107306 * T2 + 0.00001236 * T3;
  const F = 21.2964 + 390.67050646 * k - 0.0016528 * T2 - 0.00000239 * T3;
  let c1 = (0.1734 - 0.000393 * T) * Math.sin(M * DR) + 0.0021 * Math.sin(2 * DR * M);
  c1 = c1 - 0.4068 * Math.sin(Mpr * DR) + 0.0161 * Math.sin(DR * 2 * Mpr);
  c1 -= 0.0004 * Math.sin(DR * 3 * Mpr);
  c1 = c1 + 0.0104 * Math.sin(DR * 2 * F) - 0.0051 * Math.sin(DR * (M + Mpr));
  c1 = c1 - 0.0074 * Math.sin(DR * (M - Mpr)) + 0.0004 * Math.sin(DR * (2 * F + M));
  c1 = c1 - 0.0004 * Math.sin(DR * (2 * F - M)) - 0.0006 * Math.sin(DR * (2 * F + Mpr));
  c1 = c1 + 0.001 * Math.sin(DR * (2 * F - Mpr)) + 0.0005 * Math.sin(DR * (2 * Mpr + M));
  const deltaT = T < -11 ? 0.001 + 0.000839 * T + 0.0002261 * T2 - 0.00000845 * T3 - 0.000000081 * T * T3 : -0.000278 + 0.000265 * T + 0.000262 * T2;
  return INT(jd1 + c1 - deltaT + 0.5 + VN_ZONE_HOURS / 24);
}

/** The sun's longitude at the local midnight starting day `jdn`, as the index (0–11) of the 30° sector it is in. */
function sunLongitudeSector(jdn: number): number {
  const T = (jdn - 2451545.5 - VN_ZONE_HOURS / 24) / 36525;
  const T2 = T * T;
  const M = 357.5291 + 35999.0503 * T - 0.0001559 * T2 - 0.00000048 * T * T2;
  const L0 = 280.46645 + 36000.76983 * T + 0.0003032 * T2;
  let DL = (1.9146 - 0.004817 * T - 0.000014 * T2) * Math.sin(DR * M);
  DL = DL + (0.019993 - 0.000101 * T) * Math.sin(DR * 2 * M) + 0.00029 * Math.sin(DR * 3 * M);
  let L = (L0 + DL) * DR;
  L -= Math.PI * 2 * INT(L / (Math.PI * 2));
  return INT((L / Math.PI) * 6);
}

/** Julian day number of Gregorian y-m-d. */
const jdOf = (y: number, m: number, d: number): number => Date.UTC(y, m - 1, d) / 86_400_000 + JD_EPOCH;

/** The first day of lunar month 11 (the month holding the winter solstice) of Gregorian year `y`. */
function lunarMonth11(y: number): number {
  const off = jdOf(y, 12, 31) - 2415021;
  const k = INT(off / 29.530588853);
  const nm = newMoonDay(k);
  return sunLongitudeSector(nm) >= 9 ? newMoonDay(k - 1) : nm;
}

/** Offset, from month 11, of the leap month of a 13-month lunar year starting at `a11`. */
function leapMonthOffset(a11: number): number {
  const k = INT((a11 - 2415021.076998695) / 29.530588853 + 0.5);
  let i = 1;
  let arc = sunLongitudeSector(newMoonDay(k + i));
  let last: number;
  do {
    last = arc;
    i++;
    arc = sunLongitudeSector(newMoonDay(k + i));
  } while (arc !== last && i < 14);
  return i - 1;
}

/**
 * The Gregorian date (day number since 1970-01-01) of lunar day/month of lunar year `lunarYear` (the lunar year whose
 * first month starts in Gregorian year `lunarYear`); `leap` for the leap month of that number. Null for a leap month
 * the year does not have.
 */
export function lunarToDay(lunarDay: number, lunarMonth: number, lunarYear: number, leap = false): number | null {
  const [a11, b11] = lunarMonth < 11 ? [lunarMonth11(lunarYear - 1), lunarMonth11(lunarYear)] : [lunarMonth11(lunarYear), lunarMonth11(lunarYear + 1)];
  const k = INT(0.5 + (a11 - 2415021.076998695) / 29.530588853);
  let off = lunarMonth - 11;
  if (off < 0) off += 12;
  if (b11 - a11 > 365) {
    const leapOff = leapMonthOffset(a11);
    let leapMonth = leapOff - 2;
    if (leapMonth < 0) leapMonth += 12;
    if (leap && lunarMonth !== leapMonth) return null;
    if (leap || off >= leapOff) off += 1;
  } else if (leap) {
    return null;
  }
  return newMoonDay(k + off) + lunarDay - 1 - JD_EPOCH;
}

/** Tết Nguyên đán (1st day of the 1st lunar month) of Gregorian year `y`, as an ISO date. */
export const tetOf = (y: number): string => isoOfDay(lunarToDay(1, 1, y)!);

// ---- Holidays ----------------------------------------------------------------------------------------------------

export interface Holiday {
  date: string;
  name: string;
}

const TET = 'Tết Nguyên đán';
const NATIONAL_DAY = 'Quốc khánh';

/**
 * The day beside 2/9 (art. 112(1)(đ), from 2021) is chosen by the Prime Minister each year; this rule keeps the two
 * days next to a weekend, which is what the decisions of 2021–2025 did (Thu → 3/9, Fri → 1/9, Sat → 1/9, Mon → 3/9,
 * Tue → 1/9). Wednesday and Sunday have no precedent yet: the day before for Wednesday, Monday for Sunday. The
 * settings' `extra` and `workdays` correct a year decided otherwise.
 */
const NATIONAL_DAY_SIDE: Readonly<Record<number, -1 | 1>> = { 1: 1, 2: -1, 3: -1, 4: 1, 5: -1, 6: -1, 7: 1 };

/** The statutory days off of year `y`, without compensation days, in date order. */
export function statutoryHolidays(y: number): Holiday[] {
  const day = (m: number, d: number): number => Date.UTC(y, m - 1, d) / 86_400_000;
  const out: Array<{ n: number; name: string }> = [{ n: day(1, 1), name: 'Tết Dương lịch' }];
  const tet = lunarToDay(1, 1, y)!;
  out.push({ n: tet - 1, name: `${TET} (ngày cuối năm Âm lịch)` });
  for (let i = 0; i < 4; i++) out.push({ n: tet + i, name: `${TET} (mùng ${i + 1} tháng Giêng)` });
  out.push({ n: lunarToDay(10, 3, y)!, name: 'Giỗ Tổ Hùng Vương (10/3 Âm lịch)' });
  out.push({ n: day(4, 30), name: 'Ngày Chiến thắng (30/4)' });
  out.push({ n: day(5, 1), name: 'Ngày Quốc tế Lao động (1/5)' });
  const nd = day(9, 2);
  out.push({ n: nd, name: `${NATIONAL_DAY} (2/9)` });
  if (y >= 2021) out.push({ n: nd + NATIONAL_DAY_SIDE[isoWeekday(nd)]!, name: `${NATIONAL_DAY} (ngày liền kề 2/9)` });
  return out.sort((a, b) => a.n - b.n).map(({ n, name }) => ({ date: isoOfDay(n), name }));
}

/**
 * Statutory days off of year `y` with the compensation days of art. 112(3): a holiday on a weekly day off (a weekday
 * not in `workingWeekdays`) gives the next working day that is not a holiday itself. Compensation days may fall in the
 * next year (a holiday on 31/12 never does: none is that late), so this looks at holidays of `y` only.
 */
export function vnHolidays(y: number, workingWeekdays: readonly number[]): Holiday[] {
  const working = new Set(workingWeekdays);
  const base = statutoryHolidays(y);
  const taken = new Set(base.map((h) => dayNumber(h.date)));
  const out = [...base];
  if (working.size === 0) return out;
  for (const h of base) {
    const n = dayNumber(h.date);
    if (working.has(isoWeekday(n))) continue;
    let c = n + 1;
    while (!working.has(isoWeekday(c)) || taken.has(c)) c++;
    taken.add(c);
    out.push({ date: isoOfDay(c), name: `Nghỉ bù ${h.name}` });
  }
  return out.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}
