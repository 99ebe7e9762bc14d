import { Injectable } from '@nestjs/common';
import type { ScheduleResultDeliveriesQuery, ScheduleResultDeliveryPage, ScheduleResults, ScheduleResultsQuery } from '@loa/shared/rest';
import { ScopeService, type AreaScope } from '../auth/area-scope.js';
import type { UserPrincipal } from '../auth/principal.js';
import { isoOrNull as iso } from '../common/iso.js';
import { badRequest, forbidden, notFound } from '../common/loa-error.js';
import { ScheduleVisibility } from '../overview/schedule-visibility.repository.js';
import { areaCodesOf } from '../areas/area.entity.js';
import { ScheduleResultsRepository, type AreaRow } from './schedule-results.repository.js';
import { areaRows, commonPath, groupLevel, levelAboveArea, tally } from './schedule-results.js';

const ref = (a: AreaRow) => ({ code: a.code, name: a.name, level: a.level });

/**
 * Issue 19: a schedule's results by area, and the devices behind them, as the caller may see them: the schedule
 * must reach the caller's subtree (else 404, as for the schedule itself), only the caller's devices are counted,
 * and an area asked for must lie inside the subtree (403) and exist (404).
 */
@Injectable()
export class ScheduleResultsService {
  constructor(
    private readonly repo: ScheduleResultsRepository,
    private readonly visibility: ScheduleVisibility,
    private readonly scopes: ScopeService,
  ) {}

  async results(user: UserPrincipal, scheduleId: string, q: ScheduleResultsQuery): Promise<ScheduleResults> {
    const scope = await this.readable(user, scheduleId);
    const filter = { scheduleId, occurrenceId: q.occurrenceId, scopePattern: scope.pathPattern };
    let root: AreaRow | null;
    if (q.areaCode) root = await this.areaInScope(scope, q.areaCode);
    else {
      // The smallest area holding every delivery the caller sees: a district-wide bulletin opens on the district.
      const common = commonPath(await this.repo.devicePaths(filter));
      root = common ? await this.repo.areaByPath(common) : user.areaCode ? await this.repo.area(user.areaCode) : null;
    }
    const empty = { scheduleId, occurrenceId: q.occurrenceId ?? null, total: 0, delivered: 0, played: 0, failed: 0, pct: 0, byState: {} };
    if (!root) return { ...empty, area: null, path: [], level: q.level ?? 'commune', areas: [] };
    const level = groupLevel(root.level, q.level);
    if (levelAboveArea(root.level, level)) throw badRequest('results.level-above-area', { level, area: root.name });
    const counts = await this.repo.countsByArea(filter, root, level);
    const ancestors = (await this.repo.areas(areaCodesOf(root.path).filter((c) => c !== root.code))).filter((a) => scope.contains(a.code));
    const { total, delivered, played, failed, pct, byState } = tally(counts);
    return { ...empty, area: ref(root), path: ancestors.map(ref), level, total, delivered, played, failed, pct, byState, areas: areaRows(counts) };
  }

  async deliveries(user: UserPrincipal, scheduleId: string, q: ScheduleResultDeliveriesQuery): Promise<ScheduleResultDeliveryPage> {
    const scope = await this.readable(user, scheduleId);
    const areaPath = q.areaCode ? (await this.areaInScope(scope, q.areaCode)).path : null;
    const page = await this.repo.page({ scheduleId, occurrenceId: q.occurrenceId, scopePattern: scope.pathPattern, areaPath, state: q.state }, q.limit, q.offset);
    return {
      total: page.total,
      items: page.items.map((r) => ({
        occurrenceId: r.occurrenceId,
        occurrenceStartAt: new Date(r.occurrenceStartAt).toISOString(),
        deviceId: r.deviceId,
        deviceName: r.deviceName,
        areaCode: r.areaCode,
        areaName: r.areaName,
        state: r.state,
        queuedAt: new Date(r.queuedAt).toISOString(),
        deliveredAt: iso(r.deliveredAt),
        startedAt: iso(r.startedAt),
        endedAt: iso(r.endedAt),
        playedMs: r.playedMs,
        heardMs: r.heardMs,
        itemMs: r.itemMs,
        reason: r.reason,
      })),
    };
  }

  /** The schedule exists and reaches the caller's subtree; its existence is not revealed otherwise. */
  private async readable(user: UserPrincipal, scheduleId: string): Promise<AreaScope> {
    if (!(await this.repo.scheduleExists(scheduleId))) throw notFound('schedule.not-found', { id: scheduleId });
    const scope = await this.scopes.of(user);
    if (!(await this.visibility.isVisible(scope, scheduleId))) throw notFound('schedule.not-found', { id: scheduleId });
    return scope;
  }

  private async areaInScope(scope: AreaScope, code: string): Promise<AreaRow> {
    const area = await this.repo.area(code);
    if (!area) throw notFound('area.not-found', { id: code });
    if (!scope.contains(code)) throw forbidden('scope.outside');
    return area;
  }
}
