import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  createPeerSchema,
  peerIdSchema,
  sendBulletinSchema,
  updatePeerSchema,
  type ExchangeView,
  type SourcePeerCreated,
  type SourcePeerView,
} from '@loa/shared/rest';
import type { z } from 'zod';
import { Audit } from '../audit/audit.decorator.js';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { EDITORS, Roles } from '../auth/roles.js';
import { PeersService } from './peers.service.js';
import { UpFeeds } from './up-feeds.js';

/** Peers of the source-system connector. Admins only (the default of a route without @Roles), except sending a bulletin down. */
@ApiTags('source-system')
@ApiBearerAuth()
@Controller('api/v1/source-system/peers')
export class PeersController {
  constructor(
    private readonly peers: PeersService,
    private readonly feeds: UpFeeds,
  ) {}

  @Get()
  list(): Promise<SourcePeerView[]> {
    return this.peers.list();
  }

  @Get(':id')
  get(@Param('id', { schema: peerIdSchema }) id: string): Promise<SourcePeerView> {
    return this.peers.one(id);
  }

  @Post()
  @Audit('source-system.peer-create')
  @ApiOperation({ summary: 'Adds a peer; the answer carries its inbound secret, shown this once (give it to the peer’s admin)' })
  create(@Body({ schema: createPeerSchema }) body: z.output<typeof createPeerSchema>, @CurrentUser() user: UserPrincipal): Promise<SourcePeerCreated> {
    return this.peers.create(body, user);
  }

  @Patch(':id')
  @Audit('source-system.peer-update')
  @ApiOperation({ summary: 'Changes a peer; secrets left out are kept; rotateInboundSecret answers the new secret once' })
  update(@Param('id', { schema: peerIdSchema }) id: string, @Body({ schema: updatePeerSchema }) body: z.output<typeof updatePeerSchema>): Promise<SourcePeerView | SourcePeerCreated> {
    return this.peers.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @Audit('source-system.peer-delete')
  @ApiOperation({ summary: 'Removes a peer and its outbox (the signed media links given to it stop working)' })
  remove(@Param('id', { schema: peerIdSchema }) id: string): Promise<void> {
    return this.peers.remove(id);
  }

  @Post(':id/bulletins')
  @HttpCode(202)
  @Audit('source-system.bulletin-send')
  @Roles(EDITORS)
  @ApiOperation({ summary: 'Sends an approved content down to a lower peer as a bulletin (202 with the exchange; sent by the outbox)' })
  sendBulletin(@Param('id', { schema: peerIdSchema }) id: string, @Body({ schema: sendBulletinSchema }) body: z.output<typeof sendBulletinSchema>): Promise<ExchangeView> {
    return this.feeds.sendDown(id, body);
  }
}
