import { Injectable } from '@nestjs/common';
import { deliveryStateLabelVi, priorityLabelVi } from '@loa/shared';
import type { ExportFormat, PlayoutLogPage, PlayoutLogRow } from '@loa/shared/rest';
import { ScopeService } from '../auth/area-scope.js';
import type { UserPrincipal } from '../auth/principal.js';
import { CsvWriter, type CsvColumn } from '../common/csv-export.js';
import { attachmentDisposition, isoInstant, localDateTime } from '../common/export-format.js';
import { AppConfig } from '../config/app-config.js';
import { keyOf, PlayoutLogRepository, type PlayoutFilter, type PlayoutKey, type PlayoutRecord } from './playout-log.repository.js';
import { resolvePeriod } from './report-period.js';
import { badRequest, notFound } from '../common/loa-error.js';

/** A period and an optional subtree, as the query gives them. */
export interface PlayoutQuery {
  month?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  areaCode?: string | undefined;
  /** One device only; it must lie in the reader's subtree (and in `areaCode`'s when given), else 404. */
  deviceId?: string | undefined;
}

/** A streamed download: headers decided (and refusals thrown) before the first byte. */
export interface PlayoutDownload {
  contentType: string;
  disposition: string;
  body: AsyncIterable<string>;
}

/**
 * The playout log regulators read: one row per occurrence per device, for a period on LOA_TIMEZONE and an area
 * subtree the reader may see. Scoping is decided here, not in the controller: a commune officer asking for the
 * province gets 404, one asking for nothing gets its own commune.
 */
@Injectable()
export class PlayoutLogService {
  constructor(
    private readonly repo: PlayoutLogRepository,
    private readonly scope: ScopeService,
    private readonly config: AppConfig,
  ) {}

  /** One page of JSON; `nextCursor` is null on the last page. */
  async page(user: UserPrincipal, q: PlayoutQuery & { limit: number; cursor?: string | undefined }): Promise<PlayoutLogPage> {
    const { filter } = await this.selection(user, q);
    const after = q.cursor === undefined ? null : decodeCursor(q.cursor);
    // One more than asked tells whether a next page exists without a count over the period.
    const rows = await this.repo.page(filter, after, q.limit + 1);
    const items = rows.slice(0, q.limit);
    return { items: items.map(rowView), nextCursor: rows.length > q.limit ? encodeCursor(keyOf(items[items.length - 1]!)) : null };
  }

  /** The whole period as CSV (the shared writer), streamed page by page. */
  async csv(user: UserPrincipal, q: PlayoutQuery & { format: ExportFormat }): Promise<PlayoutDownload> {
    const { filter, areaName, label } = await this.selection(user, q);
    const writer = new CsvWriter(q.format === 'iso' ? PLAYOUT_COLUMNS_ISO : playoutColumnsVi(this.config.timezone));
    return {
      contentType: 'text/csv; charset=utf-8',
      disposition: attachmentDisposition(['Nhật ký phát thanh', areaName, label], 'csv').header,
      body: writer.stream(this.repo.pages(filter)),
    };
  }

  /** The whole period as JSON lines (one PlayoutLogRow per line), streamed page by page. */
  async ndjson(user: UserPrincipal, q: PlayoutQuery): Promise<PlayoutDownload> {
    const { filter, areaName, label } = await this.selection(user, q);
    const pages = this.repo.pages(filter);
    async function* body(): AsyncGenerator<string> {
      for await (const page of pages) yield page.map((r) => `${JSON.stringify(rowView(r))}\n`).join('');
    }
    return {
      contentType: 'application/x-ndjson; charset=utf-8',
      disposition: attachmentDisposition(['Nhật ký phát thanh', areaName, label], 'ndjson').header,
      body: body(),
    };
  }

  /** The period's instants and the subtree's path pattern; 400 for a period that is none, 404 outside the scope. */
  private async selection(user: UserPrincipal, q: PlayoutQuery): Promise<{ filter: PlayoutFilter; areaName: string | null; label: string }> {
    const resolved = resolvePeriod(q, this.config.timezone);
    if (!resolved.ok) throw badRequest('report.range-invalid', { detail: resolved.reason });
    const scope = await this.scope.of(user);
    const code = q.areaCode ?? (scope.all ? null : user.areaCode);
    const { from, to, label } = resolved.period;
    let area: { code: string; name: string; path: string } | null = null;
    if (code !== null) {
      area = await this.repo.area(code);
      // Outside the reader's subtree it is reported as absent, as every read outside the scope is (area-scope.ts).
      if (!area || !scope.contains(area.code)) throw notFound('area.not-found', { id: code });
    }
    if (q.deviceId === undefined) return { filter: { from, to, pathPattern: area === null ? null : `${area.path}%` }, areaName: area?.name ?? null, label };
    const device = await this.repo.device(q.deviceId);
    // Unknown, outside the reader's subtree or outside the area asked for: the same 404.
    if (!device || !scope.contains(device.areaCode) || (area !== null && !device.areaPath.startsWith(area.path))) throw notFound('device.not-found', { id: q.deviceId });
    // The device's own name goes into the file name: "nhat-ky-phat-thanh-xa-tay-dang-loa-cho-2026-11.csv".
    return { filter: { from, to, pathPattern: area === null ? null : `${area.path}%`, deviceId: device.id }, areaName: [area?.name, device.name ?? device.id].filter((n) => n).join(' '), label };
  }
}

