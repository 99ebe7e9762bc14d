import { Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import { MediaAudioEntity } from './media-audio.entity.js';
import { MediaJobEntity, type MediaJobState } from './media-job.entity.js';
import { MediaEntity } from './media.entity.js';

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

  // ---- processed audio (issue 6) -------------------------------------------------------------------------------

  findAudioBySource(sourceSha256: string, profile: string): Promise<MediaAudioEntity | null> {
    return this.db.getRepository(MediaAudioEntity).findOneBy({ sourceSha256, profile });
  }

  /** How each delivered file was made (the earliest source when several share it), by delivered sha256. */
  async audioOf(sha256s: string[]): Promise<Map<string, MediaAudioEntity>> {
    const out = new Map<string, MediaAudioEntity>();
    if (sha256s.length === 0) return out;
    const rows: MediaAudioEntity[] = [];
    for (let i = 0; i < sha256s.length; i += 500) {
      rows.push(...(await this.db.getRepository(MediaAudioEntity).find({ where: { sha256: In(sha256s.slice(i, i + 500)) }, order: { createdAt: 'ASC' } })));
    }
    for (const r of rows) if (!out.has(r.sha256)) out.set(r.sha256, r);
    return out;
  }

  /**
   * The media row (unless the same delivered bytes are already recorded) and how it was made, in one transaction.
   * Returns the media row that is now stored (an earlier one wins).
   */
  async insertProcessed(media: MediaEntity, audio: MediaAudioEntity): Promise<{ media: MediaEntity; created: boolean }> {
    return this.db.transaction(async (em) => {
      const existing = await em.getRepository(MediaEntity).findOneBy({ sha256: media.sha256 });
      if (!existing) await em.getRepository(MediaEntity).insert(media);
      await em.getRepository(MediaAudioEntity).save(audio);
      return { media: existing ?? media, created: !existing };
    });
  }

  // ---- jobs ----------------------------------------------------------------------------------------------------

  async insertJob(job: MediaJobEntity): Promise<void> {
    await this.db.getRepository(MediaJobEntity).insert(job);
  }

  async updateJob(id: string, patch: Partial<MediaJobEntity>): Promise<void> {
    await this.db.getRepository(MediaJobEntity).update({ id }, patch);
  }

  findJob(id: string): Promise<MediaJobEntity | null> {
    return this.db.getRepository(MediaJobEntity).findOneBy({ id });
  }

  /** Newest first. */
  listJobs(limit: number): Promise<MediaJobEntity[]> {
    return this.db.getRepository(MediaJobEntity).find({ order: { createdAt: 'DESC', id: 'ASC' }, take: limit });
  }

  jobsIn(states: MediaJobState[]): Promise<MediaJobEntity[]> {
    return this.db.getRepository(MediaJobEntity).find({ where: { state: In(states) }, order: { createdAt: 'ASC', id: 'ASC' } });
  }
}
