import { Injectable } from '@nestjs/common';
import { DEFAULT_DEVICE_PAGE, type DeviceListItem, type DeviceListQuery, type DeviceListSort, type DevicePage, type DeviceView } from '@loa/shared/rest';
import { AreasService } from '../areas/areas.service.js';
import { ScopeService } from '../auth/area-scope.js';
import type { UserPrincipal } from '../auth/principal.js';
import { searchTerms } from '../common/search-text.js';
import type { DeviceEntity } from './device.entity.js';
import { DeviceListRepository, NUMERIC_SORTS, type DeviceListFilter, type DeviceListOrder, type Keyset } from './device-list.repository.js';
import { DevicesRepository } from './devices.repository.js';
import { deviceView } from './devices.service.js';
import { badRequest, notFound } from '../common/loa-error.js';

/**
 * GET /api/v1/devices (issue 14): the reader's subtree, filtered, sorted and paged in SQL. Only the page's devices get
 * their latest telemetry, revocation and alarm count. Without limit, cursor or offset it answers every matching
 * device as an array, the shape the pickers (groups, schedules, areas, credentials) still use.
 */
@Injectable()
export class DeviceListService {
  constructor(
    private readonly query: DeviceListRepository,
    private readonly devices: DevicesRepository,
    private readonly areas: AreasService,
    private readonly scope: ScopeService,
  ) {}

  async list(user: UserPrincipal, q: DeviceListQuery): Promise<DevicePage | DeviceView[]> {
    const filter = await this.filterFor(user, q);
    const paged = q.limit !== undefined || q.cursor !== undefined || q.offset !== undefined;
    if (!paged) {
      const rows = await this.query.rows(filter, { sort: q.sort ?? 'id', order: q.order }, {});
      return this.views(rows);
    }
    const order: DeviceListOrder = { sort: q.sort ?? 'name', order: q.order };
    const limit = q.limit ?? DEFAULT_DEVICE_PAGE;
    const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor, order);
    // One row more than the page says whether another page follows, without a second query.
    const [rows, counts] = await Promise.all([
      this.query.rows(filter, order, { limit: limit + 1, ...(after ? { after } : {}), ...(q.offset ? { offset: q.offset } : {}) }),
      this.query.counts(filter),
    ]);
    const more = rows.length > limit;
    const page = more ? rows.slice(0, limit) : rows;
    const [views, alarms] = await Promise.all([this.views(page), this.query.activeAlarms(page.map((d) => d.id))]);
    const last = page[page.length - 1];
    return {
      items: views.map((v): DeviceListItem => ({ ...v, activeAlarms: alarms.get(v.id) ?? 0 })),
      total: filter.status === undefined ? counts.all : counts[filter.status],
      limit,
      offset: q.cursor === undefined ? (q.offset ?? 0) : null,
      nextCursor: more && last ? encodeCursor(order, last) : null,
      counts,
    };
  }

  /** The reader's scope is the outer bound; an area outside it answers 404 as any out-of-scope read does. */
  private async filterFor(user: UserPrincipal, q: DeviceListQuery): Promise<DeviceListFilter> {
    const scope = await this.scope.of(user);
    if (q.areaCode !== undefined && !scope.contains(q.areaCode)) throw notFound('area.not-found', { id: q.areaCode });
    const areaPath = q.areaCode === undefined ? null : (await this.areas.get(q.areaCode)).path;
    return { scopePath: scope.pathPrefix, areaPath, status: q.status, kind: q.kind, terms: q.q === undefined ? [] : searchTerms(q.q) };
  }

  private async views(rows: readonly DeviceEntity[]): Promise<DeviceView[]> {
    const ids = rows.map((d) => d.id);
    const [telemetry, revoked] = await Promise.all([this.devices.latestTelemetry(ids), this.devices.revocations(ids)]);
    return rows.map((d) => deviceView(d, telemetry.get(d.id) ?? null, revoked.get(d.id) ?? null));
  }
}

/** The sort value of a device, as the repository's sort expression computes it. */
function sortValue(sort: DeviceListSort, d: DeviceEntity): string | number {
  switch (sort) {
    case 'name':
      return d.nameKey ?? '';
    case 'id':
      return d.id;
    case 'areaCode':
      return d.areaCode;
    case 'lastSeenAt':
      return d.lastSeenAt ?? 0;
    case 'presenceChangedAt':
      return d.presenceChangedAt ?? 0;
    case 'createdAt':
      return d.createdAt;
  }
}

/** Opaque to clients: the sort it belongs to, and the last row's sort value and id. */
function encodeCursor(order: DeviceListOrder, last: DeviceEntity): string {
  return Buffer.from(JSON.stringify([order.sort, order.order, sortValue(order.sort, last), last.id])).toString('base64url');
}

function decodeCursor(cursor: string, order: DeviceListOrder): Keyset {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw badRequest('cursor.invalid');
  }
  if (!Array.isArray(parsed) || parsed.length !== 4) throw badRequest('cursor.invalid');
  const [sort, dir, value, id] = parsed as unknown[];
  if (sort !== order.sort || dir !== order.order) throw badRequest('cursor.other-order');
  const valueOk = NUMERIC_SORTS.has(order.sort) ? typeof value === 'number' && Number.isSafeInteger(value) : typeof value === 'string' && value.length <= 400;
  if (!valueOk || typeof id !== 'string' || id.length === 0 || id.length > 64) throw badRequest('cursor.invalid');
  return { value: value as string | number, id };
}
