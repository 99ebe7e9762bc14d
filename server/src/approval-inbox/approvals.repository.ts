import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

const CHUNK = 500;

/** What the approval queue reads beside the governed features' views. */
@Injectable()
export class ApprovalsRepository {
  constructor(private readonly db: DataSource) {}

  /**
   * Issue 19: by content id, the text its TTS media speaks (as typed) and its title, for these contents. A content not
   * made by TTS has no text entry.
   */
  async contentTexts(contentIds: readonly string[]): Promise<{ spoken: Map<string, string>; titles: Map<string, string> }> {
    const spoken = new Map<string, string>();
    const titles = new Map<string, string>();
    const ids = [...new Set(contentIds)];
    for (let i = 0; i < ids.length; i += CHUNK) {
      const rows = await this.db
        .createQueryBuilder()
        .select(['c.id AS "id"', 'c.title AS "title"', 'm.spoken_text AS "spoken"'])
        .from('contents', 'c')
        .leftJoin('media', 'm', 'm.sha256 = c.media_sha256')
        .where('c.id IN (:...ids)', { ids: ids.slice(i, i + CHUNK) })
        .getRawMany<{ id: string; title: string; spoken: unknown }>();
      for (const r of rows) {
        titles.set(r.id, r.title);
        if (typeof r.spoken === 'string' && r.spoken.trim() !== '') spoken.set(r.id, r.spoken.trim());
      }
    }
    return { spoken, titles };
  }
}
