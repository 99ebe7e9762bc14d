import { Controller, Get, HttpCode, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import type { z } from 'zod';
import { SOURCE_PEER_HEADER, SOURCE_SIGNATURE_HEADER, inboundListQuerySchema as listQuery, type InboxAnswer, type InboundExchangeView } from '@loa/shared/rest';
import { Public } from '../auth/decorators.js';
import { READERS, Roles } from '../auth/roles.js';
import { InboxService } from './inbox.service.js';

const header = (req: Request, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/** Issue 16: the inbox other Loa servers (and a source system speaking Loa's protocol) POST signed exchanges to. */
@ApiTags('source-system')
@Controller()
export class InboxController {
  constructor(private readonly inbox: InboxService) {}

  /** The body arrives raw (a Buffer, see bootstrap.ts): the signature is checked over the bytes as sent. */
  @Post('api/v1/source-system/inbox')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Receive one signed exchange from a peer (x-loa-peer, x-loa-signature); a repeated idempotency key answers duplicate: true' })
  receive(@Req() req: Request): Promise<InboxAnswer> {
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    return this.inbox.receive({ peerHeader: header(req, SOURCE_PEER_HEADER), signatureHeader: header(req, SOURCE_SIGNATURE_HEADER), raw, ip: req.ip ?? null });
  }

  @Get('api/v1/source-system/inbound')
  @Roles(READERS)
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Exchanges received from peers, newest first, with what became of them (bulletins: received, fetching, queued, failed)' })
  list(@Query({ schema: listQuery }) q: z.infer<typeof listQuery>): Promise<InboundExchangeView[]> {
    return this.inbox.list(q);
  }
}
