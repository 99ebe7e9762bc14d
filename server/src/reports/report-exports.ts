import { Injectable } from '@nestjs/common';
import { priorityLabelVi, type Priority } from '@loa/shared';
import type { CoverageFigures, CoverageQuery, CoverageReport, PlayoutLogRow } from '@loa/shared/rest';
import type { Writable } from 'node:stream';
import type { UserPrincipal } from '../auth/principal.js';
import { attachmentDisposition } from '../common/export-format.js';
import { streamXlsx, XLSX_CONTENT_TYPE, xlsxSheet, xlsxWorkbook, type XlsxColumn } from '../common/xlsx-export.js';
import { AppConfig } from '../config/app-config.js';
import { CoverageService } from './coverage.service.js';
import { PlayoutLogRepository } from './playout-log.repository.js';
import { PlayoutLogService, type PlayoutQuery } from './playout-log.service.js';
import { resolvePeriod } from './report-period.js';

/** A whole file decided before the first byte (refusals are still proper 4xx). */
export interface FileDownload {
  contentType: string;
  disposition: string;
  body: Buffer;
}

/** A streamed XLSX: headers decided before the first byte, then `write` streams the workbook into the response. */
export interface XlsxStream {
  disposition: string;
  write(out: Writable): Promise<void>;
}

/** Rows per page the XLSX playout log asks the service for (the CSV's page size). */
const XLSX_PAGE = 1000;

/**
 * The playout log as XLSX: the CSV export's columns and Vietnamese headers (the spec holds the two header rows
 * equal), with typed cells: Vietnam-time date cells, whole seconds as numbers.
 */
export const PLAYOUT_XLSX_COLUMNS: ReadonlyArray<XlsxColumn<PlayoutLogRow>> = [
  { header: 'Nội dung', value: (r) => r.contentTitle, width: 32 },
  { header: 'Mức ưu tiên', value: (r) => priorityLabelVi(r.priority), width: 12 },
  { header: 'Xã/phường', value: (r) => r.communeName },
  { header: 'Địa bàn', value: (r) => r.areaName },
  { header: 'Mã địa bàn', value: (r) => r.areaCode, width: 11 },
  { header: 'Mã thiết bị', value: (r) => r.deviceId, width: 18 },
  { header: 'Tên thiết bị', value: (r) => r.deviceName },
  { header: 'Giờ phát theo lịch', value: (r) => Date.parse(r.scheduledStart), kind: 'datetime' },
  { header: 'Bắt đầu phát', value: (r) => (r.startedAt === null ? null : Date.parse(r.startedAt)), kind: 'datetime' },
  { header: 'Kết thúc', value: (r) => (r.endedAt === null ? null : Date.parse(r.endedAt)), kind: 'datetime' },
  { header: 'Thời lượng đã phát (giây)', value: (r) => (r.playedSeconds === null ? null : Math.round(r.playedSeconds)), kind: 'integer' },
  { header: 'Kết quả', value: (r) => r.result, width: 12 },
  { header: 'Lý do', value: (r) => r.reason, width: 30 },
  { header: 'Mã lượt phát', value: (r) => r.occurrenceId, width: 28 },
];

/** The figures of a slice, the same columns in every breakdown sheet. */
const figureColumns = <T>(figures: (row: T) => CoverageFigures): Array<XlsxColumn<T>> => [
  { header: 'Số lượt phải phát', value: (r) => figures(r).due, kind: 'integer' },
  { header: 'Số lượt phát hết', value: (r) => figures(r).played, kind: 'integer' },
  { header: 'Tỷ lệ phát (%)', value: (r) => figures(r).coverage, kind: 'percent' },
  { header: 'Phát đúng giờ', value: (r) => figures(r).onTime, kind: 'integer' },
  { header: 'Tỷ lệ đúng giờ (%)', value: (r) => figures(r).onTimeRate, kind: 'percent' },
  { header: 'Số phút đã phát', value: (r) => Math.round(figures(r).airedSeconds / 60), kind: 'integer' },
  { header: 'Lượt không phát được', value: (r) => figures(r).failed, kind: 'integer' },
  { header: 'Số thiết bị', value: (r) => figures(r).devices, kind: 'integer' },
  { header: 'Tỷ lệ hoạt động (%)', value: (r) => figures(r).availability, kind: 'percent' },
  { header: 'Số cảnh báo', value: (r) => figures(r).alarms, kind: 'integer' },
];

const LEVEL_LABELS_VI: Record<string, string> = { province: 'Tỉnh/thành phố', district: 'Quận/huyện', commune: 'Xã/phường', village: 'Thôn/tổ dân phố', speaker: 'Cụm loa', board: 'Bảng tin' };
export const levelLabelVi = (level: string | null): string => (level === null ? '' : (LEVEL_LABELS_VI[level] ?? level));

/** "2026-11" → "tháng 11/2026"; "2026-11-01_2026-11-15" → "01/11/2026 – 15/11/2026"; otherwise as given. */
export function periodLabelVi(label: string): string {
  const dmy = (d: string) => d.split('-').reverse().join('/');
  let m = /^(\d{4})-(\d{2})$/.exec(label);
  if (m) return `tháng ${m[2]}/${m[1]}`;
  m = /^(\d{4})-Q([1-4])$/i.exec(label);
  if (m) return `quý ${m[2]}/${m[1]}`;
  m = /^(\d{4})$/.exec(label);
  if (m) return `năm ${m[1]}`;
  m = /^(\d{4}-\d{2}-\d{2})_(\d{4}-\d{2}-\d{2})$/.exec(label);
  if (m) return `${dmy(m[1]!)} – ${dmy(m[2]!)}`;
  return /^\d{4}-\d{2}-\d{2}$/.test(label) ? dmy(label) : label;
}

