import { Controller, Get, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { z } from 'zod';
import { coverageQuerySchema as coverageQuery, playoutLogExportQuerySchema as exportQuery, playoutLogPageQuerySchema as pageQuery, playoutLogStreamQuerySchema as streamQuery, type PlayoutLogPage } from '@loa/shared/rest';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { ANY_ROLE, Roles } from '../auth/roles.js';
import { XLSX_CONTENT_TYPE } from '../common/xlsx-export.js';
import { PlayoutLogService, type PlayoutDownload } from './playout-log.service.js';
import { ReportExports } from './report-exports.js';

/** Issue 16: reports. Every reader sees its own subtree; the service decides it. */
@ApiTags('reports')
@ApiBearerAuth()
@Roles(ANY_ROLE)
@Controller('api/v1/reports')
export class ReportsController {
  constructor(
    private readonly playout: PlayoutLogService,
    private readonly exports: ReportExports,
  ) {}

  @Get('playout-log')
  @ApiOperation({ summary: 'The playout log, one page of JSON: one row per occurrence per device; pass nextCursor back as cursor' })
  page(@Query({ schema: pageQuery }) q: z.infer<typeof pageQuery>, @CurrentUser() user: UserPrincipal): Promise<PlayoutLogPage> {
    return this.playout.page(user, q);
  }

  @Get('playout-log.csv')
  @ApiOperation({ summary: 'The whole period as CSV, streamed: Vietnamese by default, format=iso for the machine format' })
  async csv(@Query({ schema: exportQuery }) q: z.infer<typeof exportQuery>, @CurrentUser() user: UserPrincipal, @Res() res: ServerResponse): Promise<void> {
    await send(res, await this.playout.csv(user, q));
  }

  @Get('playout-log.xlsx')
  @ApiOperation({ summary: 'The whole period as XLSX, streamed: Vietnamese headers and states, Vietnam-time date cells, numbers as numbers' })
  async xlsx(@Query({ schema: streamQuery }) q: z.infer<typeof streamQuery>, @CurrentUser() user: UserPrincipal, @Res() res: ServerResponse): Promise<void> {
    const file = await this.exports.playoutLog(user, q);
    res.writeHead(200, { 'Content-Type': XLSX_CONTENT_TYPE, 'Content-Disposition': file.disposition, 'Cache-Control': 'no-store' });
    await file.write(res).catch(() => res.destroy()); // the client went away, or a page failed mid-file: a cut file, not a wrong one
  }

  @Get('coverage.xlsx')
  @ApiOperation({ summary: 'The coverage report as XLSX: Tổng hợp, the child areas worst first, by level, priority, category, day or month, failures by reason' })
  async coverageXlsx(@Query({ schema: coverageQuery }) q: z.infer<typeof coverageQuery>, @CurrentUser() user: UserPrincipal, @Res() res: ServerResponse): Promise<void> {
    const file = await this.exports.coverageReport(user, q);
    res.writeHead(200, { 'Content-Type': file.contentType, 'Content-Disposition': file.disposition, 'Content-Length': String(file.body.length), 'Cache-Control': 'no-store' });
    res.end(file.body);
  }

  @Get('playout-log.ndjson')
  @ApiOperation({ summary: 'The whole period as JSON lines (one row per line), streamed' })
  async ndjson(@Query({ schema: streamQuery }) q: z.infer<typeof streamQuery>, @CurrentUser() user: UserPrincipal, @Res() res: ServerResponse): Promise<void> {
    await send(res, await this.playout.ndjson(user, q));
  }
}

/** Streams with backpressure: the next database page is read only when the client has taken the previous one. */
async function send(res: ServerResponse, d: PlayoutDownload): Promise<void> {
  res.writeHead(200, { 'Content-Type': d.contentType, 'Content-Disposition': d.disposition, 'Cache-Control': 'no-store' });
  // highWaterMark 1: Readable.from would otherwise read 16 chunks (16 database pages) ahead of a slow client.
  await pipeline(Readable.from(d.body, { highWaterMark: 1 }), res).catch(() => undefined); // the client went away: nothing to answer
}
