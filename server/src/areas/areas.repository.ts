import { Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { DeviceEntity } from '../devices/device.entity.js';
import { AreaEntity } from './area.entity.js';
import type { AreaWrite } from './areas-csv.js';

@Injectable()
export class AreasRepository {
  constructor(private readonly db: DataSource) {}

  find(code: string): Promise<AreaEntity | null> {
    return this.db.getRepository(AreaEntity).findOneBy({ code });
  }

  findMany(codes: string[]): Promise<AreaEntity[]> {
    return codes.length === 0 ? Promise.resolve([]) : this.db.getRepository(AreaEntity).findBy({ code: In(codes) });
  }

  list(): Promise<AreaEntity[]> {
    return this.db.getRepository(AreaEntity).find({ order: { path: 'ASC' } });
  }

  async insert(area: AreaEntity): Promise<void> {
    await this.db.getRepository(AreaEntity).insert(area);
  }

  /** One transaction: new areas (parents first, as given) and changed ones (name, level, parent, path). */
  async applyImport(creates: readonly AreaWrite[], updates: readonly AreaWrite[], now: number): Promise<void> {
    await this.db.transaction(async (m) => {
      const repo = m.getRepository(AreaEntity);
      for (let i = 0; i < creates.length; i += 500) await repo.insert(creates.slice(i, i + 500).map((a) => ({ ...a, createdAt: now })));
      for (const a of updates) await repo.update({ code: a.code }, { name: a.name, level: a.level, parentCode: a.parentCode, path: a.path });
    });
  }

  async deviceIdsIn(areaCodes: readonly string[]): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < areaCodes.length; i += 500) {
      const rows = await this.db.getRepository(DeviceEntity).find({ select: { id: true }, where: { areaCode: In(areaCodes.slice(i, i + 500)) } });
      ids.push(...rows.map((r) => r.id));
    }
    return ids;
  }
}
