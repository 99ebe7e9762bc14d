import { Controller, Delete, Get, Headers, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { ServerResponse } from 'node:http';
import type { z } from 'zod';
import { calendarFeedQuerySchema as feedQuery, type CalendarTokenCreated, type CalendarTokenStatus } from '@loa/shared/rest';
import { Audit } from '../audit/audit.decorator.js';
import { CurrentUser, Public } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { ANY_ROLE, Roles } from '../auth/roles.js';
import { CalendarService } from './calendar.service.js';

/** What the controller reads of the request to build an absolute link (Express honours LOA_TRUST_PROXY in both). */
interface OriginRequest {
  protocol: string;
  get(name: string): string | undefined;
}

/**
 * Issue 16: calendar links (signed-in users manage their own) and the feed (no session: the token in the path
 * authenticates). The token routes are declared first: `:file` would otherwise match "token".
 */
@ApiTags('calendar')
@Controller('api/v1/calendar')
export class CalendarController {
  constructor(private readonly calendar: CalendarService) {}

  @Get('token')
  @ApiBearerAuth()
  @Roles(ANY_ROLE)
  @ApiOperation({ summary: 'Whether the caller has a calendar link, when it was created and last used' })
  status(@CurrentUser() user: UserPrincipal): Promise<CalendarTokenStatus> {
    return this.calendar.status(user);
  }

  @Post('token')
  @ApiBearerAuth()
  @Roles(ANY_ROLE)
  @Audit('calendar.token-create')
  @ApiOperation({ summary: 'Creates the caller’s calendar link or replaces it (the old one stops working); the link is shown only in this answer' })
  create(@CurrentUser() user: UserPrincipal, @Req() req: OriginRequest): Promise<CalendarTokenCreated> {
    return this.calendar.create(user, `${req.protocol}://${req.get('host') ?? 'localhost'}`);
  }

  @Delete('token')
  @ApiBearerAuth()
  @Roles(ANY_ROLE)
  @HttpCode(204)
  @Audit('calendar.token-revoke')
  @ApiOperation({ summary: 'Revokes the caller’s calendar link' })
  async revoke(@CurrentUser() user: UserPrincipal): Promise<void> {
    await this.calendar.revoke(user);
  }

  @Get(':file')
  @Public()
  @ApiOperation({ summary: 'The iCalendar feed (<token>.ics) of the link owner’s area, a week back to 60 days ahead; 404 for any token not served' })
  async feed(@Param('file') file: string, @Query({ schema: feedQuery }) q: z.infer<typeof feedQuery>, @Headers('if-none-match') ifNoneMatch: string | undefined, @Res() res: ServerResponse): Promise<void> {
    const feed = await this.calendar.feed(file, q);
    // The URL is a credential: no shared cache may keep the answer, and the browser keeps it briefly.
    const headers = { ETag: feed.etag, 'Cache-Control': 'private, max-age=300', 'Referrer-Policy': 'no-referrer' };
    if (ifNoneMatch !== undefined && ifNoneMatch.split(',').some((t) => t.trim().replace(/^W\//, '') === feed.etag || t.trim() === '*')) {
      res.writeHead(304, headers).end();
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': 'text/calendar; charset=utf-8', 'Content-Length': Buffer.byteLength(feed.body) }).end(feed.body);
  }
}
