import { Inject, Injectable, InternalServerErrorException } from '@nestjs/common';
import { Metrics } from '../common/metrics.js';
import type { AppLogger } from '../logging/logger.js';
import { LOGGER } from '../logging/logging.module.js';
import { MediaRepository } from './media.repository.js';
import { MediaStorage, type OpenMedia } from './media.storage.js';
import { toMediaView, type MediaView } from './media-view.js';
import { badRequest, notFound } from '../common/loa-error.js';

/** Stored media, for the API and for other features (contents reference media by sha256). */
@Injectable()
export class MediaService {
  private readonly log: AppLogger;

  constructor(
    private readonly repo: MediaRepository,
    private readonly storage: MediaStorage,
    private readonly metrics: Metrics,
    @Inject(LOGGER) logger: AppLogger,
  ) {
    this.log = logger.child({ ctx: 'media' });
  }

  async list(): Promise<MediaView[]> {
    const all = await this.repo.list();
    const audio = await this.repo.audioOf(all.map((m) => m.sha256));
    return all.map((m) => toMediaView(m, audio.get(m.sha256) ?? null));
  }

  async get(sha256: string): Promise<MediaView> {
    const media = await this.repo.find(sha256);
    if (!media) throw notFound('media.not-found', { id: sha256 });
    return toMediaView(media, (await this.repo.audioOf([sha256])).get(sha256) ?? null);
  }

  /** For features that reference media in a request body: an unknown hash is the caller's mistake (400). */
  async require(sha256: string): Promise<MediaView> {
    const media = await this.repo.find(sha256);
    if (!media) throw badRequest('media.not-known', { id: sha256 });
    return toMediaView(media, (await this.repo.audioOf([sha256])).get(sha256) ?? null);
  }

  /** The record and its open file, for a download. 404 if unknown; 500 if the record has lost its file. */
  async open(sha256: string): Promise<{ media: MediaView; file: OpenMedia }> {
    const media = await this.repo.find(sha256);
    if (!media) throw notFound('media.not-found', { id: sha256 });
    const file = await this.storage.open(sha256);
    if (!file) {
      this.metrics.inc('media_file_missing');
      this.log.error({ sha256 }, 'media record exists but its file is missing from storage');
      throw new InternalServerErrorException(`the file of media ${sha256} is missing from storage`);
    }
    return { media: toMediaView(media), file };
  }
}
