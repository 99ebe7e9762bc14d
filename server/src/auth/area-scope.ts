import { ForbiddenException, Injectable, NotFoundException, Optional } from '@nestjs/common';
import { TargetResolver } from '../targeting/target-resolver.js';
import type { UserPrincipal } from './principal.js';
import { ScopeRepository } from './scope.repository.js';
import { forbidden, notFound } from '../common/loa-error.js';

/** Reading a resource outside the subtree answers 404 (its existence is not revealed); writing to it answers 403. */
export type Access = 'read' | 'write';

/** The area subtree a user may see and act on. Admins (and users without an area) of role admin see everything. */
export class AreaScope {
  constructor(
    /** Null: everything (admin). */
    readonly pathPrefix: string | null,
    /** Codes of the areas in the subtree; null for everything. */
    private readonly codes: ReadonlySet<string> | null,
  ) {}

  get all(): boolean {
    return this.codes === null;
  }

  /** The subtree as a LIKE pattern on `areas.path`, for scoping in SQL; null for everything. */
  get pathPattern(): string | null {
    return this.pathPrefix === null ? null : `${this.pathPrefix}%`;
  }

  contains(areaCode: string): boolean {
    return this.codes === null || this.codes.has(areaCode);
  }

  filter<T>(items: readonly T[], areaOf: (item: T) => string): T[] {
    return this.codes === null ? [...items] : items.filter((i) => this.contains(areaOf(i)));
  }
}

/**
 * The one place where area scoping is decided. Controllers call it once per route: `check*` for a single resource or a
 * write's targets, `filter*` for lists. Roles are checked before (the @Roles guard); this only decides "where".
 */
@Injectable()
export class ScopeService {
  constructor(
    private readonly repo: ScopeRepository,
    /** A group's current members (static list ∪ tag rule), as planning and commands resolve them. */
    @Optional() private readonly targets?: TargetResolver,
  ) {}

  async of(user: UserPrincipal): Promise<AreaScope> {
    if (user.role === 'admin' && user.areaCode === null) return new AreaScope(null, null);
    if (user.areaCode === null) return new AreaScope('/nowhere/', new Set()); // misconfigured: sees nothing
    const root = await this.repo.findArea(user.areaCode);
    if (!root) return new AreaScope('/nowhere/', new Set());
    return new AreaScope(root.path, new Set(await this.repo.areaCodesUnder(root.path)));
  }

  /** An area given by code (a target, a filter, a path parameter). */
  async checkArea(user: UserPrincipal, code: string, access: Access): Promise<void> {
    const scope = await this.of(user);
    if (!scope.contains(code)) refuse(access, 'area', code);
  }

  async checkDevice(user: UserPrincipal, deviceId: string, access: Access): Promise<void> {
    await this.checkDevices(user, [deviceId], access);
  }

  /** Unknown devices pass (the service answers 404/400 for them as it would for anyone). */
  async checkDevices(user: UserPrincipal, deviceIds: readonly string[], access: Access): Promise<void> {
    const scope = await this.of(user);
    if (scope.all || deviceIds.length === 0) return;
    const areas = await this.repo.deviceAreas(deviceIds);
    for (const id of deviceIds) {
      const area = areas.get(id);
      if (area !== undefined && !scope.contains(area)) refuse(access, 'device', id);
    }
  }

  /** A group is inside the subtree when every current member is. */
  async checkGroup(user: UserPrincipal, groupId: string, access: Access): Promise<void> {
    const scope = await this.of(user);
    if (scope.all) return;
    const members = this.targets ? await this.targets.groupMembers(groupId) : null;
    if (members === null) {
      if (!(await this.repo.groupExists(groupId))) return;
      refuse(access, 'group', groupId);
    }
    await this.checkDevices(user, members, access).catch(() => refuse(access, 'group', groupId));
  }

  /** Targets of a schedule or a command: every area, group and device must lie inside the subtree. */
  async checkTargets(user: UserPrincipal, t: { areas?: readonly string[]; groups?: readonly string[]; devices?: readonly string[] }, access: Access): Promise<void> {
    for (const a of t.areas ?? []) await this.checkArea(user, a, access);
    for (const g of t.groups ?? []) await this.checkGroup(user, g, access);
    await this.checkDevices(user, t.devices ?? [], access);
  }

  async inScope(user: UserPrincipal, check: (u: UserPrincipal) => Promise<void>): Promise<boolean> {
    try {
      await check(user);
      return true;
    } catch (err) {
      if (err instanceof NotFoundException || err instanceof ForbiddenException) return false;
      throw err;
    }
  }

  /** Keeps the items whose device lies inside the subtree (unknown devices are dropped for scoped users). */
  async filterByDevice<T>(user: UserPrincipal, items: readonly T[], deviceOf: (item: T) => string): Promise<T[]> {
    const scope = await this.of(user);
    if (scope.all) return [...items];
    const areas = await this.repo.deviceAreas([...new Set(items.map(deviceOf))]);
    return items.filter((i) => {
      const area = areas.get(deviceOf(i));
      return area !== undefined && scope.contains(area);
    });
  }

  async filterByArea<T>(user: UserPrincipal, items: readonly T[], areaOf: (item: T) => string): Promise<T[]> {
    return (await this.of(user)).filter(items, areaOf);
  }
}

type ScopedObject = 'area' | 'device' | 'group';

/** Reading hides what lies outside the subtree (404, as if absent); writing says it is outside (403). */
function refuse(access: Access, object: ScopedObject, id: string): never {
  if (access === 'read') throw notFound(`${object}.not-found`, { id });
  throw forbidden('scope.outside-object', { object, id });
}
