import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DeviceEntity } from '../devices/device.entity.js';
import { BoardProfileEntity } from './board-profile.entity.js';
import { updateColumns } from '../database/update-columns.js';

@Injectable()
export class BoardProfilesRepository {
  constructor(private readonly db: DataSource) {}

  find(id: string): Promise<BoardProfileEntity | null> {
    return this.db.getRepository(BoardProfileEntity).findOneBy({ id });
  }

  findByName(name: string): Promise<BoardProfileEntity | null> {
    return this.db.getRepository(BoardProfileEntity).findOneBy({ name });
  }

  list(): Promise<BoardProfileEntity[]> {
    return this.db.getRepository(BoardProfileEntity).find({ order: { name: 'ASC' } });
  }

  async insert(p: BoardProfileEntity): Promise<void> {
    await this.db.getRepository(BoardProfileEntity).insert(p);
  }

  async update(id: string, patch: Partial<BoardProfileEntity>): Promise<void> {
    await updateColumns(this.db.getRepository(BoardProfileEntity), { id }, patch);
  }

  async remove(id: string): Promise<void> {
    await this.db.getRepository(BoardProfileEntity).delete({ id });
  }

  async devicesUsing(id: string): Promise<string[]> {
    const rows = await this.db.getRepository(DeviceEntity).find({ select: { id: true }, where: { profileId: id } });
    return rows.map((r) => r.id).sort();
  }
}
