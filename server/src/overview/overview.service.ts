import { Injectable } from '@nestjs/common';
import { AlarmsService, type AlarmView } from '../alarms/alarms.service.js';
import { ScopeService, type AreaScope } from '../auth/area-scope.js';
import { notFound } from '../common/loa-error.js';
import type { UserPrincipal } from '../auth/principal.js';
import { Clock } from '../common/clock.js';
import { AppConfig } from '../config/app-config.js';
import { localParts, zonedToUtc } from '@loa/shared';
import { OverviewRepository, type AreaRow, type CalendarRow } from './overview.repository.js';
import { ScheduleVisibility, scopePattern } from './schedule-visibility.repository.js';
import type { AreaDevices, CalendarOccurrence, Overview, OverviewArea, TodayBroadcast } from '@loa/shared/rest';
export type { AreaDevices, CalendarOccurrence, Overview, TodayBroadcast } from '@loa/shared/rest';

/**
 * Issue 19: every area of the subtree down to communes, in tree order, each with its whole subtree's devices. Before,
 * a nationwide admin saw a single row (the province) and had to drill down; a village's devices count in its commune
 * (villages are too many to list). Counted in memory over the areas and the per-area counts already read: one pass.
 */
export function areaTree(areas: readonly AreaRow[], perArea: ReadonlyArray<{ areaCode: string; total: number; online: number }>): OverviewArea[] {
  const listed = areas.filter((a) => a.level !== 'village');
  const rows = new Map<string, OverviewArea>();
  const segs = (path: string) => path.split('/').filter(Boolean);
  const top = Math.min(...listed.map((a) => segs(a.path).length));
  for (const a of listed) {
    rows.set(a.code, { areaCode: a.code, name: a.name, level: a.level, parentCode: a.parentCode, depth: segs(a.path).length - top, total: 0, online: 0, offline: 0 });
  }
  const pathOf = new Map(areas.map((a) => [a.code, a.path]));
  for (const c of perArea) {
    const path = pathOf.get(c.areaCode);
    if (path === undefined) continue;
    // The area and each of its ancestors inside the subtree: the path's segments are area codes.
    for (const code of segs(path)) {
      const r = rows.get(code);
      if (!r) continue;
      r.total += c.total;
      r.online += c.online;
      r.offline += c.total - c.online;
    }
  }
  const order = new Map(listed.map((a) => [a.code, a.path]));
  return [...rows.values()].sort((a, b) => {
    const pa = order.get(a.areaCode)!;
    const pb = order.get(b.areaCode)!;
    return pa < pb ? -1 : pa > pb ? 1 : 0;
  });
}

