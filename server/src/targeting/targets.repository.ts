import { Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import type { DeviceKind } from '@loa/shared';
import { AreaEntity } from '../areas/area.entity.js';
import { DeviceEntity } from '../devices/device.entity.js';
import { GroupEntity, type TagRule } from '../groups/group.entity.js';
import { managerOf } from '../database/transaction-runner.js';
import { tagRuleMatches } from './targeting.js';

const CHUNK = 500;

/** A device as targeting sees it. */
export interface TargetDevice {
  id: string;
  kind: DeviceKind;
}

const ref = (d: { id: string; kind: DeviceKind }): TargetDevice => ({ id: d.id, kind: d.kind });

/** The queries behind every target resolution: area subtrees, groups (list ∪ tag rule), listed devices. */
@Injectable()
export class TargetsRepository {
  constructor(private readonly db: DataSource) {}

  async areaPaths(codes: readonly string[]): Promise<Map<string, string>> {
    if (codes.length === 0) return new Map();
    const rows = await managerOf(this.db).getRepository(AreaEntity).find({ where: { code: In([...codes]) }, select: { code: true, path: true } });
    return new Map(rows.map((a) => [a.code, a.path]));
  }

  async devicesByIds(ids: readonly string[]): Promise<TargetDevice[]> {
    const out: TargetDevice[] = [];
    for (let i = 0; i < ids.length; i += CHUNK) {
      const c = ids.slice(i, i + CHUNK);
      const rows = await managerOf(this.db).getRepository(DeviceEntity).find({ where: { id: In(c) }, select: { id: true, kind: true } });
      out.push(...rows.map(ref));
    }
    return out;
  }

  /** Devices whose area lies in any of the given subtrees (by materialised path). */
  async devicesInSubtrees(paths: readonly string[]): Promise<TargetDevice[]> {
    if (paths.length === 0) return [];
    const qb = managerOf(this.db)
      .createQueryBuilder()
      .select(['d.id AS "id"', 'd.kind AS "kind"'])
      .from('devices', 'd')
      .innerJoin('areas', 'a', 'a.code = d.area_code');
    paths.forEach((p, i) => qb.orWhere(`a.path LIKE :p${i}`, { [`p${i}`]: `${p}%` }));
    return (await qb.getRawMany<{ id: string; kind: DeviceKind }>()).map(ref);
  }

  /**
   * Devices (of a kind, if given) matching a tag rule. Tags are a JSON array in a TEXT column, so the database
   * pre-filters with LIKE '%"tag"%' (portable) and the exact rule is applied here ('_' is a LIKE wildcard).
   */
  async devicesByTagRule(rule: TagRule, kind: DeviceKind | null): Promise<TargetDevice[]> {
    const all = rule.all ?? [];
    const any = rule.any ?? [];
    if (all.length === 0 && any.length === 0) return [];
    const qb = managerOf(this.db).getRepository(DeviceEntity).createQueryBuilder('d').select(['d.id', 'd.kind', 'd.tags']);
    if (kind) qb.where('d.kind = :kind', { kind });
    else qb.where('1 = 1');
    all.forEach((t, i) => qb.andWhere(`d.tags LIKE :all${i}`, { [`all${i}`]: `%"${t}"%` }));
    if (any.length > 0) qb.andWhere(`(${any.map((_, i) => `d.tags LIKE :any${i}`).join(' OR ')})`, Object.fromEntries(any.map((t, i) => [`any${i}`, `%"${t}"%`])));
    return (await qb.getMany()).filter((d) => tagRuleMatches(rule, d.tags ?? [])).map(ref);
  }

  /** Groups by id (all of them when `ids` is omitted). */
  async groups(ids?: readonly string[]): Promise<Map<string, GroupEntity>> {
    const repo = managerOf(this.db).getRepository(GroupEntity);
    const rows = ids === undefined ? await repo.find() : ids.length === 0 ? [] : await repo.findBy({ id: In([...ids]) });
    return new Map(rows.map((g) => [g.id, g]));
  }
}
