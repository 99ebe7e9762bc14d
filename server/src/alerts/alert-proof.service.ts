import { Injectable } from '@nestjs/common';
import { ALERT_DELIVERY_STATES, type AlertAreaCounts, type AlertBannerItem, type AlertDeliveryPage, type AlertDeliveryQuery, type AlertDeliveryState, type AlertSummary } from '@loa/shared/rest';
import type { AreaScope } from '../auth/area-scope.js';
import { Clock } from '../common/clock.js';
import { isoOrNull as iso } from '../common/iso.js';
import type { AlertEntity } from './alert.entity.js';
import { AlertDeliveriesRepository, type AreaStateCount } from './alert-deliveries.repository.js';
import { AlertsRepository } from './alerts.repository.js';
import { badRequest } from '../common/loa-error.js';

/** An alert sent "now" starts this little after it was accepted at most (LOA_ALERT_LEAD_MS ≤ 10 s): the banner shows it already. */
const SEND_LEAD_SLACK_MS = 10_000;

/** Reached the device: it reported delivered or anything after (a withdrawal of what it held included). */
const reached = (c: AreaStateCount): boolean => c.state !== 'expected' && c.state !== 'withdrawn';

interface Tally {
  total: number;
  delivered: number;
  played: number;
  failed: number;
}
const emptyTally = (): Tally => ({ total: 0, delivered: 0, played: 0, failed: 0 });
function add(t: Tally, c: AreaStateCount): void {
  t.total += c.n;
  t.played += c.played;
  if (reached(c)) t.delivered += c.n;
  else if (c.state === 'withdrawn') t.delivered += c.played; // withdrawn while playing: it had reached the device
  if (c.state === 'failed') t.failed += c.n;
}

/** Pure: an alert's summary from its counts by (device area, state), grouped under the alert's area and its children. */
export function summarise(alertId: string, root: { code: string; name: string; path: string }, children: ReadonlyArray<{ code: string; name: string; path: string }>, counts: readonly AreaStateCount[], updatedAt: number): AlertSummary {
  const byState = Object.fromEntries(ALERT_DELIVERY_STATES.map((s) => [s, 0])) as Record<AlertDeliveryState, number>;
  const all = emptyTally();
  const byChild = new Map(children.map((c) => [c.code, emptyTally()]));
  for (const c of counts) {
    byState[c.state] += c.n;
    add(all, c);
    // The child holding the device's area: the path's next segment below the alert's area (none: the area itself).
    if (!c.areaPath.startsWith(root.path)) continue;
    const childCode = c.areaPath.slice(root.path.length).split('/')[0];
    const t = childCode ? byChild.get(childCode) : undefined;
    if (t) add(t, c);
  }
  const row = (a: { code: string; name: string }, t: Tally): AlertAreaCounts => ({ areaCode: a.code, name: a.name, ...t });
  const childRows = children.map((c) => row(c, byChild.get(c.code)!)).sort((a, b) => b.failed - a.failed || a.name.localeCompare(b.name) || a.areaCode.localeCompare(b.areaCode));
  return { alertId, total: all.total, byState, areas: [row(root, all), ...childRows], updatedAt: new Date(updatedAt).toISOString() };
}

/** Issue 18: where an alert played — its summary by area, its per-device records, and the banner of alerts in force. */
@Injectable()
export class AlertProofService {
  constructor(
    private readonly alerts: AlertsRepository,
    private readonly deliveries: AlertDeliveriesRepository,
    private readonly clock: Clock,
  ) {}

  async summary(alert: AlertEntity): Promise<AlertSummary> {
    const [areas, counts, last] = await Promise.all([this.alerts.areaWithChildren(alert.areaCode), this.deliveries.countsByArea(alert.id), this.deliveries.lastUpdate(alert.id)]);
    const root = areas[0] ?? { code: alert.areaCode, name: alert.areaCode, path: `/${alert.areaCode}/` };
    return summarise(alert.id, root, areas.slice(1), counts, last ?? alert.sentAt);
  }

  async page(alert: AlertEntity, q: AlertDeliveryQuery): Promise<AlertDeliveryPage> {
    let areaPath: string | undefined;
    if (q.areaCode) {
      const path = await this.alerts.areaPath(q.areaCode);
      if (path === null) throw badRequest('area.unknown-code', { id: q.areaCode });
      areaPath = path;
    }
    const r = await this.deliveries.page(alert.id, { state: q.state, areaPath, limit: q.limit, offset: q.offset });
    return {
      total: r.total,
      items: r.items.map((d) => ({ ...d, deliveredAt: iso(d.deliveredAt), startedAt: iso(d.startedAt), endedAt: iso(d.endedAt) })),
    };
  }

  /**
   * Alerts in force whose area covers part of the user's scope or lies inside it: a commune officer sees the
   * province's alert (it covers their commune), a province operator each commune's.
   */
  async banner(scope: AreaScope): Promise<AlertBannerItem[]> {
    const inForce = (await this.alerts.inForce(this.clock.now(), SEND_LEAD_SLACK_MS)).filter(({ areaPath }) => {
      const mine = scope.pathPrefix;
      return mine === null || areaPath.startsWith(mine) || mine.startsWith(areaPath);
    });
    const totals = await this.deliveries.totals(inForce.map((a) => a.alert.id));
    return inForce.map(({ alert, areaName }) => ({
      id: alert.id,
      areaCode: alert.areaCode,
      areaName,
      title: alert.title,
      priority: alert.priority,
      source: alert.source ?? 'manual',
      effectiveAt: new Date(alert.effectiveAt).toISOString(),
      expiresAt: new Date(alert.expiresAt).toISOString(),
      total: totals.get(alert.id)?.total ?? 0,
      played: totals.get(alert.id)?.played ?? 0,
    }));
  }
}
