import { Injectable } from '@nestjs/common';
import {
  FEEDBACK_CHANNEL_LABELS_VI,
  FEEDBACK_PRIORITY_LABELS_VI,
  FEEDBACK_STATE_LABELS_VI,
  FEEDBACK_STATES,
  normalizePhone,
  type FeedbackExportQuery,
  type FeedbackStatsQuery,
  type FeedbackStatsSlice,
  type FeedbackStatsView,
} from '@loa/shared/rest';
import type { Writable } from 'node:stream';
import { AuditService } from '../audit/audit.service.js';
import { ScopeService } from '../auth/area-scope.js';
import type { UserPrincipal } from '../auth/principal.js';
import { Clock } from '../common/clock.js';
import { searchTerms } from '../common/search-text.js';
import { CsvWriter, type CsvColumn } from '../common/csv-export.js';
import { attachmentDisposition, localDate, localDateTime } from '../common/export-format.js';
import { streamXlsx, XLSX_CONTENT_TYPE, xlsxSheet, xlsxWorkbook, type XlsxColumn } from '../common/xlsx-export.js';
import { AppConfig } from '../config/app-config.js';
import { periodLabelVi } from '../reports/report-exports.js';
import { FeedbackSettingsService } from './feedback-settings.service.js';
import { FeedbackStatsRepository, type ExportFilter, type ExportRow } from './feedback-stats.repository.js';
import { FeedbackStatsService } from './feedback-stats.service.js';
import { badRequest, notFound } from '../common/loa-error.js';

/** Rows per database page of an item export (the file is streamed page by page). */
const EXPORT_PAGE = 1000;

/** The audit action of an export that carries personal data (its own, so the audit log can be filtered on it). */
export const PERSONAL_DATA_EXPORT_ACTION = 'feedback.export-personal-data';

/** A whole file decided before the first byte. */
export interface FeedbackFile {
  contentType: string;
  disposition: string;
  body: Buffer;
}

/** A streamed file: headers decided (and refusals answered) before the first byte, then `write` streams the rest. */
export interface FeedbackStream {
  contentType: string;
  disposition: string;
  write(out: Writable): Promise<void>;
}

const yesNo = (v: boolean | null): string | null => (v === null ? null : v ? 'Hài lòng' : 'Không hài lòng');
const overdueVi = (v: string | null): string | null => (v === 'ack' ? 'Quá hạn tiếp nhận' : v === 'answer' ? 'Quá hạn trả lời' : null);

/** The figures of a statistics slice, the same columns on every sheet. */
const sliceColumns = <T>(s: (row: T) => FeedbackStatsSlice): Array<XlsxColumn<T>> => [
  { header: 'Số tiếp nhận', value: (r) => s(r).received, kind: 'integer' },
  { header: 'Đã xử lý', value: (r) => s(r).handled, kind: 'integer' },
  { header: 'Tỷ lệ xử lý (%)', value: (r) => s(r).handledShare, kind: 'percent' },
  { header: 'Xử lý đúng hạn', value: (r) => s(r).handledOnTime, kind: 'integer' },
  { header: 'Tỷ lệ đúng hạn (%)', value: (r) => s(r).onTimeShare, kind: 'percent' },
  { header: 'Quá hạn', value: (r) => s(r).overdue, kind: 'integer' },
  { header: 'Đang xử lý', value: (r) => s(r).open, kind: 'integer' },
  { header: 'Thời gian trả lời TB (giờ làm việc)', value: (r) => s(r).avgAnswerWorkingHours, kind: 'number' },
  { header: 'Thời gian trả lời TB (giờ)', value: (r) => s(r).avgAnswerHours, kind: 'number' },
  { header: 'Số đánh giá', value: (r) => s(r).rated, kind: 'integer' },
  { header: 'Hài lòng', value: (r) => s(r).satisfied, kind: 'integer' },
  { header: 'Tỷ lệ hài lòng (%)', value: (r) => s(r).satisfactionShare, kind: 'percent' },
];

