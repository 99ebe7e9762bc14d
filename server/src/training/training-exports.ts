import type { TrainingAreaFigures, TrainingReport } from '@loa/shared/rest';
import { CsvWriter, type CsvColumn } from '../common/csv-export.js';
import { attachmentDisposition } from '../common/export-format.js';
import { XLSX_CONTENT_TYPE, xlsxSheet, xlsxWorkbook, type XlsxColumn } from '../common/xlsx-export.js';

export interface TrainingFile {
  contentType: string;
  disposition: string;
  body: Buffer;
}

const pct = (s: number | null): string => (s === null ? '' : `${(s * 100).toFixed(1)}%`);

/** The Vietnamese headers of both exports (the Reports page's other exports are Vietnamese too). */
const CSV_COLUMNS: ReadonlyArray<CsvColumn<TrainingAreaFigures>> = [
  { header: 'Mã địa bàn', value: (r) => r.areaCode },
  { header: 'Địa bàn', value: (r) => r.areaName },
  { header: 'Cán bộ có tài khoản', value: (r) => r.staff },
  { header: 'Đã hoàn thành bài học', value: (r) => r.trained },
  { header: 'Tỷ lệ đã tập huấn', value: (r) => pct(r.share) },
  { header: 'Mục tiêu', value: () => '100%' },
];

const XLSX_COLUMNS: ReadonlyArray<XlsxColumn<TrainingAreaFigures>> = [
  { header: 'Mã địa bàn', value: (r) => r.areaCode, width: 11 },
  { header: 'Địa bàn', value: (r) => r.areaName, width: 32 },
  { header: 'Cán bộ có tài khoản', value: (r) => r.staff, kind: 'integer' },
  { header: 'Đã hoàn thành bài học', value: (r) => r.trained, kind: 'integer' },
  { header: 'Tỷ lệ đã tập huấn', value: (r) => r.share, kind: 'percent' },
  { header: 'Mục tiêu', value: () => 1, kind: 'percent' },
];

/** The root first (the total), then its children. */
const rowsOf = (r: TrainingReport): TrainingAreaFigures[] => [r.root, ...r.children];

export function trainingCsv(r: TrainingReport): TrainingFile {
  return {
    contentType: 'text/csv; charset=utf-8',
    disposition: attachmentDisposition(['Dao tao', r.root.areaName], 'csv').header,
    body: Buffer.from(new CsvWriter(CSV_COLUMNS).document(rowsOf(r)), 'utf8'),
  };
}

export async function trainingXlsx(r: TrainingReport, zone: string): Promise<TrainingFile> {
  const title = [`Đào tạo cán bộ thông tin cơ sở — ${r.root.areaName}`, 'Mục tiêu KH 179: 100% cán bộ được tập huấn'];
  return {
    contentType: XLSX_CONTENT_TYPE,
    disposition: attachmentDisposition(['Dao tao', r.root.areaName], 'xlsx').header,
    body: await xlsxWorkbook([xlsxSheet({ name: 'Đào tạo', columns: XLSX_COLUMNS, rows: rowsOf(r), title })], zone),
  };
}
