import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res, UseFilters } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import type { ServerResponse } from 'node:http';
import type { z } from 'zod';
import {
  feedbackCommuneSearchSchema as communeQuery,
  feedbackRateRequestSchema as rateBody,
  feedbackTrackRequestSchema as trackBody,
  type FeedbackCommuneOption,
  type FeedbackForm,
  type FeedbackReceipt,
  type PublicFeedbackView,
} from '@loa/shared/rest';
import { Public } from '../auth/decorators.js';
import { FeedbackRefusalFilter } from './feedback-refusal.js';
import { PublicFeedbackService } from './public-feedback.service.js';

/** The client's address as Express reads it (X-Forwarded-For only from the proxies LOA_TRUST_PROXY trusts). */
export const clientIp = (req: Request): string => req.ip ?? req.socket.remoteAddress ?? 'unknown';
/** How the client reached us, for absolute links when LOA_PUBLIC_HTTP_URL is not set. */
export const originOf = (req: Request): string => `${req.protocol}://${req.get('host') ?? 'localhost'}`;

/**
 * Issue 17: the residents' side, without login: the form of a commune, the commune search, filing feedback (JSON, or
 * multipart with photos and PDFs), tracking by code and phone, rating the answer, and the QR code of the short link.
 * Every refusal is `{ statusCode, code, message }` (FEEDBACK_REFUSALS).
 */
@ApiTags('feedback-public')
@Controller('api/v1/public/feedback')
@Public()
@UseFilters(FeedbackRefusalFilter)
export class PublicFeedbackController {
  constructor(private readonly service: PublicFeedbackService) {}

  @Get('form/:areaCode')
  @ApiOperation({ summary: 'What the public page shows for a commune: names, villages, categories, limits, consent text, short link and QR; 404 unknown-commune' })
  form(@Param('areaCode') areaCode: string, @Req() req: Request): Promise<FeedbackForm> {
    return this.service.form(areaCode, originOf(req));
  }

  @Get('communes')
  @ApiOperation({ summary: 'Communes by name without diacritics ("cho dong" finds "Chợ Đông"), for a page opened without one' })
  communes(@Query({ schema: communeQuery }) q: z.infer<typeof communeQuery>): Promise<FeedbackCommuneOption[]> {
    return this.service.communes(q.q, q.limit);
  }

  /** The body is read by the service: multipart is streamed (with the byte limits), JSON arrives parsed. */
  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'File feedback (multipart/form-data with up to 5 files in "attachments", or JSON); 201 with the tracking code' })
  submit(@Req() req: Request): Promise<FeedbackReceipt> {
    return this.service.submit({ req, body: req.body, ip: clientIp(req), origin: originOf(req) });
  }

  @Post('track')
  @HttpCode(200)
  @ApiOperation({ summary: 'Follow an item by code and phone; a wrong pair is the same 404 as an unknown code (look-ups are rate limited)' })
  track(@Body({ schema: trackBody }) body: z.infer<typeof trackBody>, @Req() req: Request): Promise<PublicFeedbackView> {
    return this.service.track(body, clientIp(req));
  }

  @Post('rate')
  @HttpCode(200)
  @ApiOperation({ summary: 'Rate the answer: satisfied closes the item, not satisfied reopens it' })
  rate(@Body({ schema: rateBody }) body: z.infer<typeof rateBody>, @Req() req: Request): Promise<PublicFeedbackView> {
    return this.service.rate(body, clientIp(req));
  }

  @Get('qr/:file')
  @ApiOperation({ summary: 'QR code (SVG) of a commune’s short link: GET …/qr/<areaCode>.svg' })
  async qr(@Param('file') file: string, @Req() req: Request, @Res() res: ServerResponse): Promise<void> {
    const svg = await this.service.qrSvg(file.replace(/\.svg$/i, ''), originOf(req));
    res.writeHead(200, { 'Content-Type': 'image/svg+xml; charset=utf-8', 'Cache-Control': 'public, max-age=3600', 'Content-Length': Buffer.byteLength(svg) }).end(svg);
  }
}
