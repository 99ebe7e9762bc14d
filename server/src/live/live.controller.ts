import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import type { ServerResponse } from 'node:http';
import { relayTestRequestSchema, startLiveRequestSchema, type LiveSessionView, type RelayTestRequest, type RelayTestResult, type StartLiveRequest } from '@loa/shared/rest';
import { Audit } from '../audit/audit.decorator.js';
import { ScopeService } from '../auth/area-scope.js';
import { CurrentUser, Public } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { EDITORS, READERS, Roles } from '../auth/roles.js';
import { LiveService } from './live.service.js';

const originOf = (req: Request): string => `${req.protocol}://${req.get('host') ?? 'localhost'}`;

/** Live voice: microphone sessions and on-demand relays (issue 18, docs/live.md). */
@ApiTags('live')
@ApiBearerAuth()
@Controller('api/v1/live')
export class LiveController {
  constructor(
    private readonly live: LiveService,
    private readonly scope: ScopeService,
  ) {}

  /** Sends the area alert carrying the stream; approval rules apply as to any alert (state `awaiting_approval`). */
  @Post()
  @Roles(EDITORS)
  @Audit('live.start')
  async start(@Body({ schema: startLiveRequestSchema }) body: StartLiveRequest, @CurrentUser() user: UserPrincipal, @Req() req: Request): Promise<LiveSessionView> {
    await this.scope.checkArea(user, body.areaCode, 'write');
    return this.live.start(body, user.userId, originOf(req));
  }

  /** Checks an upstream stream before relaying it (always 200: the answer says what is wrong). */
  @Post('relay-test')
  @HttpCode(200)
  @Roles(EDITORS)
  relayTest(@Body({ schema: relayTestRequestSchema }) body: RelayTestRequest): Promise<RelayTestResult> {
    return this.live.testRelay(body.url);
  }

  @Post(':id/stop')
  @HttpCode(200)
  @Roles(EDITORS)
  @Audit('live.stop')
  async stop(@Param('id') id: string, @CurrentUser() user: UserPrincipal): Promise<LiveSessionView> {
    await this.scope.checkArea(user, this.live.areaOf(id), 'write');
    return this.live.stop(id, user.userId);
  }

  @Get()
  @Roles(READERS)
  async list(@CurrentUser() user: UserPrincipal): Promise<LiveSessionView[]> {
    return this.scope.filterByArea(user, await this.live.list(), (s) => s.areaCode);
  }

  @Get(':id')
  @Roles(READERS)
  async get(@Param('id') id: string, @CurrentUser() user: UserPrincipal): Promise<LiveSessionView> {
    await this.scope.checkArea(user, this.live.areaOf(id), 'read');
    return this.live.get(id);
  }

  /**
   * What speakers fetch: the session's MP3 stream, from the next frame on, for as long as the session lasts. The
   * token in the URL is the only credential (it travels inside the signed alert): 401 without it, 404 when it or
   * the session is wrong, 410 once the session ended.
   */
  @Get(':id/stream')
  @Public()
  stream(@Param('id') id: string, @Query('token') token: string | undefined, @Res() res: ServerResponse): void {
    const refuse = (status: number, message: string): void => {
      res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ statusCode: status, message }));
    };
    if (typeof token !== 'string' || token === '') return refuse(401, 'the stream URL carries its token (?token=…)');
    const session = this.live.listenerSession(id, token);
    if (!session?.transcoder) return refuse(404, 'no such live stream');
    if (session.endedAt !== null) return refuse(410, 'this live session has ended');
    session.transcoder.listen(res);
  }
}
