import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { MediaEntity } from '../media/media.entity.js';

/** Records on a synthesised media the text it speaks (media.spoken_text, issue 18). */
@Injectable()
export class SpokenTextRepository {
  constructor(private readonly db: DataSource) {}

  /**
   * The latest synthesis wins: media is content-addressed, and two texts that normalise alike (7 / bảy) give the same
   * audio; the one just typed is the one the user is about to make content from.
   */
  async record(sha256: string, text: string): Promise<void> {
    await this.db.getRepository(MediaEntity).update({ sha256 }, { spokenText: text });
  }
}
