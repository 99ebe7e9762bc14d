import { Injectable, NotFoundException } from '@nestjs/common';
import { ScopeService, type AreaScope } from '../auth/area-scope.js';
import type { UserPrincipal } from '../auth/principal.js';
import { isoOrNull as iso } from '../common/iso.js';
import { deliveryView, type DeliveryView, type ScheduleSummary } from '../deliveries/deliveries.service.js';
import { SchedulesService, type ScheduleView } from './schedules.service.js';
import { csvLine, UTF8_BOM } from '../common/csv.js';
import { ScheduleVisibility, type MatrixFilter, type MatrixRow } from '../overview/schedule-visibility.repository.js';

export const CSV_HEADER = ['occurrenceId', 'occurrenceStart', 'deviceId', 'deviceName', 'areaCode', 'areaName', 'state', 'deliveredAt', 'startedAt', 'endedAt', 'playedSeconds', 'reason'];

export interface CsvDownload {
  filename: string;
  body: AsyncIterable<string>;
}

const csvRow = (r: MatrixRow): string =>
  csvLine([
    r.occurrenceId,
    iso(r.occurrenceStart),
    r.deviceId,
    r.deviceName,
    r.areaCode,
    r.areaName,
    r.state,
    iso(r.deliveredAt),
    iso(r.startedAt),
    iso(r.endedAt),
    r.playedMs === null ? null : r.playedMs / 1000,
    r.reason,
  ]);

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
  ) {}

  async list(user: UserPrincipal): Promise<ScheduleView[]> {
    const scope = await this.scope.of(user);
    const ids = await this.visibility.listIds(scope);
    return this.views(user, scope, ids);
  }

  async get(user: UserPrincipal, id: string): Promise<ScheduleView> {
    const scope = await this.readable(user, id);
    const [view] = await this.views(user, scope, [id]);
    if (!view) throw new NotFoundException(`schedule ${id} not found`);
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

  /** Checked before the first byte, so a refusal is still a proper 404; the rows are then read page by page. */
  async csv(user: UserPrincipal, id: string, f: MatrixFilter): Promise<CsvDownload> {
    const scope = await this.readable(user, id);
    const visibility = this.visibility;
    async function* body(): AsyncGenerator<string> {
      yield UTF8_BOM + csvLine(CSV_HEADER);
      for await (const page of visibility.rows(scope, id, f)) yield page.map(csvRow).join('');
    }
    return { filename: `deliveries-${id.replace(/[^A-Za-z0-9._-]/g, '_')}.csv`, body: body() };
  }

  /** Outside the subtree: 404 (not revealed); visible but with a target outside the subtree: 403. */
  async writable(user: UserPrincipal, id: string): Promise<void> {
    await this.readable(user, id);
    await this.scope.checkTargets(user, (await this.schedules.get(id)).targets, 'write');
  }

  private async readable(user: UserPrincipal, id: string): Promise<AreaScope> {
    await this.schedules.require(id);
    const scope = await this.scope.of(user);
    if (!(await this.visibility.isVisible(scope, id))) throw new NotFoundException(`schedule ${id} not found`);
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
