import { Controller, ForbiddenException, Get, Inject, Param, Query, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { sha256Schema } from '@loa/shared';
import { z } from 'zod';
import { Public } from '../auth/decorators.js';
import { Clock } from '../common/clock.js';
import type { AppLogger } from '../logging/logger.js';
import { LOGGER } from '../logging/logging.module.js';
import { mediaEtag, planDownload } from '../media/http-range.js';
import { MediaService } from '../media/media.service.js';
import { verifyMediaLink } from './media-links.js';
import { SourcePeers } from './peers.port.js';

const linkQuerySchema = z.object({
  peer: z.string().uuid(),
  exp: z.string().regex(/^\d{1,12}$/),
  sig: z.string().regex(/^[0-9a-f]{64}$/),
});

/**
 * The audio of a bulletin, for the peer it was sent to: no account, the signed expiring link is the credential
 * (see MediaLinks). 403 for a bad or expired link, 404 for unknown media. Range requests are honoured.
 */
@ApiTags('source-system')
@Controller('api/v1/source-system/media')
export class SourceMediaController {
  constructor(
    private readonly media: MediaService,
    private readonly peers: SourcePeers,
    private readonly clock: Clock,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  @Public()
  @Get(':sha256')
  @ApiOperation({ summary: 'A media file through a signed, expiring link given to a peer with a bulletin' })
  async download(
    @Param('sha256', { schema: sha256Schema }) sha256: string,
    @Query({ schema: linkQuerySchema }) q: z.infer<typeof linkQuerySchema>,
    @Req() req: IncomingMessage,
    @Res() res: ServerResponse,
  ): Promise<void> {
    const peer = await this.peers.get(q.peer);
    if (!peer || !verifyMediaLink(peer.inboundSecret, sha256, peer.id, q.exp, q.sig, this.clock.now())) {
      throw new ForbiddenException('this media link is not valid (wrong signature, expired, or the peer was removed)');
    }
    const { media, file } = await this.media.open(sha256);
    const etag = mediaEtag(sha256);
    const header = (name: string): string | undefined => {
      const v = req.headers[name];
      return Array.isArray(v) ? v.join(', ') : v;
    };
    const plan = planDownload({ ifNoneMatch: header('if-none-match'), range: header('range'), ifRange: header('if-range') }, etag, file.size);
    res.setHeader('ETag', etag);
    res.setHeader('Accept-Ranges', 'bytes');
    res.setHeader('Cache-Control', 'private, max-age=86400');
    res.statusCode = plan.status;
    if (plan.status === 304 || plan.status === 416 || !plan.range) {
      await file.close();
      if (plan.status === 416) res.setHeader('Content-Range', `bytes */${file.size}`);
      res.setHeader('Content-Length', 0);
      res.end();
      return;
    }
    res.setHeader('Content-Type', media.mime);
    res.setHeader('Content-Length', plan.range.end - plan.range.start + 1);
    if (plan.status === 206) res.setHeader('Content-Range', `bytes ${plan.range.start}-${plan.range.end}/${file.size}`);
    try {
      await pipeline(file.stream(plan.range), res);
    } catch (err) {
      this.logger.debug({ ctx: 'source-system', sha256, err: (err as Error).message }, 'media download interrupted');
    }
  }
}
