import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { ServerResponse } from 'node:http';
import { feedbackExportQuerySchema as exportQuery, feedbackStatsQuerySchema as statsQuery, type FeedbackExportQuery, type FeedbackStatsQuery, type FeedbackStatsView } from '@loa/shared/rest';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { ANY_ROLE, Roles } from '../auth/roles.js';
import { FeedbackExports, type FeedbackStream } from './feedback-exports.js';
import { FeedbackStatsService } from './feedback-stats.service.js';

/** Issue 17: the feedback statistics of the Reports page. Every reader sees its own subtree; the service decides it. */
@ApiTags('reports')
@ApiBearerAuth()
@Roles(ANY_ROLE)
@Controller('api/v1/reports')
export class FeedbackStatsController {
  constructor(
    private readonly stats: FeedbackStatsService,
    private readonly exports: FeedbackExports,
  ) {}

  @Get('feedback')
  @ApiOperation({ summary: 'Feedback received in a period (YYYY-MM, YYYY-Qn, YYYY or from/to) in an area subtree: handled, on time, overdue, time to answer, satisfaction, by area, category, priority, channel, day or month' })
  report(@Query({ schema: statsQuery }) q: FeedbackStatsQuery, @CurrentUser() user: UserPrincipal): Promise<FeedbackStatsView> {
    return this.stats.report(user, q);
  }

  @Get('feedback.xlsx')
  @ApiOperation({ summary: 'The feedback statistics as XLSX: totals, by area, category, priority, channel, day or month (Vietnamese headers)' })
  async xlsx(@Query({ schema: statsQuery }) q: FeedbackStatsQuery, @CurrentUser() user: UserPrincipal, @Res() res: ServerResponse): Promise<void> {
    const file = await this.exports.statsWorkbook(user, q);
    res.writeHead(200, { 'Content-Type': file.contentType, 'Content-Disposition': file.disposition, 'Content-Length': String(file.body.length), 'Cache-Control': 'no-store' });
    res.end(file.body);
  }
}

/**
 * Issue 17: the item list as a file, with the list's filters. Its module is registered before the core's (see
 * FeedbackStatsModule), so `export.csv` is never taken for the item id of `GET /api/v1/feedback/:id`.
 */
@ApiTags('feedback')
@ApiBearerAuth()
@Roles(ANY_ROLE)
@Controller('api/v1/feedback')
export class FeedbackExportController {
  constructor(private readonly exports: FeedbackExports) {}

  @Get('export.csv')
  @ApiOperation({ summary: 'Feedback items as CSV (UTF-8 with BOM, Vietnamese headers); residents’ name, phone, e-mail only with personalData=true (audited)' })
  async csv(@Query({ schema: exportQuery }) q: FeedbackExportQuery, @CurrentUser() user: UserPrincipal, @Req() req: { ip?: string }, @Res() res: ServerResponse): Promise<void> {
    await send(res, await this.exports.items(user, q, 'csv', req.ip ?? null));
  }

  @Get('export.xlsx')
  @ApiOperation({ summary: 'Feedback items as XLSX (Vietnamese headers, date cells on Vietnam time); residents’ data only with personalData=true (audited)' })
  async xlsx(@Query({ schema: exportQuery }) q: FeedbackExportQuery, @CurrentUser() user: UserPrincipal, @Req() req: { ip?: string }, @Res() res: ServerResponse): Promise<void> {
    await send(res, await this.exports.items(user, q, 'xlsx', req.ip ?? null));
  }
}

async function send(res: ServerResponse, file: FeedbackStream): Promise<void> {
  res.writeHead(200, { 'Content-Type': file.contentType, 'Content-Disposition': file.disposition, 'Cache-Control': 'no-store' });
  await file.write(res).catch(() => res.destroy()); // the client went away, or a page failed mid-file: a cut file, not a wrong one
}