export const rowView = (r: PlayoutRecord): PlayoutLogRow => ({
  occurrenceId: r.occurrenceId,
  scheduleId: r.scheduleId,
  contentId: r.contentId,
  contentTitle: r.contentTitle,
  priority: r.priority,
  deviceId: r.deviceId,
  deviceName: r.deviceName,
  areaCode: r.areaCode,
  areaName: r.areaName,
  communeName: r.communeName,
  scheduledStart: new Date(r.scheduledStart).toISOString(),
  startedAt: isoInstant(r.startedAt),
  endedAt: isoInstant(r.endedAt),
  playedSeconds: r.playedMs === null ? null : r.playedMs / 1000,
  state: r.state,
  result: deliveryStateLabelVi(r.state),
  reason: r.reason,
});

/** For people: Vietnamese headers and names, Vietnam time, whole seconds (a decimal point misreads in vi locales). */
const playoutColumnsVi = (zone: string): Array<CsvColumn<PlayoutRecord>> => [
  { header: 'Nội dung', value: (r) => r.contentTitle },
  { header: 'Mức ưu tiên', value: (r) => priorityLabelVi(r.priority) },
  { header: 'Xã/phường', value: (r) => r.communeName },
  { header: 'Địa bàn', value: (r) => r.areaName },
  { header: 'Mã địa bàn', value: (r) => r.areaCode },
  { header: 'Mã thiết bị', value: (r) => r.deviceId },
  { header: 'Tên thiết bị', value: (r) => r.deviceName },
  { header: 'Giờ phát theo lịch', value: (r) => localDateTime(r.scheduledStart, zone) },
  { header: 'Bắt đầu phát', value: (r) => localDateTime(r.startedAt, zone) },
  { header: 'Kết thúc', value: (r) => localDateTime(r.endedAt, zone) },
  { header: 'Thời lượng đã phát (giây)', value: (r) => (r.playedMs === null ? null : Math.round(r.playedMs / 1000)) },
  { header: 'Kết quả', value: (r) => deliveryStateLabelVi(r.state) },
  { header: 'Lý do', value: (r) => r.reason },
  { header: 'Mã lượt phát', value: (r) => r.occurrenceId },
];

/** For API clients (`format=iso`): the JSON view's keys and values. */
const PLAYOUT_COLUMNS_ISO: ReadonlyArray<CsvColumn<PlayoutRecord>> = [
  { header: 'occurrenceId', value: (r) => r.occurrenceId },
  { header: 'scheduleId', value: (r) => r.scheduleId },
  { header: 'contentId', value: (r) => r.contentId },
  { header: 'contentTitle', value: (r) => r.contentTitle },
  { header: 'priority', value: (r) => r.priority },
  { header: 'communeName', value: (r) => r.communeName },
  { header: 'areaCode', value: (r) => r.areaCode },
  { header: 'areaName', value: (r) => r.areaName },
  { header: 'deviceId', value: (r) => r.deviceId },
  { header: 'deviceName', value: (r) => r.deviceName },
  { header: 'scheduledStart', value: (r) => isoInstant(r.scheduledStart) },
  { header: 'startedAt', value: (r) => isoInstant(r.startedAt) },
  { header: 'endedAt', value: (r) => isoInstant(r.endedAt) },
  { header: 'playedSeconds', value: (r) => (r.playedMs === null ? null : r.playedMs / 1000) },
  { header: 'state', value: (r) => r.state },
  { header: 'reason', value: (r) => r.reason },
];

const encodeCursor = (k: PlayoutKey): string => Buffer.from(JSON.stringify([k.startAt, k.occurrenceId, k.deviceId])).toString('base64url');

function decodeCursor(cursor: string): PlayoutKey {
  try {
    const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(v) && v.length === 3 && Number.isSafeInteger(v[0]) && typeof v[1] === 'string' && typeof v[2] === 'string') return { startAt: v[0] as number, occurrenceId: v[1], deviceId: v[2] };
  } catch {
    /* answered below */
  }
  throw badRequest('cursor.pass-back');
}
