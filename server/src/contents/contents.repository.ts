import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ContentEntity, MediaEntity } from '../database/entities.js';

@Injectable()
export class ContentsRepository {
  constructor(private readonly db: DataSource) {}

  find(id: string): Promise<ContentEntity | null> {
    return this.db.getRepository(ContentEntity).findOneBy({ id });
  }

  findMedia(sha256: string): Promise<MediaEntity | null> {
    return this.db.getRepository(MediaEntity).findOneBy({ sha256 });
  }

  list(): Promise<ContentEntity[]> {
    return this.db.getRepository(ContentEntity).find({ order: { createdAt: 'DESC' } });
  }

  async insert(content: ContentEntity): Promise<void> {
    await this.db.getRepository(ContentEntity).insert(content);
  }
}