/** The statistics as the sheets a commune or district sends upward. */
export function feedbackStatsSheets(v: FeedbackStatsView, label: string) {
  const title = [`Thống kê tiếp nhận, xử lý ý kiến phản ánh, kiến nghị — ${periodLabelVi(label)} — ${v.areaName}`, 'Chỉ tiêu: 100% ý kiến được tiếp nhận và xử lý (KH 179); tỷ lệ xử lý = đã xử lý ÷ số tiếp nhận'];
  return [
    xlsxSheet({
      name: 'Tổng hợp',
      title,
      columns: [{ header: 'Địa bàn', value: (x) => x.areaName, width: 28 }, { header: 'Kỳ báo cáo', value: () => periodLabelVi(label), width: 18 }, ...sliceColumns<FeedbackStatsView>((x) => x.totals)],
      rows: [v],
    }),
    xlsxSheet({
      name: 'Theo địa bàn',
      title,
      columns: [{ header: 'Mã', value: (x) => x.areaCode, width: 12 }, { header: 'Địa bàn', value: (x) => x.areaName, width: 28 }, ...sliceColumns<FeedbackStatsView['byArea'][number]>((x) => x)],
      rows: v.byArea,
    }),
    xlsxSheet({ name: 'Theo lĩnh vực', title, columns: [{ header: 'Lĩnh vực', value: (x) => x.label, width: 30 }, ...sliceColumns<FeedbackStatsView['byCategory'][number]>((x) => x)], rows: v.byCategory }),
    xlsxSheet({
      name: 'Theo mức độ',
      title,
      columns: [{ header: 'Mức độ', value: (x) => FEEDBACK_PRIORITY_LABELS_VI[x.priority], width: 16 }, ...sliceColumns<FeedbackStatsView['byPriority'][number]>((x) => x)],
      rows: v.byPriority,
    }),
    xlsxSheet({
      name: 'Theo kênh',
      title,
      columns: [
        { header: 'Kênh tiếp nhận', value: (x) => FEEDBACK_CHANNEL_LABELS_VI[x.channel], width: 32 },
        { header: 'Số tiếp nhận', value: (x) => x.received, kind: 'integer' },
      ],
      rows: v.byChannel,
    }),
    xlsxSheet({
      name: v.series.some((x) => x.bucket.length === 7) ? 'Theo tháng' : 'Theo ngày',
      title,
      columns: [{ header: 'Ngày/tháng', value: (x) => x.bucket.split('-').reverse().join('/'), width: 12 }, ...sliceColumns<FeedbackStatsView['series'][number]>((x) => x)],
      rows: v.series,
    }),
  ];
}

/** The item list's columns (Vietnamese headers); the resident's three come last and only when asked for. */
function itemColumns(zone: string, labels: ReadonlyMap<string, string>, personal: boolean): { csv: Array<CsvColumn<ExportRow>>; xlsx: Array<XlsxColumn<ExportRow>> } {
  const at = (ms: number | null) => localDateTime(ms, zone);
  type Col = { header: string; text: (r: ExportRow) => string | null; instant?: (r: ExportRow) => number | null; width?: number };
  const cols: Col[] = [
    { header: 'Mã phản ánh', text: (r) => r.code, width: 14 },
    { header: 'Ngày tiếp nhận', text: (r) => at(r.createdAt), instant: (r) => r.createdAt },
    { header: 'Xã/phường', text: (r) => r.areaName, width: 24 },
    { header: 'Mã địa bàn', text: (r) => r.areaCode, width: 11 },
    { header: 'Thôn/tổ dân phố', text: (r) => r.village, width: 18 },
    { header: 'Lĩnh vực', text: (r) => labels.get(r.category) ?? r.category, width: 24 },
    { header: 'Tiêu đề', text: (r) => r.title, width: 36 },
    { header: 'Nội dung', text: (r) => r.content, width: 60 },
    { header: 'Kênh tiếp nhận', text: (r) => FEEDBACK_CHANNEL_LABELS_VI[r.channel] ?? r.channel, width: 20 },
    { header: 'Mức độ', text: (r) => FEEDBACK_PRIORITY_LABELS_VI[r.priority] ?? r.priority, width: 14 },
    { header: 'Trạng thái', text: (r) => FEEDBACK_STATE_LABELS_VI[r.state] ?? r.state, width: 14 },
    { header: 'Phòng ban', text: (r) => r.department, width: 14 },
    { header: 'Người xử lý', text: (r) => r.assignee, width: 16 },
    { header: 'Hạn tiếp nhận', text: (r) => at(r.ackDueAt), instant: (r) => r.ackDueAt },
    { header: 'Hạn trả lời', text: (r) => at(r.answerDueAt), instant: (r) => r.answerDueAt },
    { header: 'Ngày trả lời đầu tiên', text: (r) => at(r.firstAnsweredAt), instant: (r) => r.firstAnsweredAt },
    { header: 'Ngày đóng', text: (r) => at(r.closedAt), instant: (r) => r.closedAt },
    { header: 'Quá hạn', text: (r) => overdueVi(r.overdue), width: 18 },
    { header: 'Nội dung trả lời', text: (r) => r.answer, width: 60 },
    { header: 'Lý do không thụ lý', text: (r) => r.rejectReason, width: 30 },
    { header: 'Đánh giá của người dân', text: (r) => yesNo(r.satisfied), width: 16 },
  ];
  if (personal) {
    cols.push(
      { header: 'Họ tên người phản ánh', text: (r) => r.residentName, width: 22 },
      { header: 'Số điện thoại', text: (r) => r.residentPhone, width: 14 },
      { header: 'Email', text: (r) => r.residentEmail, width: 24 },
    );
  }
  return {
    csv: cols.map((c) => ({ header: c.header, value: c.text })),
    xlsx: cols.map((c) => (c.instant ? { header: c.header, value: c.instant, kind: 'datetime' as const } : { header: c.header, value: c.text, ...(c.width ? { width: c.width } : {}) })),
  };
}