/** The coverage report as the sheets a district sends upward. */
export function coverageSheets(r: CoverageReport) {
  const title = [`Báo cáo kết quả thông tin cơ sở — ${periodLabelVi(r.period.label)} — ${r.area.name}`, `Tỷ lệ phát = số lượt phát hết ÷ số lượt phải phát`];
  return [
    xlsxSheet({
      name: 'Tổng hợp',
      title,
      columns: [
        { header: 'Địa bàn', value: (x) => x.area.name, width: 28 },
        { header: 'Cấp', value: (x) => levelLabelVi(x.area.level), width: 16 },
        { header: 'Kỳ báo cáo', value: (x) => periodLabelVi(x.period.label), width: 16 },
        ...figureColumns<CoverageReport>((x) => x.totals),
      ],
      rows: [r],
    }),
    xlsxSheet({
      name: r.rows.some((x) => x.kind === 'device') ? 'Theo thiết bị' : 'Theo địa bàn',
      title,
      columns: [
        { header: 'Mã', value: (x) => x.key, width: 16 },
        { header: 'Tên', value: (x) => x.name, width: 30 },
        { header: 'Cấp/loại', value: (x) => levelLabelVi(x.level), width: 16 },
        ...figureColumns<CoverageReport['rows'][number]>((x) => x.figures),
      ],
      rows: r.rows,
    }),
    xlsxSheet({ name: 'Theo cấp', title, columns: [{ header: 'Cấp', value: (x) => levelLabelVi(x.level), width: 18 }, ...figureColumns<CoverageReport['byLevel'][number]>((x) => x.figures)], rows: r.byLevel }),
    xlsxSheet({ name: 'Theo mức ưu tiên', title, columns: [{ header: 'Mức ưu tiên', value: (x) => priorityLabelVi(x.priority as Priority), width: 14 }, ...figureColumns<CoverageReport['byPriority'][number]>((x) => x.figures)], rows: r.byPriority }),
    xlsxSheet({
      name: 'Theo thể loại',
      title,
      columns: [
        { header: 'Thể loại', value: (x) => x.name, width: 26 },
        { header: 'Thông tin thiết yếu', value: (x) => (x.essential ? 'Có' : 'Không'), width: 10 },
        ...figureColumns<CoverageReport['byCategory'][number]>((x) => x.figures),
      ],
      rows: r.byCategory,
    }),
    xlsxSheet({
      name: r.series.some((x) => x.date.length === 7) ? 'Theo tháng' : 'Theo ngày',
      title,
      columns: [{ header: 'Ngày/tháng', value: (x) => x.date.split('-').reverse().join('/'), width: 12 }, ...figureColumns<CoverageReport['series'][number]>((x) => x.figures)],
      rows: r.series,
    }),
    xlsxSheet({
      name: 'Lỗi theo nguyên nhân',
      title,
      columns: [
        { header: 'Nguyên nhân', value: (x) => x.label, width: 44 },
        { header: 'Số lượt', value: (x) => x.count, kind: 'integer' },
      ],
      rows: r.failuresByReason,
    }),
  ];
}

/**
 * XLSX exports of the reports. Scoping and periods are decided by the services they read (the playout log's and
 * the coverage service), so these only shape files.
 */
@Injectable()
export class ReportExports {
  constructor(
    private readonly playout: PlayoutLogService,
    private readonly repo: PlayoutLogRepository,
    private readonly coverage: CoverageService,
    private readonly config: AppConfig,
  ) {}

  /**
   * The playout log of the period as one streamed sheet. The first page is read before the headers, so a period
   * that is none (400) or an area outside the reader's scope (404) is answered as such; the rest follows page by
   * page by cursor, each pulled when the response has taken the previous one.
   */
  async playoutLog(user: UserPrincipal, q: PlayoutQuery): Promise<XlsxStream> {
    const first = await this.playout.page(user, { ...q, limit: XLSX_PAGE });
    const period = resolvePeriod(q, this.config.timezone);
    const label = period.ok ? period.period.label : '';
    // Named as the CSV is: the area (the reader's own when none is asked for), then the device when one is.
    const code = q.areaCode ?? user.areaCode;
    const areaName = code === null ? null : ((await this.repo.area(code))?.name ?? null);
    const device = q.deviceId === undefined ? null : await this.repo.device(q.deviceId);
    const playout = this.playout;
    async function* pages(): AsyncGenerator<PlayoutLogRow[]> {
      let page = first;
      yield page.items;
      while (page.nextCursor !== null) {
        page = await playout.page(user, { ...q, limit: XLSX_PAGE, cursor: page.nextCursor });
        yield page.items;
      }
    }
    return {
      disposition: attachmentDisposition(['Nhật ký phát thanh', areaName, device === null ? null : (device.name ?? device.id), label], 'xlsx').header,
      write: (out) => streamXlsx(out, { name: 'Nhật ký phát thanh', columns: PLAYOUT_XLSX_COLUMNS }, pages(), this.config.timezone),
    };
  }

  /** The coverage report as a workbook: totals, the child areas worst first, and each breakdown on its own sheet. */
  async coverageReport(user: UserPrincipal, q: CoverageQuery): Promise<FileDownload> {
    const report = await this.coverage.report(user, q);
    return {
      contentType: XLSX_CONTENT_TYPE,
      disposition: attachmentDisposition(['Báo cáo thông tin cơ sở', report.area.name, report.period.label], 'xlsx').header,
      body: await xlsxWorkbook(coverageSheets(report), this.config.timezone),
    };
  }
}
