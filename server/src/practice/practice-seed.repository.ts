import { Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import type { PracticeSeedRequest } from '@loa/shared/rest';
import { AreaEntity, areaCodesOf } from '../areas/area.entity.js';
import { UserEntity } from '../users/user.entity.js';
import { SettingEntity } from '../approvals/setting.entity.js';
import type { Role } from '../auth/principal.js';
import type { PracticeSeedSpec } from './practice-sandboxes.js';

/** Settings copied into a sandbox: the approval rules an installation has (nothing that holds an address or a key). */
const COPIED_SETTINGS = ['approval-rules'];

/**
 * Reads from the main database what a new sandbox starts with: the area subtree with its ancestors, the members
 * (mirrored by username, role, area and name; never a password), the approval rules. Read only on the main
 * server; inside a practice instance it stores the settings it was sent.
 */
@Injectable()
export class PracticeSeedRepository {
  constructor(private readonly db: DataSource) {}

  async build(spec: PracticeSeedSpec): Promise<PracticeSeedRequest> {
    const areaRepo = this.db.getRepository(AreaEntity);
    let areas: AreaEntity[];
    if (spec.areaCode === null) {
      areas = await areaRepo.find();
    } else {
      const root = await areaRepo.findOneBy({ code: spec.areaCode });
      if (!root) {
        areas = [];
      } else {
        const ancestors = areaCodesOf(root.path).filter((c) => c !== root.code);
        const subtree = await areaRepo.createQueryBuilder('a').where('a.path LIKE :p', { p: `${root.path}%` }).getMany();
        const above = ancestors.length > 0 ? await areaRepo.findBy({ code: In(ancestors) }) : [];
        areas = [...above, ...subtree];
      }
    }
    // Parents before children: a path is longer than its parent's.
    areas.sort((a, b) => a.path.length - b.path.length || a.path.localeCompare(b.path));
    const inSeed = new Set(areas.map((a) => a.code));
    const members = spec.memberUserIds.length > 0 ? await this.db.getRepository(UserEntity).findBy({ id: In([...spec.memberUserIds]) }) : [];
    const settings = await this.db.getRepository(SettingEntity).findBy({ key: In(COPIED_SETTINGS) });
    return {
      areas: areas.map((a) => ({ code: a.code, name: a.name, level: a.level, parentCode: a.parentCode })),
      users: members
        .filter((u) => !u.disabled)
        // A member whose area lies outside the copied tree practises as a user of the tree's root.
        .map((u) => ({ username: u.username, role: u.role as Role, areaCode: u.areaCode !== null && !inSeed.has(u.areaCode) ? spec.areaCode : u.areaCode, fullName: u.fullName ?? null })),
      settings: settings.map((s) => ({ key: s.key, value: JSON.parse(s.value) as unknown })),
      speakersPerCommune: spec.speakersPerCommune ?? 3,
      boardsPerCommune: spec.boardsPerCommune ?? 1,
    };
  }

  /** Inside the practice instance: stores the copied settings rows as they were. */
  async putSettings(rows: ReadonlyArray<{ key: string; value: unknown }>, at: number): Promise<void> {
    for (const s of rows) await this.db.getRepository(SettingEntity).upsert({ key: s.key, value: JSON.stringify(s.value), updatedBy: null, updatedAt: at }, ['key']);
  }
}
