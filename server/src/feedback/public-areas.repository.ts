import { Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { AreaEntity } from '../areas/area.entity.js';
import { managerOf } from '../database/transaction-runner.js';

/** The few area facts the public page needs: communes (a ward is a commune-level unit too) and names. */
@Injectable()
export class PublicAreasRepository {
  constructor(private readonly db: DataSource) {}

  commune(code: string): Promise<AreaEntity | null> {
    return managerOf(this.db).getRepository(AreaEntity).findOneBy({ code, level: 'commune' });
  }

  /** Every commune (code, name, path): a province has a few hundred, the whole country a few thousand. */
  communes(): Promise<Pick<AreaEntity, 'code' | 'name' | 'path'>[]> {
    return managerOf(this.db)
      .getRepository(AreaEntity)
      .find({ select: { code: true, name: true, path: true }, where: { level: 'commune' }, order: { path: 'ASC' } });
  }

  /** Names by code (ancestors of a commune). */
  async names(codes: readonly string[]): Promise<Map<string, string>> {
    if (codes.length === 0) return new Map();
    const rows = await managerOf(this.db)
      .getRepository(AreaEntity)
      .find({ select: { code: true, name: true }, where: { code: In([...codes]) } });
    return new Map(rows.map((r) => [r.code, r.name]));
  }
}
