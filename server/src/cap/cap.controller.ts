import { Body, Controller, Delete, Get, Header, HttpCode, HttpException, HttpStatus, NotFoundException, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import {
  CAP_CONTENT_TYPES,
  capMessageQuerySchema,
  capSourceIdSchema,
  createCapSourceSchema,
  updateCapSourceSchema,
  type CapMessagePage,
  type CapReceiveAnswer,
  type CapSourceCreated,
  type CapSourceView,
} from '@loa/shared/rest';
import type { z } from 'zod';
import { Audit } from '../audit/audit.decorator.js';
import { Public } from '../auth/decorators.js';
import { MediaService } from '../media/media.service.js';
import { pipeline } from 'node:stream/promises';
import { READERS, Roles } from '../auth/roles.js';
import { CapFeeds } from './cap-feeds.js';
import { CapInboundService } from './cap-inbound.service.js';
import { CapMessagesService } from './cap-messages.service.js';
import { CapOutService } from './cap-out.service.js';
import { CapSourcesService } from './cap-sources.service.js';
import { CAP_MAX_BYTES } from './cap-validate.js';
import { badRequest } from '../common/loa-error.js';

/** Reads the request body ourselves: the JSON parser leaves XML alone, and the credential is checked before any byte is read. */
function readBody(req: Request, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (Number.isFinite(declared) && declared > limit) {
      reject(new HttpException(`message is ${declared} bytes, more than the ${limit} allowed`, HttpStatus.PAYLOAD_TOO_LARGE));
      req.resume();
      return;
    }
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      bytes += c.length;
      if (bytes > limit) {
        // The rest is read and dropped (not kept), so the client gets its 413 rather than a cut connection.
        over = true;
        chunks.length = 0;
        reject(new HttpException(`message is more than the ${limit} bytes allowed`, HttpStatus.PAYLOAD_TOO_LARGE));
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Issue 18: CAP sources (admins), the messages they sent (readers), and the push endpoint (the source's credential). */
@ApiTags('cap')
@Controller('api/v1/cap')
export class CapController {
  constructor(
    private readonly sources: CapSourcesService,
    private readonly inbound: CapInboundService,
    private readonly messages: CapMessagesService,
    private readonly feeds: CapFeeds,
  ) {}

  @Get('sources')
  @ApiBearerAuth()
  listSources(): Promise<CapSourceView[]> {
    return this.sources.list();
  }

  @Get('sources/:id')
  @ApiBearerAuth()
  getSource(@Param('id', { schema: capSourceIdSchema }) id: string): Promise<CapSourceView> {
    return this.sources.get(id);
  }

  @Post('sources')
  @ApiBearerAuth()
  @Audit('cap.source-create', { omitBody: ['feedAuth'] })
  @ApiOperation({ summary: 'Adds a CAP source; a push source’s secret is in the answer, shown this once' })
  createSource(@Body({ schema: createCapSourceSchema }) body: z.output<typeof createCapSourceSchema>): Promise<CapSourceCreated> {
    return this.sources.create(body);
  }

  @Patch('sources/:id')
  @ApiBearerAuth()
  @Audit('cap.source-update', { omitBody: ['feedAuth'] })
  @ApiOperation({ summary: 'Changes a CAP source; rotateSecret answers a new secret once' })
  updateSource(@Param('id', { schema: capSourceIdSchema }) id: string, @Body({ schema: updateCapSourceSchema }) body: z.output<typeof updateCapSourceSchema>): Promise<CapSourceView | CapSourceCreated> {
    return this.sources.update(id, body);
  }

  @Delete('sources/:id')
  @ApiBearerAuth()
  @HttpCode(204)
  @Audit('cap.source-delete')
  removeSource(@Param('id', { schema: capSourceIdSchema }) id: string): Promise<void> {
    return this.sources.remove(id);
  }

  @Post('sources/:id/poll')
  @ApiBearerAuth()
  @HttpCode(200)
  @Audit('cap.source-poll')
  @ApiOperation({ summary: 'Polls a feed source now (as the periodic job would); answers how many new entries were handled' })
  async poll(@Param('id', { schema: capSourceIdSchema }) id: string): Promise<{ handled: number; error: string | null }> {
    const s = await this.sources.require(id);
    if (s.kind !== 'feed') throw badRequest('cap-source.not-feed');
    return this.feeds.poll(s);
  }

  @Get('messages')
  @Roles(READERS)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'CAP messages received, newest first, with what became of them (accepted, pending, test-recorded, ignored, refused and why)' })
  listMessages(@Query({ schema: capMessageQuerySchema }) q: z.output<typeof capMessageQuerySchema>): Promise<CapMessagePage> {
    return this.messages.page(q);
  }

  @Get('messages/:id/xml')
  @Roles(READERS)
  @ApiBearerAuth()
  @Header('content-type', 'application/xml; charset=utf-8')
  rawMessage(@Param('id', { schema: capSourceIdSchema }) id: string): Promise<string> {
    return this.messages.raw(id);
  }

  @Post('sources/:id/messages')
  @Public()
  @ApiOperation({ summary: 'A CAP 1.2 message from a push source (Authorization: Bearer <secret>, or Basic <source id>:<secret>); body application/cap+xml' })
  async receive(@Param('id') id: string, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<CapReceiveAnswer> {
    const source = await this.sources.authenticate(id, req.headers.authorization);
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (!(CAP_CONTENT_TYPES as readonly string[]).includes(type)) {
      throw new HttpException(`send the CAP message with content-type ${CAP_CONTENT_TYPES.join(' or ')} (got ${type || 'none'})`, HttpStatus.UNSUPPORTED_MEDIA_TYPE);
    }
    const raw = Buffer.isBuffer(req.body) ? req.body : await readBody(req, CAP_MAX_BYTES);
    const { status, answer } = await this.inbound.receive(source, raw, { via: 'push' });
    res.status(status);
    return answer;
  }
}

/**
 * CAP out: public, like the alerts themselves (they are spoken on loudspeakers in the street); other systems
 * (the province, a neighbouring commune, a warning aggregator) read them without an account.
 */
@ApiTags('cap')
@Controller('api/v1/cap')
export class CapOutController {
  constructor(
    private readonly out: CapOutService,
    private readonly media: MediaService,
  ) {}

  @Get('alerts/:id/audio')
  @Public()
  @ApiOperation({ summary: 'The audio of a published alert, the target of its CAP resource link (public)' })
  async audio(@Param('id') id: string, @Res() res: Response): Promise<void> {
    const { media, file } = await this.media.open(await this.out.audioOf(id));
    res.setHeader('content-type', media.mime);
    res.setHeader('content-length', String(file.size));
    if (file.size === 0) {
      await file.close();
      res.end();
      return;
    }
    // A reader that hangs up mid-file is not an error of ours.
    await pipeline(file.stream({ start: 0, end: file.size - 1 }), res).catch(() => undefined);
  }

  @Get('alerts.atom')
  @Public()
  @Header('content-type', 'application/atom+xml; charset=utf-8')
  @ApiOperation({ summary: 'Atom feed of Loa alerts, newest first, each entry linking to its CAP 1.2 message (public)' })
  feed(@Req() req: Request): Promise<string> {
    return this.out.feed(baseUrl(req));
  }

  @Get('alerts/:file')
  @Public()
  @ApiOperation({ summary: 'One Loa alert as CAP 1.2 (GET /api/v1/cap/alerts/<id>.xml; public)' })
  async one(@Param('file') file: string, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<string> {
    if (!file.endsWith('.xml')) throw new NotFoundException('ask for /api/v1/cap/alerts/<alert id>.xml');
    const xml = await this.out.one(file.slice(0, -4), baseUrl(req));
    res.setHeader('content-type', 'application/cap+xml; charset=utf-8');
    return xml;
  }
}

const baseUrl = (req: Request): string => `${req.protocol}://${req.get('host') ?? 'localhost'}`;
