import { Injectable } from '@nestjs/common';
import { AuditNamesRepository } from './audit-names.repository.js';

/** Kinds of object an audit entry may mention by id. */
export type NamedKind = 'area' | 'user' | 'device' | 'group' | 'content' | 'schedule' | 'alert' | 'board-profile';

/**
 * Which kind of object a property holds, by its name, in snapshots and request bodies (`targets.areas`,
 * `contentId`, `approvedBy`…). A value is only named when the lookup finds it, so a loose match costs nothing.
 */
const KIND_OF_KEY: Readonly<Record<string, NamedKind>> = {
  areaCode: 'area',
  parentCode: 'area',
  areas: 'area',
  areaCodes: 'area',
  contentId: 'content',
  createdBy: 'user',
  approvedBy: 'user',
  rejectedBy: 'user',
  confirmedBy: 'user',
  cancelledBy: 'user',
  assignedTo: 'user',
  assigneeId: 'user',
  userId: 'user',
  deviceId: 'device',
  deviceIds: 'device',
  devices: 'device',
  groupId: 'group',
  groups: 'group',
  scheduleId: 'schedule',
  alertId: 'alert',
  profileId: 'board-profile',
};

const RESOURCE_KINDS = new Set<string>(['area', 'user', 'device', 'group', 'content', 'schedule', 'alert', 'board-profile']);

/** What the views need of one entry to be named. */
export interface NameableEntry {
  actorId: string | null;
  actorAreaCode: string | null;
  resourceType: string | null;
  resourceId: string | null;
  areaCode: string | null;
  before: unknown;
  after: unknown;
  detail: unknown;
}

export interface EntryNames {
  actorFullName: string | null;
  resourceName: string | null;
  areaName: string | null;
  /** id → name, for every id the entry mentions that was found. */
  names: Record<string, string>;
}

type Refs = Map<NamedKind, Set<string>>;

const MAX_WALK = 5_000;

/** Collects (kind, id) pairs under known keys, at any depth; stops after MAX_WALK values (snapshots are bounded anyway). */
function collect(value: unknown, kind: NamedKind | null, add: (k: NamedKind, id: string) => void, budget: { left: number }): void {
  if (budget.left-- <= 0 || value === null || value === undefined) return;
  if (typeof value === 'string' || typeof value === 'number') {
    if (kind) add(kind, String(value));
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collect(v, kind, add, budget);
    return;
  }
  if (typeof value === 'object') for (const [k, v] of Object.entries(value as Record<string, unknown>)) collect(v, KIND_OF_KEY[k] ?? null, add, budget);
}

/**
 * Names for a page of audit entries (issue 19: "objects show ids where names belong"): the actor's full name, the
 * object's name, the area's name and every id mentioned in before/after/request. Current names, read when the log
 * is read, with one query per kind for the whole page; the ids stay in the entry.
 */
@Injectable()
export class AuditNames {
  constructor(private readonly repo: AuditNamesRepository) {}

  async resolve(entries: readonly NameableEntry[]): Promise<EntryNames[]> {
    const perEntry: Refs[] = entries.map((e) => this.refsOf(e));
    const all: Refs = new Map();
    for (const refs of perEntry) for (const [k, ids] of refs) for (const id of ids) (all.get(k) ?? all.set(k, new Set()).get(k)!).add(id);
    for (const e of entries) if (e.actorId) (all.get('user') ?? all.set('user', new Set()).get('user')!).add(e.actorId);
    const list = (k: NamedKind) => [...(all.get(k) ?? [])];

    // A schedule is named by its content: its contents join the content lookup.
    const scheduleContent = await this.repo.scheduleContents(list('schedule'));
    const contentIds = [...list('content'), ...scheduleContent.values()];
    const [areas, users, devices, groups, contents, alerts, profiles] = await Promise.all([
      this.repo.areas(list('area')),
      this.repo.users(list('user')),
      this.repo.devices(list('device')),
      this.repo.groups(list('group')),
      this.repo.contents(contentIds),
      this.repo.alerts(list('alert')),
      this.repo.boardProfiles(list('board-profile')),
    ]);
    const nameOf = (kind: NamedKind, id: string): string | null => {
      switch (kind) {
        case 'area':
          return areas.get(id) ?? null;
        case 'user': {
          const u = users.get(id);
          return u ? (u.fullName ?? u.username) : null;
        }
        case 'device':
          return devices.get(id) ?? null;
        case 'group':
          return groups.get(id) ?? null;
        case 'content':
          return contents.get(id) ?? null;
        case 'schedule': {
          const c = scheduleContent.get(id);
          return c === undefined ? null : (contents.get(c) ?? null);
        }
        case 'alert':
          return alerts.get(id) ?? null;
        case 'board-profile':
          return profiles.get(id) ?? null;
      }
    };

    return entries.map((e, i) => {
      const names: Record<string, string> = {};
      for (const [kind, ids] of perEntry[i]!) {
        for (const id of ids) {
          const n = nameOf(kind, id);
          if (n !== null && n !== id) names[id] = n;
        }
      }
      const kind = e.resourceType !== null && RESOURCE_KINDS.has(e.resourceType) ? (e.resourceType as NamedKind) : null;
      return {
        actorFullName: e.actorId ? (users.get(e.actorId)?.fullName ?? null) : null,
        resourceName: kind && e.resourceId !== null ? nameOf(kind, e.resourceId) : null,
        areaName: e.areaCode === null ? null : (areas.get(e.areaCode) ?? null),
        names,
      };
    });
  }

  private refsOf(e: NameableEntry): Refs {
    const refs: Refs = new Map();
    const add = (k: NamedKind, id: string) => {
      if (id.length === 0 || id.length > 100) return;
      (refs.get(k) ?? refs.set(k, new Set()).get(k)!).add(id);
    };
    if (e.resourceType !== null && e.resourceId !== null && RESOURCE_KINDS.has(e.resourceType)) add(e.resourceType as NamedKind, e.resourceId);
    if (e.areaCode) add('area', e.areaCode);
    if (e.actorAreaCode) add('area', e.actorAreaCode);
    const budget = { left: MAX_WALK };
    collect(e.before, null, add, budget);
    collect(e.after, null, add, budget);
    const body = (e.detail as { body?: unknown } | null)?.body;
    if (typeof body === 'object') collect(body, null, add, budget);
    return refs;
  }
}
