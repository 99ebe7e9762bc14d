import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { MediaEntity } from '../database/entities.js';

@Injectable()
export class MediaRepository {
  constructor(private readonly db: DataSource) {}

  find(sha256: string): Promise<MediaEntity | null> {
    return this.db.getRepository(MediaEntity).findOneBy({ sha256 });
  }

  /** Newest first. */
  list(): Promise<MediaEntity[]> {
    return this.db.getRepository(MediaEntity).find({ order: { createdAt: 'DESC', sha256: 'ASC' } });
  }

  async insert(media: MediaEntity): Promise<void> {
    await this.db.getRepository(MediaEntity).insert(media);
  }
}
