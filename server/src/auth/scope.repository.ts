import { Injectable } from '@nestjs/common';
import { DataSource, In, Like } from 'typeorm';
import { AreaEntity } from '../areas/area.entity.js';
import { DeviceEntity } from '../devices/device.entity.js';
import { GroupEntity } from '../groups/group.entity.js';

/** The reads area scoping is decided from: the area tree by path, and where devices are. */
@Injectable()
export class ScopeRepository {
  constructor(private readonly db: DataSource) {}

  findArea(code: string): Promise<AreaEntity | null> {
    return this.db.getRepository(AreaEntity).findOneBy({ code });
  }

  /** Codes of the areas whose path starts with `pathPrefix` (a subtree, its root included). */
  async areaCodesUnder(pathPrefix: string): Promise<string[]> {
    const areas = await this.db.getRepository(AreaEntity).find({ select: { code: true }, where: { path: Like(`${pathPrefix}%`) } });
    return areas.map((a) => a.code);
  }

  groupExists(id: string): Promise<boolean> {
    return this.db.getRepository(GroupEntity).existsBy({ id });
  }

  /** Area of each known device, 500 ids per query. */
  async deviceAreas(ids: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await this.db.getRepository(DeviceEntity).find({ select: { id: true, areaCode: true }, where: { id: In(ids.slice(i, i + 500)) } });
      for (const r of rows) out.set(r.id, r.areaCode);
    }
    return out;
  }
}
