import { Injectable } from '@nestjs/common';
import type { DeviceKind } from '@loa/shared';
import type { GroupEntity } from '../groups/group.entity.js';
import { TargetsRepository, type TargetDevice } from './targets.repository.js';
import { badRequest } from '../common/loa-error.js';

/** What a schedule targets: area subtrees, groups and listed devices. */
export interface TargetSpec {
  areas: string[];
  groups: string[];
  devices: string[];
}

/** What a command targets: exactly one device, group or area subtree. */
export type SingleTarget = { deviceId: string } | { groupId: string } | { areaCode: string };

/**
 * The one place that turns targets (areas, groups with their tag rules, devices) into device ids, for planning,
 * commands and area scoping. Areas cover their whole subtree as it is now; a group is its listed devices that
 * exist plus the devices its tag rule matches now.
 */
@Injectable()
export class TargetResolver {
  constructor(private readonly repo: TargetsRepository) {}

  /**
   * Devices of `kinds` (one kind or several, see reachedKinds) reached by the targets, sorted. `strict`: unknown
   * codes, groups or ids, or a listed device of another kind, refuse the whole request (400), so an operator's typo
   * never silently narrows a broadcast; not strict (re-planning stored targets): whatever no longer exists is skipped.
   */
  async resolve(targets: TargetSpec, kinds: DeviceKind | readonly DeviceKind[], strict: boolean): Promise<string[]> {
    const wanted: readonly DeviceKind[] = typeof kinds === 'string' ? [kinds] : kinds;
    const fits = (d: { kind: DeviceKind }): boolean => wanted.includes(d.kind);
    const areas = [...new Set(targets.areas)];
    const listed = [...new Set(targets.devices)];
    const groupIds = [...new Set(targets.groups)];
    const paths = await this.repo.areaPaths(areas);
    if (strict) {
      const missing = areas.filter((c) => !paths.has(c));
      if (missing.length > 0) throw badRequest('area.unknown-codes', { ids: missing.join(', ') });
    }
    const found = await this.repo.devicesByIds(listed);
    if (strict) {
      const foundIds = new Set(found.map((d) => d.id));
      const missing = listed.filter((id) => !foundIds.has(id));
      if (missing.length > 0) throw badRequest('device.unknown-many', { ids: missing.slice(0, 20).join(', ') });
      const wrongKind = found.filter((d) => !fits(d)).map((d) => d.id);
      if (wrongKind.length > 0) throw badRequest('device.wrong-kind', { ids: wrongKind.slice(0, 20).join(', '), kind: wanted.join(' or ') });
    }
    const groups = await this.repo.groups(groupIds);
    if (strict) {
      const missing = groupIds.filter((g) => !groups.has(g));
      if (missing.length > 0) throw badRequest('group.unknown-many', { ids: missing.join(', ') });
    }
    const ids = new Set(found.filter(fits).map((d) => d.id));
    for (const d of await this.repo.devicesInSubtrees(areas.flatMap((a) => paths.get(a) ?? []))) if (fits(d)) ids.add(d.id);
    for (const g of groups.values()) for (const d of await this.groupDevices(g, wanted.length === 1 ? wanted[0]! : null)) if (fits(d)) ids.add(d.id);
    return [...ids].sort();
  }

  /**
   * A command's target: its devices, of `kind` when given, sorted; 400 when the target is unknown,
   * a listed device cannot render, or nothing is left.
   */
  async resolveOne(target: SingleTarget, kind: DeviceKind | null): Promise<TargetDevice[]> {
    let devices: TargetDevice[];
    if ('deviceId' in target) {
      devices = await this.repo.devicesByIds([target.deviceId]);
      if (devices.length === 0) throw badRequest('device.unknown', { id: target.deviceId });
      if (kind && devices[0]!.kind !== kind) throw badRequest('device.wrong-kind-one', { id: target.deviceId, kind });
    } else if ('groupId' in target) {
      const g = (await this.repo.groups([target.groupId])).get(target.groupId);
      if (!g) throw badRequest('group.unknown', { id: target.groupId });
      devices = await this.groupDevices(g, null);
    } else {
      const path = (await this.repo.areaPaths([target.areaCode])).get(target.areaCode);
      if (path === undefined) throw badRequest('area.unknown-code', { id: target.areaCode });
      devices = await this.repo.devicesInSubtrees([path]);
    }
    const byId = new Map(devices.filter((d) => !kind || d.kind === kind).map((d) => [d.id, d]));
    if (byId.size === 0) throw kind ? badRequest('target.no-device-of-kind', { kind }) : badRequest('target.no-device');
    return [...byId.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  /** A group's current members, sorted. */
  async members(group: Pick<GroupEntity, 'deviceIds' | 'tagRule'>): Promise<string[]> {
    return [...new Set((await this.groupDevices(group, null)).map((d) => d.id))].sort();
  }

  /** A stored group's current members; null when there is no such group. */
  async groupMembers(groupId: string): Promise<string[] | null> {
    const g = (await this.repo.groups([groupId])).get(groupId);
    return g ? this.members(g) : null;
  }

  /** Every group, for matching devices against many schedules' targets at once (targetsReach). */
  groups(): Promise<Map<string, GroupEntity>> {
    return this.repo.groups();
  }

  /** Which of these ids are devices (a group's static list is checked against it). */
  async existing(ids: readonly string[]): Promise<Set<string>> {
    return new Set((await this.repo.devicesByIds(ids)).map((d) => d.id));
  }

  /** Listed devices that exist plus tag-rule matches, of `kind` when given. */
  private async groupDevices(g: Pick<GroupEntity, 'deviceIds' | 'tagRule'>, kind: DeviceKind | null): Promise<TargetDevice[]> {
    const byId = new Map((await this.repo.devicesByIds(g.deviceIds)).filter((d) => !kind || d.kind === kind).map((d) => [d.id, d]));
    if (g.tagRule) for (const d of await this.repo.devicesByTagRule(g.tagRule, kind)) byId.set(d.id, d);
    return [...byId.values()];
  }
}
