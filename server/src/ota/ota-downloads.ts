import { Inject, Injectable } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Principal } from '../auth/principal.js';
import { notFound } from '../common/loa-error.js';
import { Metrics } from '../common/metrics.js';
import type { AppLogger } from '../logging/logger.js';
import { LOGGER } from '../logging/logging.module.js';
import { mediaEtag, sendRanged } from '../media/http-range.js';
import { OtaRepository } from './ota.repository.js';
import { ReleaseStorage } from './release-storage.js';

/**
 * Serves a release package to the devices it is offered to, resumable with Range / If-Range (the media feature's
 * range planner). Any other device gets 404, as if the release did not exist; an administrator may fetch it too.
 */
@Injectable()
export class OtaDownloads {
  private readonly log: AppLogger;

  constructor(
    private readonly repo: OtaRepository,
    private readonly storage: ReleaseStorage,
    private readonly metrics: Metrics,
    @Inject(LOGGER) logger: AppLogger,
  ) {
    this.log = logger.child({ ctx: 'ota' });
  }

  async send(releaseId: string, who: Principal, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const release = await this.repo.release(releaseId);
    const allowed = release !== null && (who.type === 'user' ? who.role === 'admin' : await this.repo.hasActiveOffer(who.deviceId, releaseId));
    if (!release || !allowed) {
      this.metrics.inc('ota_download_refused');
      throw notFound('ota.package-not-found');
    }
    const file = await this.storage.open(release.sha256);
    const sent = await sendRanged(req, res, file, { etag: mediaEtag(release.sha256), contentType: 'application/gzip', cacheControl: 'private, no-transform' });
    if (!sent) return;
    this.metrics.inc(sent.partial ? 'ota_download_partial' : 'ota_download_full');
    // A device losing its link mid-download; it resumes with Range.
    if (sent.interrupted) this.log.debug({ releaseId, err: sent.interrupted.message }, 'package download interrupted');
  }
}
