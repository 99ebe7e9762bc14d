import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { GroupEntity } from './group.entity.js';
import { updateColumns } from '../database/update-columns.js';

@Injectable()
export class GroupsRepository {
  constructor(private readonly db: DataSource) {}

  find(id: string): Promise<GroupEntity | null> {
    return this.db.getRepository(GroupEntity).findOneBy({ id });
  }

  list(): Promise<GroupEntity[]> {
    return this.db.getRepository(GroupEntity).find({ order: { name: 'ASC' } });
  }

  async insert(g: GroupEntity): Promise<void> {
    await this.db.getRepository(GroupEntity).insert(g);
  }

  async update(g: GroupEntity): Promise<void> {
    const { id, ...rest } = g;
    await updateColumns(this.db.getRepository(GroupEntity), { id }, rest);
  }

  /** Whether any active schedule targets the group (only then does a membership change move deliveries). */
  async isTargeted(id: string): Promise<boolean> {
    const n = await this.db
      .createQueryBuilder()
      .select('COUNT(*)', 'n')
      .from('schedule_targets', 't')
      .innerJoin('schedules', 's', 's.id = t.schedule_id')
      .where("t.kind = 'group' AND t.ref = :id AND s.status = 'active'", { id })
      .getRawOne<{ n: string | number }>();
    return Number(n?.n ?? 0) > 0;
  }
}