/** The operators' dashboard: one call for the fleet, today's broadcasts and alarms, all within the user's subtree. */
@Injectable()
export class OverviewService {
  constructor(
    private readonly repo: OverviewRepository,
    private readonly visibility: ScheduleVisibility,
    private readonly scope: ScopeService,
    private readonly alarms: AlarmsService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  async overview(user: UserPrincipal): Promise<Overview> {
    const scope = await this.scope.of(user);
    const pattern = scopePattern(scope);
    const { from, to } = this.today();
    const [areas, perArea, occ, byKind, latest] = await Promise.all([
      this.repo.areas(pattern),
      this.repo.devicesPerArea(pattern),
      this.repo.occurrenceStates(pattern, from, to),
      this.repo.activeAlarmsByKind(pattern),
      this.latestAlarms(user, scope.all),
    ]);

    // One row per child of the root (top-level areas for everyone-scope), each summing its whole subtree: the
    // child is the path segment right after the root's path.
    const rootPath = scope.pathPrefix ?? '/';
    const byCode = new Map(areas.map((a) => [a.code, a]));
    const rows = new Map<string, AreaDevices>();
    const row = (code: string): AreaDevices | null => {
      let r = rows.get(code);
      const a = byCode.get(code);
      if (!r && a) rows.set(code, (r = { areaCode: a.code, name: a.name, level: a.level, total: 0, online: 0, offline: 0 }));
      return r ?? null;
    };
    for (const a of areas) {
      const child = a.path.startsWith(rootPath) ? a.path.slice(rootPath.length).split('/')[0] : undefined;
      if (child) row(child);
    }
    let total = 0;
    let online = 0;
    for (const c of perArea) {
      total += c.total;
      online += c.online;
      const path = byCode.get(c.areaCode)?.path;
      if (path === undefined || !path.startsWith(rootPath)) continue;
      // Devices directly on the root area get the root's own row.
      const r = row(path.slice(rootPath.length).split('/')[0] || c.areaCode);
      if (!r) continue;
      r.total += c.total;
      r.online += c.online;
      r.offline += c.total - c.online;
    }
    const byArea = [...rows.values()].sort((a, b) => (a.areaCode < b.areaCode ? -1 : a.areaCode > b.areaCode ? 1 : 0));
    const tree = areaTree(areas, perArea);

    const broadcasts = new Map<string, TodayBroadcast>();
    for (const r of occ) {
      let b = broadcasts.get(r.occurrenceId);
      if (!b) {
        b = {
          scheduleId: r.scheduleId,
          occurrenceId: r.occurrenceId,
          contentId: r.contentId,
          contentTitle: r.contentTitle,
          contentKind: r.contentKind,
          priority: r.priority,
          startAt: new Date(r.startAt).toISOString(),
          durationMs: r.durationMs,
          total: 0,
          counts: {},
        };
        broadcasts.set(r.occurrenceId, b);
      }
      b.counts[r.state] = r.n;
      b.total += r.n;
    }

    return {
      devices: { total, online, offline: total - online, byArea, areas: tree },
      today: { from: new Date(from).toISOString(), to: new Date(to).toISOString(), broadcasts: [...broadcasts.values()] },
      alarms: { active: Object.values(byKind).reduce((a, b) => a + b, 0), byKind, latest },
    };
  }

  /** Occurrences starting in [from, to) of the schedules the user may read, for a calendar. */
  async occurrences(user: UserPrincipal, from: number, to: number, areaCode?: string): Promise<CalendarOccurrence[]> {
    const scope = await this.areaScope(user, areaCode);
    const candidates = await this.repo.schedulesStartingIn(from, to);
    const visible = [...(await this.visibility.visibleIds(scope, candidates))];
    const rows = await this.repo.calendar(visible, scopePattern(scope), from, to);
    return rows.map((r) => ({ ...r, startAt: new Date(r.startAt).toISOString(), endAt: new Date(r.startAt + r.durationMs).toISOString() }));
  }

  /**
   * Issue 19, the calendar's area filter: the subtree of `areaCode`, which must lie in the user's own (404 otherwise,
   * the same answer for an area outside it and one that does not exist); the user's own subtree without it.
   */
  private async areaScope(user: UserPrincipal, areaCode: string | undefined): Promise<AreaScope> {
    const own = await this.scope.of(user);
    if (areaCode === undefined) return own;
    if (!own.contains(areaCode)) throw notFound(own.all ? 'area.not-found' : 'calendar.area-outside', { id: areaCode });
    const sub = await this.scope.of({ ...user, areaCode });
    if (!sub.contains(areaCode)) throw notFound('area.not-found', { id: areaCode });
    return sub;
  }

  /** Today in LOA_TIMEZONE: [local midnight, next local midnight). */
  private today(): { from: number; to: number } {
    const zone = this.config.timezone;
    const p = localParts(this.clock.now(), zone);
    const next = new Date(Date.UTC(p.y, p.m - 1, p.d + 1));
    return { from: zonedToUtc(p.y, p.m, p.d, 0, 0, 0, zone), to: zonedToUtc(next.getUTCFullYear(), next.getUTCMonth() + 1, next.getUTCDate(), 0, 0, 0, zone) };
  }

  private async latestAlarms(user: UserPrincipal, all: boolean): Promise<AlarmView[]> {
    if (all) return this.alarms.list({ active: true, limit: 10 });
    if (user.areaCode === null) return [];
    // The user's area may have been removed meanwhile: then there is nothing of it to show.
    return this.alarms.list({ active: true, areaCode: user.areaCode, limit: 10 }).catch(() => []);
  }
}
