import { Injectable } from '@nestjs/common';
import { ScopeService, type AreaScope } from '../auth/area-scope.js';
import type { UserPrincipal } from '../auth/principal.js';
import { isoOrNull as iso } from '../common/iso.js';
import { deliveryView, type DeliveryView, type ScheduleSummary } from '../deliveries/deliveries.service.js';
import { SchedulesService, type ScheduleView } from './schedules.service.js';
import { CsvWriter, type CsvColumn } from '../common/csv-export.js';
import { attachmentDisposition, localDate, localDateTime } from '../common/export-format.js';
import { AppConfig } from '../config/app-config.js';
import { deliveryStateLabelVi } from '@loa/shared';
import type { ExportFormat } from '@loa/shared/rest';
import { ScheduleVisibility, type MatrixFilter, type MatrixRow } from '../overview/schedule-visibility.repository.js';
import { notFound } from '../common/loa-error.js';

/** The delivery matrix for people: Vietnamese headers and states, Vietnam time, whole seconds. */
const matrixColumnsVi = (zone: string): Array<CsvColumn<MatrixRow>> => [
  { header: 'Mã lượt phát', value: (r) => r.occurrenceId },
  { header: 'Giờ phát theo lịch', value: (r) => localDateTime(r.occurrenceStart, zone) },
  { header: 'Mã thiết bị', value: (r) => r.deviceId },
  { header: 'Tên thiết bị', value: (r) => r.deviceName },
  { header: 'Mã địa bàn', value: (r) => r.areaCode },
  { header: 'Địa bàn', value: (r) => r.areaName },
  { header: 'Trạng thái', value: (r) => deliveryStateLabelVi(r.state) },
  { header: 'Nhận lịch lúc', value: (r) => localDateTime(r.deliveredAt, zone) },
  { header: 'Bắt đầu phát', value: (r) => localDateTime(r.startedAt, zone) },
  { header: 'Kết thúc', value: (r) => localDateTime(r.endedAt, zone) },
  // Whole seconds: a decimal point would read as a thousands separator in a Vietnamese-locale spreadsheet.
  { header: 'Thời lượng đã phát (giây)', value: (r) => (r.playedMs === null ? null : Math.round(r.playedMs / 1000)) },
  { header: 'Lý do', value: (r) => r.reason },
];

/** The machine format (`format=iso`): the keys, codes and ISO-8601 UTC instants API clients read. */
export const MATRIX_COLUMNS_ISO: ReadonlyArray<CsvColumn<MatrixRow>> = [
  { header: 'occurrenceId', value: (r) => r.occurrenceId },
  { header: 'occurrenceStart', value: (r) => iso(r.occurrenceStart) },
  { header: 'deviceId', value: (r) => r.deviceId },
  { header: 'deviceName', value: (r) => r.deviceName },
  { header: 'areaCode', value: (r) => r.areaCode },
  { header: 'areaName', value: (r) => r.areaName },
  { header: 'state', value: (r) => r.state },
  { header: 'deliveredAt', value: (r) => iso(r.deliveredAt) },
  { header: 'startedAt', value: (r) => iso(r.startedAt) },
  { header: 'endedAt', value: (r) => iso(r.endedAt) },
  { header: 'playedSeconds', value: (r) => (r.playedMs === null ? null : r.playedMs / 1000) },
  { header: 'reason', value: (r) => r.reason },
];

export interface CsvDownload {
  /** The Content-Disposition header: ASCII name and the Vietnamese one (RFC 5987). */
  disposition: string;
  body: AsyncIterable<string>;
}

/**
 * Schedule reads as a user sees them (issue 7): a schedule is readable when it reaches the user's subtree (see
 * ScheduleVisibility), and its counts, delivery matrix, summary and CSV then cover only the user's devices. Writes
 * keep the stricter rule: every target inside the subtree.
 */
@Injectable()
export class ScheduleReads {
  constructor(
    private readonly schedules: SchedulesService,
    private readonly visibility: ScheduleVisibility,
    private readonly scope: ScopeService,
    private readonly config: AppConfig,
  ) {}

  async list(user: UserPrincipal): Promise<ScheduleView[]> {
    const scope = await this.scope.of(user);
    const ids = await this.visibility.listIds(scope);
    return this.views(user, scope, ids);
  }

