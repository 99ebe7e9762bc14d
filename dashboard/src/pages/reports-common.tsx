import type { CoverageFigures, CoverageReport, CoverageRow } from '@loa/shared/rest';
import { getLang, defineStrings } from '../i18n.js';
import type { Route } from '../router.js';

/**
 * What the Reports pages share: the period and filters as they sit in the URL (so a link, a reload and the print
 * view all show the same report), how they become API queries, and how figures are written.
 */

export type PeriodKind = 'month' | 'quarter' | 'year' | 'range';

export interface ReportSelection {
  kind: PeriodKind;
  /** yyyy-mm (month), yyyy-Qn (quarter), yyyy (year), or the range's from/to (yyyy-mm-dd). */
  month: string;
  quarter: string;
  year: string;
  from: string;
  to: string;
  areaCode: string;
  /** Only essential information (category=essential), the KH 179 figure. */
  essential: boolean;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** Last month on Vietnam's calendar: what a report is usually about. */
export function lastMonth(now = Date.now()): string {
  const vn = new Date(now + 7 * 3_600_000);
  const y = vn.getUTCFullYear();
  const m = vn.getUTCMonth(); // 0-based: this month - 1 + 1
  return m === 0 ? `${y - 1}-12` : `${y}-${pad(m)}`;
}

export function selectionOf(route: Route): ReportSelection {
  const q = route.query;
  const month = q.get('month') ?? lastMonth();
  const year = q.get('year') ?? month.slice(0, 4);
  const kind = (['month', 'quarter', 'year', 'range'] as const).find((k) => k === q.get('period')) ?? 'month';
  return {
    kind,
    month,
    quarter: q.get('quarter') ?? `${month.slice(0, 4)}-Q${Math.floor((Number(month.slice(5, 7)) - 1) / 3) + 1}`,
    year,
    from: q.get('from') ?? `${month}-01`,
    to: q.get('to') ?? `${month}-${pad(new Date(Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)), 0)).getUTCDate())}`,
    areaCode: q.get('areaCode') ?? '',
    essential: q.get('essential') === '1',
  };
}

/** The URL query of a selection (only what its kind needs). */
export function routeQuery(s: ReportSelection): Record<string, string | undefined> {
  return {
    period: s.kind === 'month' ? undefined : s.kind,
    month: s.kind === 'month' ? s.month : undefined,
    quarter: s.kind === 'quarter' ? s.quarter : undefined,
    year: s.kind === 'year' ? s.year : undefined,
    from: s.kind === 'range' ? s.from : undefined,
    to: s.kind === 'range' ? s.to : undefined,
    areaCode: s.areaCode || undefined,
    essential: s.essential ? '1' : undefined,
  };
}

/** The API's period (reportPeriodQuerySchema): month=, quarter=yyyy-Qn, year=yyyy or from/to dates (inclusive). */
export function periodQuery(s: ReportSelection): { month?: string; quarter?: string; year?: string; from?: string; to?: string } {
  if (s.kind === 'month') return { month: s.month };
  if (s.kind === 'quarter') return { quarter: s.quarter };
  if (s.kind === 'year') return { year: s.year };
  return { from: s.from, to: s.to };
}

/** The coverage API's query: the period, the subtree, and category=essential when asked. */
export function coverageQuery(s: ReportSelection): Record<string, string | undefined> {
  return { ...periodQuery(s), areaCode: s.areaCode || undefined, category: s.essential ? 'essential' : undefined };
}

/** "tháng 11/2026", "quý 4/2026", "năm 2026", "01/11/2026 – 15/11/2026" (and the English). */
export function periodTitle(s: ReportSelection): string {
  const vi = getLang() === 'vi';
  const dmy = (d: string) => d.split('-').reverse().join('/');
  if (s.kind === 'month') return `${vi ? 'tháng' : 'month'} ${s.month.slice(5, 7)}/${s.month.slice(0, 4)}`;
  if (s.kind === 'quarter') return `${vi ? 'quý' : 'quarter'} ${s.quarter.slice(6)}/${s.quarter.slice(0, 4)}`;
  if (s.kind === 'year') return `${vi ? 'năm' : 'year'} ${s.year}`;
  return `${dmy(s.from)} – ${dmy(s.to)}`;
}

/** 0.8734 → "87,3 %" (vi) / "87.3%" (en); null (nothing due) → "—". */
export function pct(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const n = (Math.floor(v * 1000) / 10).toFixed(1);
  return getLang() === 'vi' ? `${n.replace('.', ',')} %` : `${n}%`;
}

export function int(v: number): string {
  return v.toLocaleString(getLang() === 'vi' ? 'vi-VN' : 'en-GB');
}

export const minutes = (f: CoverageFigures): string => int(Math.round(f.airedSeconds / 60));

/** Below 100 % is what an officer has to explain: flagged. */
export const short = (f: CoverageFigures): boolean => f.coverage !== null && f.coverage < 1;

export type SortKey = 'coverage' | 'name' | 'due' | 'failed' | 'availability' | 'onTimeRate';

/** Worst first by default: lowest coverage first, slices with nothing due last, then by name. */
export function sortRows(rows: readonly CoverageRow[], key: SortKey, asc: boolean): CoverageRow[] {
  const val = (r: CoverageRow): number | string | null => (key === 'name' ? r.name : key === 'due' || key === 'failed' ? r.figures[key] : r.figures[key]);
  return [...rows].sort((a, b) => {
    const x = val(a);
    const y = val(b);
    if (x === null && y === null) return a.name.localeCompare(b.name, 'vi');
    if (x === null) return 1;
    if (y === null) return -1;
    const c = typeof x === 'string' ? x.localeCompare(String(y), 'vi') : x - (y as number);
    return (asc ? c : -c) || a.name.localeCompare(b.name, 'vi');
  });
}

export const LEVELS = defineStrings({
  vi: { country: 'Cả nước', province: 'Tỉnh/thành phố', district: 'Quận/huyện', commune: 'Xã/phường', village: 'Thôn/tổ', speaker: 'Cụm loa', board: 'Bảng tin' },
  en: { country: 'Country', province: 'Province', district: 'District', commune: 'Commune', village: 'Village', speaker: 'Loudspeaker', board: 'E-board' },
});

export const levelName = (level: string | null): string => {
  if (level === null) return '';
  const table = LEVELS[getLang()] as Record<string, string>;
  return table[level] ?? level;
};

export const REPORT_STRINGS = defineStrings({
  vi: {
    title: 'Báo cáo',
    printTitle: 'Báo cáo kết quả thông tin cơ sở',
    period: 'Kỳ báo cáo',
    month: 'Tháng',
    quarter: 'Quý',
    year: 'Năm',
    range: 'Khoảng ngày',
    from: 'Từ ngày',
    to: 'Đến ngày',
    area: 'Địa bàn',
    ownArea: 'Địa bàn của tôi',
    essential: 'Chỉ thông tin thiết yếu',
    coverage: 'Tỷ lệ phát',
    onTime: 'Đúng giờ',
    aired: 'Số phút đã phát',
    availability: 'Tỷ lệ hoạt động',
    failures: 'Lượt không phát được',
    alarms: 'Cảnh báo',
    due: 'Phải phát',
    played: 'Phát hết',
    devices: 'Thiết bị',
    name: 'Tên',
    level: 'Cấp',
    byArea: 'Theo địa bàn',
    byDevice: 'Theo thiết bị',
    byPriority: 'Theo mức ưu tiên',
    byCategory: 'Theo thể loại',
    byDay: 'Tỷ lệ phát theo ngày',
    byMonth: 'Tỷ lệ phát theo tháng',
    failuresByReason: 'Lỗi theo nguyên nhân',
    reason: 'Nguyên nhân',
    count: 'Số lượt',
    priority: 'Mức ưu tiên',
    category: 'Thể loại',
    uncategorised: 'Chưa phân loại',
    xlsx: 'Tải XLSX',
    logXlsx: 'Nhật ký phát (XLSX)',
    logCsv: 'Nhật ký phát (CSV)',
    print: 'In báo cáo',
    printNow: 'In',
    back: 'Quay lại',
    occurrences: 'Các lượt phát',
    scheduled: 'Giờ phát theo lịch',
    started: 'Bắt đầu',
    result: 'Kết quả',
    content: 'Nội dung',
    playedFor: 'Đã phát',
    moreRows: 'Còn nữa: xem nhật ký phát đầy đủ trong tệp tải về.',
    below: 'dưới 100 %',
    noDue: 'Không có lượt phải phát trong kỳ',
    totals: 'Tổng hợp',
    children: 'Kết quả theo địa bàn',
    preparer: 'Người lập biểu',
    head: 'Thủ trưởng đơn vị',
    signHint: '(Ký, ghi rõ họ tên)',
    signSealHint: '(Ký tên, đóng dấu)',
    placeDate: '…………, ngày …… tháng …… năm ……',
    nationalTitle: 'CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM',
    nationalMotto: 'Độc lập - Tự do - Hạnh phúc',
    device: 'Thiết bị',
  },
  en: {
    title: 'Reports',
    printTitle: 'Grassroots information report',
    period: 'Period',
    month: 'Month',
    quarter: 'Quarter',
    year: 'Year',
    range: 'Date range',
    from: 'From',
    to: 'To',
    area: 'Area',
    ownArea: 'My area',
    essential: 'Essential information only',
    coverage: 'Coverage',
    onTime: 'On time',
    aired: 'Minutes aired',
    availability: 'Availability',
    failures: 'Failed plays',
    alarms: 'Alarms',
    due: 'Due',
    played: 'Played',
    devices: 'Devices',
    name: 'Name',
    level: 'Level',
    byArea: 'By area',
    byDevice: 'By device',
    byPriority: 'By priority',
    byCategory: 'By category',
    byDay: 'Coverage by day',
    byMonth: 'Coverage by month',
    failuresByReason: 'Failures by reason',
    reason: 'Reason',
    count: 'Count',
    priority: 'Priority',
    category: 'Category',
    uncategorised: 'Uncategorised',
    xlsx: 'Download XLSX',
    logXlsx: 'Playout log (XLSX)',
    logCsv: 'Playout log (CSV)',
    print: 'Print report',
    printNow: 'Print',
    back: 'Back',
    occurrences: 'Occurrences',
    scheduled: 'Scheduled',
    started: 'Started',
    result: 'Result',
    content: 'Content',
    playedFor: 'Played',
    moreRows: 'More rows: the downloaded playout log has them all.',
    below: 'below 100%',
    noDue: 'Nothing due in the period',
    totals: 'Totals',
    children: 'Results by area',
    preparer: 'Prepared by',
    head: 'Head of unit',
    signHint: '(Signature, full name)',
    signSealHint: '(Signature, seal)',
    placeDate: '…………, day …… month …… year ……',
    nationalTitle: 'SOCIALIST REPUBLIC OF VIET NAM',
    nationalMotto: 'Independence - Freedom - Happiness',
    device: 'Device',
  },
});

/** The chart's bars: one per day ("05") or month ("T11"/"Nov"). */
export function seriesBars(r: Pick<CoverageReport, 'series'>): Array<{ label: string; value: number | null; title: string }> {
  return r.series.map((p) => {
    const monthly = p.date.length === 7;
    const label = monthly ? (getLang() === 'vi' ? `T${Number(p.date.slice(5, 7))}` : p.date.slice(5, 7)) : p.date.slice(8, 10);
    const when = p.date.split('-').reverse().join('/');
    return { label, value: p.figures.coverage, title: `${when}: ${pct(p.figures.coverage)} (${p.figures.played}/${p.figures.due})` };
  });
}
