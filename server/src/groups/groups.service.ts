import { Inject, Injectable } from '@nestjs/common';
import { Clock } from '../common/clock.js';
import { newId } from '../common/ids.js';
import type { GroupEntity, TagRule } from './group.entity.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { DomainEvents } from '../domain-events/domain-events.js';
import { TargetResolver } from '../targeting/target-resolver.js';
import { GroupsRepository } from './groups.repository.js';
import type { GroupView } from '@loa/shared/rest';
import { badRequest, notFound } from '../common/loa-error.js';
export type { GroupView } from '@loa/shared/rest';

export interface GroupInput {
  name: string;
  deviceIds?: string[] | undefined;
  tagRule?: TagRule | null | undefined;
}

const normRule = (r: TagRule | null | undefined): TagRule | null => {
  if (!r) return null;
  const all = [...new Set(r.all ?? [])].sort();
  const any = [...new Set(r.any ?? [])].sort();
  if (all.length === 0 && any.length === 0) return null;
  return { ...(all.length ? { all } : {}), ...(any.length ? { any } : {}) };
};

/**
 * Device groups: a static list of device ids and/or a tag rule ({all, any}). Membership is evaluated when it
 * matters, so a device tagged later joins without anyone touching the group; editing a group moves the future
 * deliveries of schedules that target it onto the new members, and off the old ones.
 */
@Injectable()
export class GroupsService {
  constructor(
    private readonly repo: GroupsRepository,
    private readonly targets: TargetResolver,
    private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: AppLogger,
    private readonly events: DomainEvents,
  ) {}

  async create(input: GroupInput, userId: string): Promise<GroupView> {
    const deviceIds = await this.checkDevices(input.deviceIds ?? []);
    const tagRule = normRule(input.tagRule);
    if (deviceIds.length === 0 && !tagRule) throw badRequest('group.needs-members');
    const now = this.clock.now();
    const g: GroupEntity = { id: newId(), name: input.name, deviceIds, tagRule, createdBy: userId, createdAt: now, updatedAt: now };
    await this.repo.insert(g);
    return this.view(g);
  }

  async update(id: string, patch: Partial<GroupInput>): Promise<GroupView> {
    const g = await this.repo.find(id);
    if (!g) throw notFound('group.not-found', { id });
    const before = await this.members(g);
    const next: GroupEntity = {
      ...g,
      name: patch.name ?? g.name,
      deviceIds: patch.deviceIds === undefined ? g.deviceIds : await this.checkDevices(patch.deviceIds),
      tagRule: patch.tagRule === undefined ? g.tagRule : normRule(patch.tagRule),
      updatedAt: this.clock.now(),
    };
    if (next.deviceIds.length === 0 && !next.tagRule) throw badRequest('group.needs-members');
    await this.repo.update(next);
    const after = await this.members(next);
    if (await this.repo.isTargeted(id)) {
      // Only devices entering or leaving the group can be affected. Planning re-plans them (on group.changed); the
      // answer follows their new timelines.
      const afterSet = new Set(after);
      const beforeSet = new Set(before);
      const moved = [...before.filter((d) => !afterSet.has(d)), ...after.filter((d) => !beforeSet.has(d))];
      if (moved.length > 0) await this.events.emitAsync('group.changed', { groupId: id, deviceIds: moved });
      this.logger.info({ ctx: 'groups', groupId: id, moved: moved.length }, 'group membership changed');
    }
    return this.view(next, after);
  }

  async get(id: string): Promise<GroupView> {
    const g = await this.repo.find(id);
    if (!g) throw notFound('group.not-found', { id });
    return this.view(g);
  }

  async list(): Promise<GroupView[]> {
    return Promise.all((await this.repo.list()).map((g) => this.view(g)));
  }

  /** Static members that exist, plus devices matching the tag rule. */
  members(g: Pick<GroupEntity, 'deviceIds' | 'tagRule'>): Promise<string[]> {
    return this.targets.members(g);
  }

  private async checkDevices(ids: readonly string[]): Promise<string[]> {
    const unique = [...new Set(ids)].sort();
    const found = await this.targets.existing(unique);
    const missing = unique.filter((id) => !found.has(id));
    if (missing.length > 0) throw badRequest('device.unknown-many', { ids: missing.slice(0, 20).join(', ') });
    return unique;
  }

  private async view(g: GroupEntity, members?: string[]): Promise<GroupView> {
    const m = members ?? (await this.members(g));
    return {
      id: g.id,
      name: g.name,
      deviceIds: g.deviceIds,
      tagRule: g.tagRule,
      members: m,
      memberCount: m.length,
      createdBy: g.createdBy,
      createdAt: new Date(g.createdAt).toISOString(),
      updatedAt: new Date(g.updatedAt).toISOString(),
    };
  }
}
