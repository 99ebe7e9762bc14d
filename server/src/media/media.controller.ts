import { Controller, Get, Head, Inject, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBasicAuth, ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { mediaAsyncQuerySchema as asyncSchema, mediaJobIdSchema as jobIdSchema } from '@loa/shared/rest';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sha256Schema } from '@loa/shared';
import { AllowDevice, CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { EDITORS, READERS, Roles } from '../auth/roles.js';
import { Metrics } from '../common/metrics.js';
import type { AppLogger } from '../logging/logger.js';
import { LOGGER } from '../logging/logging.module.js';
import { mediaEtag, sendRanged } from './http-range.js';
import { MediaIngestService } from './media-ingest.service.js';
import { MediaService } from './media.service.js';
import { MediaUploadReceiver, UPLOAD_FIELD } from './media-upload.receiver.js';
import { toMediaView, type MediaUploadView, type MediaView } from './media-view.js';
import { MediaJobService, type MediaJobView } from './media-jobs.service.js';

/** Content-addressed files never change: caches may keep them for a year. */
const CACHE_CONTROL = 'private, max-age=31536000, immutable';

@ApiTags('media')
@ApiBearerAuth()
@Roles(READERS)
@Controller('api/v1/media')
export class MediaController {
  private readonly log: AppLogger;

  constructor(
    private readonly receiver: MediaUploadReceiver,
    private readonly ingest: MediaIngestService,
    private readonly media: MediaService,
    private readonly jobs: MediaJobService,
    private readonly metrics: Metrics,
    @Inject(LOGGER) logger: AppLogger,
  ) {
    this.log = logger.child({ ctx: 'media' });
  }

  @Post()
  @Roles(EDITORS)
  @ApiOperation({
    summary:
      'Upload an audio file: it is checked, transcoded to the delivery format and loudness-normalised (EBU R128). ' +
      '201 stored, 200 the same source was already stored, 202 with ?async=true (the job, at once), 400 refused with the reason, 413 too large, 507 the data directory is full (the job fails as disk_full)',
  })
  @ApiConsumes('multipart/form-data')
  @ApiQuery({ name: 'async', required: false, description: 'true: answer 202 with the processing job as soon as the file is received' })
  @ApiBody({ schema: { type: 'object', required: [UPLOAD_FIELD], properties: { [UPLOAD_FIELD]: { type: 'string', format: 'binary' } } } })
  async upload(
    @CurrentUser() user: UserPrincipal,
    @Req() req: IncomingMessage,
    @Res({ passthrough: true }) res: ServerResponse,
    @Query('async', { schema: asyncSchema }) async?: string,
  ): Promise<MediaUploadView | MediaJobView> {
    const job = await this.jobs.startReceiving(user.userId);
    const expected = Number(req.headers['content-length']);
    let received;
    try {
      received = await this.receiver.receive(req, res, (bytes) => this.jobs.receiving(job.id, bytes, Number.isFinite(expected) ? expected : null));
    } catch (err) {
      await this.jobs.failReceiving(job.id, err);
      throw err;
    }
    const submitted = await this.ingest.submit(received, user.userId, job.id);
    if (async === 'true' || async === '1') {
      res.statusCode = 202;
      return submitted.job;
    }
    const { media, created, audio, jobId } = await submitted.result;
    res.statusCode = created ? 201 : 200;
    return { ...toMediaView(media, audio), created, jobId };
  }

  // Declared before ':sha256' so that "jobs" is not taken for a hash.
  @Get('jobs')
  @ApiOperation({ summary: 'The last 100 processing jobs, newest first, with live progress' })
  listJobs(): Promise<MediaJobView[]> {
    return this.jobs.list();
  }

  @Get('jobs/:id')
  @ApiOperation({ summary: 'One processing job: state (queued, receiving, processing, done, failed), progress 0–1, result or reason' })
  job(@Param('id', { schema: jobIdSchema }) id: string): Promise<MediaJobView> {
    return this.jobs.get(id);
  }

  @Get()
  list(): Promise<MediaView[]> {
    return this.media.list();
  }

  @Get(':sha256/info')
  info(@Param('sha256', { schema: sha256Schema }) sha256: string): Promise<MediaView> {
    return this.media.get(sha256);
  }

  // HEAD is declared before GET: Express would otherwise route HEAD to the GET handler.
  @AllowDevice()
  @ApiBasicAuth()
  @Head(':sha256')
  async head(@Param('sha256', { schema: sha256Schema }) sha256: string, @Req() req: IncomingMessage, @Res() res: ServerResponse): Promise<void> {
    await this.send(sha256, req, res);
  }

  @AllowDevice()
  @ApiBasicAuth()
  @ApiOperation({ summary: 'The file itself, for devices (HTTP Basic deviceId:secret) and operators; Range, If-Range and If-None-Match supported' })
  @Get(':sha256')
  async download(@Param('sha256', { schema: sha256Schema }) sha256: string, @Req() req: IncomingMessage, @Res() res: ServerResponse): Promise<void> {
    await this.send(sha256, req, res);
  }

  private async send(sha256: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { media, file } = await this.media.open(sha256);
    const sent = await sendRanged(req, res, file, { etag: mediaEtag(sha256), contentType: media.mime, cacheControl: CACHE_CONTROL });
    if (!sent) return;
    this.metrics.inc(sent.partial ? 'media_download_partial' : 'media_download_full');
    // Usually a device losing its link mid-download; it resumes with Range.
    if (sent.interrupted) this.log.debug({ sha256, err: sent.interrupted.message }, 'media download interrupted');
  }
}
