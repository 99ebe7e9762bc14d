import { Inject, Injectable, PayloadTooLargeException } from '@nestjs/common';
import { Transform, type Readable } from 'node:stream';
import { Clock } from '../common/clock.js';
import type { BoardProfileEntity } from '../board-profiles/board-profile.entity.js';
import type { ContentImageVariantEntity } from './content-image-variant.entity.js';
import type { ContentEntity } from './content.entity.js';
import type { AppLogger } from '../logging/logger.js';
import { LOGGER } from '../logging/logging.module.js';
import { MediaStorage } from '../media/media.storage.js';
import { DEFAULT_BOARD_SIZE, DEFAULT_PROFILE_KEY } from '../board-profiles/board-profiles.service.js';
import { ContentsRepository } from './contents.repository.js';
import { ImageProcessor, ImageRejected, MAX_IMAGE_BYTES, type ProbedImage } from './image-processor.js';
import { badRequest, coded } from '../common/loa-error.js';

export interface StoredImage extends ProbedImage {
  sha256: string;
  bytes: number;
}

class TooLarge extends Error {}

/**
 * Image content files: the validated original and one PNG per board profile, all content-addressed in the media
 * store (MediaStorage as-is). Variants also get a media row so agents download them like audio, by sha256.
 */
@Injectable()
export class ContentImages {
  constructor(
    private readonly storage: MediaStorage,
    private readonly images: ImageProcessor,
    private readonly repo: ContentsRepository,
    private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  /** Receives an upload (at most 20 MB), checks it is one decodable image, and stores it by hash. */
  async receive(body: Readable, declaredBytes: number | undefined): Promise<StoredImage> {
    if (declaredBytes !== undefined && declaredBytes > MAX_IMAGE_BYTES) throw tooLarge(declaredBytes);
    await this.storage.ensureDirs();
    const temp = this.storage.newTempPath();
    let seen = 0;
    const limit = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        seen += chunk.length;
        cb(seen > MAX_IMAGE_BYTES ? new TooLarge() : null, chunk);
      },
    });
    body.pipe(limit);
    body.on('error', (err) => limit.destroy(err));
    let written;
    try {
      written = await this.storage.writeTemp(limit, temp);
    } catch (err) {
      body.resume();
      if (err instanceof TooLarge) throw tooLarge(seen);
      throw err;
    }
    if (written.bytes === 0) {
      await this.storage.removeTemp(temp);
      throw badRequest('content.image-empty');
    }
    try {
      const probed = await this.images.probe(temp);
      await this.storage.commit(temp, written.sha256);
      return { ...probed, sha256: written.sha256, bytes: written.bytes };
    } catch (err) {
      await this.storage.removeTemp(temp);
      if (err instanceof ImageRejected) throw badRequest('content.image-refused', { detail: err.message });
      throw err;
    }
  }

  /** The variant for a profile (DEFAULT_PROFILE_KEY: boards without one), made now if missing. */
  async variantFor(content: ContentEntity, profile: BoardProfileEntity | null): Promise<ContentImageVariantEntity> {
    const key = profile?.id ?? DEFAULT_PROFILE_KEY;
    const size = profile ? { width: profile.width, height: profile.height } : DEFAULT_BOARD_SIZE;
    const have = await this.repo.variant(content.id, key);
    if (have && have.width === size.width && have.height === size.height && (await this.storage.hasFile(have.sha256))) return have;
    return this.makeVariant(content, key, size);
  }

  /** Variants for the default size and every given profile; failures are logged (the default then serves). */
  async prepareAll(content: ContentEntity, profiles: readonly BoardProfileEntity[]): Promise<void> {
    await this.variantFor(content, null);
    for (const p of profiles) {
      await this.variantFor(content, p).catch((err: unknown) =>
        this.logger.error({ ctx: 'contents', contentId: content.id, profileId: p.id, err: (err as Error).message }, 'image variant failed'),
      );
    }
  }

  async dataUri(sha256: string, mime: string): Promise<string> {
    return `data:${mime};base64,${(await this.storage.read(sha256)).toString('base64')}`;
  }

  private async makeVariant(content: ContentEntity, key: string, size: { width: number; height: number }): Promise<ContentImageVariantEntity> {
    if (!content.imageSha256) throw new Error(`content ${content.id} has no image`);
    const temp = this.storage.newTempPath();
    try {
      const style = (content.style ?? {}) as { fit?: 'contain' | 'cover'; background?: string };
      await this.images.render(this.storage.pathOf(content.imageSha256), temp, size, style.fit ?? 'contain', style.background ?? '#000000');
      const { sha256, bytes } = await this.storage.sha256OfFile(temp);
      await this.storage.commit(temp, sha256);
      const now = this.clock.now();
      const v: ContentImageVariantEntity = { contentId: content.id, profileId: key, sha256, bytes, mime: 'image/png', width: size.width, height: size.height, createdAt: now };
      await this.repo.saveVariant(v, {
        sha256,
        bytes,
        mime: 'image/png',
        codec: 'png',
        durationMs: 0,
        originalName: `${content.title.slice(0, 200)} ${size.width}x${size.height}.png`,
        createdBy: content.createdBy,
        createdAt: now,
      });
      return v;
    } finally {
      await this.storage.removeTemp(temp);
    }
  }
}

const tooLarge = (bytes: number): PayloadTooLargeException =>
  new PayloadTooLargeException({ statusCode: 413, error: 'Payload Too Large', ...coded('content.image-too-large', { size: (bytes / 1048576).toFixed(1), max: MAX_IMAGE_BYTES / 1048576 }) });
