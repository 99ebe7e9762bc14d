import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AreaEntity } from '../areas/area.entity.js';

/** What accounts need from the database beyond AuthRepository (which owns the user rows). */
@Injectable()
export class UsersRepository {
  constructor(private readonly db: DataSource) {}

  areaExists(code: string): Promise<boolean> {
    return this.db.getRepository(AreaEntity).existsBy({ code });
  }
}
