import { Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { AreaEntity } from '../database/entities.js';

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
}
