import { Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { AreaEntity } from '../areas/area.entity.js';
import { UserEntity } from '../users/user.entity.js';

/** The reads the approval policy decides from: target area levels and the acting user. */
@Injectable()
export class ApprovalPolicyRepository {
  constructor(private readonly db: DataSource) {}

  /** The level of each of these areas that exists (one entry per area, in no particular order). */
  async areaLevels(codes: readonly string[]): Promise<string[]> {
    return (await this.db.getRepository(AreaEntity).find({ select: { code: true, level: true }, where: { code: In([...codes]) } })).map((a) => a.level);
  }

  findUser(id: string): Promise<UserEntity | null> {
    return this.db.getRepository(UserEntity).findOneBy({ id });
  }
}