/**
 * Files of issue 17: the statistics as a workbook, and the item list (the list's filters) as CSV or XLSX. The
 * residents' name, phone and e-mail are left out unless `personalData=true`: any reader of the items may ask it (they
 * see it on screen, in their scope), and it is recorded in the audit log under its own action (a GET is otherwise not
 * audited). Outside the reader's scope an area is absent (404), as every read there is.
 */
@Injectable()
export class FeedbackExports {
  constructor(
    private readonly stats: FeedbackStatsService,
    private readonly repo: FeedbackStatsRepository,
    private readonly scope: ScopeService,
    private readonly settings: FeedbackSettingsService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  async statsWorkbook(user: UserPrincipal, q: FeedbackStatsQuery): Promise<FeedbackFile> {
    const view = await this.stats.report(user, q);
    const label = this.stats.period(q).label;
    return {
      contentType: XLSX_CONTENT_TYPE,
      disposition: attachmentDisposition(['Thống kê ý kiến phản ánh', view.areaName, label], 'xlsx').header,
      body: await xlsxWorkbook(feedbackStatsSheets(view, label), this.config.timezone),
    };
  }

  async items(user: UserPrincipal, q: FeedbackExportQuery, format: 'csv' | 'xlsx', ip: string | null): Promise<FeedbackStream> {
    const { filter, areaName } = await this.filter(user, q);
    const personal = q.personalData === true;
    const settings = await this.settings.get();
    const cols = itemColumns(this.config.timezone, new Map(settings.categories.map((c) => [c.code, c.label])), personal);
    // Read the first page before the headers: a failing query is still a proper error answer.
    const first = await this.repo.exportPage(filter, null, EXPORT_PAGE);
    if (personal) {
      await this.audit.record({
        actor: { id: user.userId, name: user.username, role: user.role, areaCode: user.areaCode },
        action: PERSONAL_DATA_EXPORT_ACTION,
        resourceType: 'feedback',
        resourceId: null,
        areaCode: q.areaCode ?? user.areaCode,
        outcome: 'ok',
        status: 200,
        detail: { query: q, format },
        ip,
      });
    }
    const repo = this.repo;
    async function* pages(): AsyncGenerator<ExportRow[]> {
      let page = first;
      yield page;
      while (page.length === EXPORT_PAGE) {
        const last = page[page.length - 1]!;
        page = await repo.exportPage(filter, { createdAt: last.createdAt, id: last.id }, EXPORT_PAGE);
        yield page;
      }
    }
    const name = ['Danh sách ý kiến phản ánh', areaName, localDate(this.clock.now(), this.config.timezone)];
    const zone = this.config.timezone;
    if (format === 'csv') {
      const writer = new CsvWriter(cols.csv);
      return {
        contentType: 'text/csv; charset=utf-8',
        disposition: attachmentDisposition(name, 'csv').header,
        write: async (out) => {
          for await (const chunk of writer.stream(pages())) {
            if (out.destroyed) return;
            if (!out.write(chunk)) await new Promise<void>((resolve) => out.once('drain', resolve).once('close', resolve));
          }
          out.end();
        },
      };
    }
    return {
      contentType: XLSX_CONTENT_TYPE,
      disposition: attachmentDisposition(name, 'xlsx').header,
      write: (out) => streamXlsx(out, { name: 'Ý kiến phản ánh', columns: cols.xlsx }, pages(), zone),
    };
  }

  /** The list's filters within the reader's scope; an area outside it is absent (404). */
  private async filter(user: UserPrincipal, q: FeedbackExportQuery): Promise<{ filter: ExportFilter; areaName: string | null }> {
    const scope = await this.scope.of(user);
    let pathPrefix = scope.pathPrefix;
    let areaName: string | null = null;
    if (q.areaCode !== undefined) {
      const area = await this.repo.area(q.areaCode);
      if (!area || !scope.contains(area.code)) throw notFound('area.not-found', { id: q.areaCode });
      pathPrefix = area.path;
      areaName = area.name;
    } else if (user.areaCode !== null) {
      areaName = (await this.repo.area(user.areaCode))?.name ?? null;
    }
    const instant = (v: string | undefined, field: string): number | null => {
      if (v === undefined || v === '') return null;
      const t = Date.parse(v);
      if (!Number.isFinite(t)) throw badRequest('feedback.instant-invalid', { field, value: v });
      return t;
    };
    return {
      filter: {
        pathPrefix,
        states: q.state ?? FEEDBACK_STATES.filter((s) => s !== 'merged'),
        priorities: q.priority ?? null,
        channels: q.channel ?? null,
        category: q.category ?? null,
        overdueOnly: q.overdue === true,
        assigneeUserId: q.mine === true ? user.userId : null,
        words: q.q === undefined || q.q === '' ? [] : searchTerms(q.q),
        phone: q.q === undefined || q.q === '' ? null : normalizePhone(q.q),
        from: instant(q.from, 'from'),
        to: instant(q.to, 'to'),
      },
      areaName,
    };
  }
}