  async get(user: UserPrincipal, id: string): Promise<ScheduleView> {
    const scope = await this.readable(user, id);
    const [view] = await this.views(user, scope, [id]);
    if (!view) throw notFound('schedule.not-found', { id });
    return view;
  }

  async deliveries(user: UserPrincipal, id: string, f: MatrixFilter & { limit: number; offset: number }): Promise<{ items: DeliveryView[]; total: number }> {
    const scope = await this.readable(user, id);
    const page = await this.visibility.page(scope, id, f);
    return { items: page.items.map(deliveryView), total: page.total };
  }

  async summary(user: UserPrincipal, id: string): Promise<ScheduleSummary> {
    const scope = await this.readable(user, id);
    const [counts, rows] = await Promise.all([this.visibility.counts(scope, [id]), this.visibility.occurrenceCounts(scope, id)]);
    const c = counts.get(id) ?? { byState: {}, devices: 0 };
    const byOcc = new Map<string, ScheduleSummary['occurrences'][number]>();
    for (const r of rows) {
      let o = byOcc.get(r.occurrenceId);
      if (!o) {
        o = { occurrenceId: r.occurrenceId, startAt: new Date(r.startAt).toISOString(), counts: {}, total: 0 };
        byOcc.set(r.occurrenceId, o);
      }
      o.counts[r.state] = r.n;
      o.total += r.n;
    }
    return { scheduleId: id, totals: c.byState, deviceCount: c.devices, occurrences: [...byOcc.values()] };
  }

  /**
   * Checked before the first byte, so a refusal is still a proper 404; the rows are then read page by page. Named
   * "Kết quả phát <title> <reader's area> <first start date>" (ASCII-folded, with the Vietnamese as filename*).
   */
  async csv(user: UserPrincipal, id: string, f: MatrixFilter & { format: ExportFormat }): Promise<CsvDownload> {
    const scope = await this.readable(user, id);
    const zone = this.config.timezone;
    const labels = await this.visibility.exportLabels(id, scope.all ? null : user.areaCode);
    const writer = new CsvWriter(f.format === 'iso' ? MATRIX_COLUMNS_ISO : matrixColumnsVi(zone));
    const name = attachmentDisposition(['Kết quả phát', labels.title, labels.areaName, labels.startAt === null ? id : localDate(labels.startAt, zone)], 'csv');
    return { disposition: name.header, body: writer.stream(this.visibility.rows(scope, id, f)) };
  }

  /** Outside the subtree: 404 (not revealed); visible but with a target outside the subtree: 403. */
  async writable(user: UserPrincipal, id: string): Promise<void> {
    await this.readable(user, id);
    await this.scope.checkTargets(user, (await this.schedules.get(id)).targets, 'write');
  }

  private async readable(user: UserPrincipal, id: string): Promise<AreaScope> {
    await this.schedules.require(id);
    const scope = await this.scope.of(user);
    if (!(await this.visibility.isVisible(scope, id))) throw notFound('schedule.not-found', { id });
    return scope;
  }

  /**
   * Full views; for a scoped user, `summary` and `deviceCount` count its own devices only (for a schedule awaiting an
   * approver, the devices its targets would reach), and `targets.devices` lists only its own devices.
   */
  private async views(user: UserPrincipal, scope: AreaScope, ids: readonly string[]): Promise<ScheduleView[]> {
    const views = await Promise.all(ids.map((id) => this.schedules.get(id)));
    if (scope.all) return views;
    const counts = await this.visibility.counts(scope, ids);
    return Promise.all(
      views.map(async (v) => {
        const c = counts.get(v.id);
        const waiting = v.status === 'active' && (v.approval === 'pending' || v.approval === 'rejected');
        const prospective = waiting ? await this.schedules.prospectiveDevices(v.id) : null;
        const deviceCount = prospective ? await this.visibility.devicesInScope(scope, prospective) : c?.devices;
        const targets = { ...v.targets, devices: await this.scope.filterByDevice(user, v.targets.devices, (d) => d) };
        return c ? { ...v, targets, summary: c.byState, deviceCount: deviceCount ?? v.deviceCount } : { ...v, targets };
      }),
    );
  }
}
