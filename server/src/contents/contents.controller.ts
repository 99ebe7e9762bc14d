import { Body, Controller, Get, Header, HttpCode, Param, Patch, Post, Query, Req } from '@nestjs/common';
import { APPROVERS, EDITORS, OFFICER_IF_SCHEDULING, READERS, Roles } from '../auth/roles.js';
import type { IncomingMessage } from 'node:http';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import {
  contentListQuerySchema as contentListQuery,
  contentPreviewQuerySchema as previewQuery,
  createContentRequestSchema as createContentSchema,
  imageContentQuerySchema as imageQuery,
  rejectContentRequestSchema as rejectSchema,
  updateContentRequestSchema as updateContentSchema,
} from '@loa/shared/rest';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { ContentsService, type ContentView } from './contents.service.js';
import { Audit } from '../audit/audit.decorator.js';
import { forbidden } from '../common/loa-error.js';

/** Creating already approved content (`approve: true`) needs the approver's right. */
const mayApprove = (user: UserPrincipal, approve: boolean | undefined): void => {
  if (approve && !APPROVERS.includes(user.role)) throw forbidden('content.approve-role', { role: user.role });
};
const ms = (v: string | undefined): number | undefined => (v === undefined ? undefined : Date.parse(v));

@ApiTags('contents')
@ApiBearerAuth()
@Roles(EDITORS)
@Controller('api/v1/contents')
export class ContentsController {
  constructor(private readonly contents: ContentsService) {}

  @Post()
  @Audit('contents.create', { resource: 'content' })
  create(@Body({ schema: createContentSchema }) body: z.infer<typeof createContentSchema>, @CurrentUser() user: UserPrincipal): Promise<ContentView> {
    mayApprove(user, body.approve);
    return this.contents.create({ ...body, validFrom: ms(body.validFrom), validUntil: ms(body.validUntil) }, user.userId);
  }

  /**
   * An image for boards: the request body is a PNG, JPEG or WebP file (at most 20 MB, 8000 px a side), e.g.
   * `curl --data-binary @poster.png -H 'content-type: image/png' '…/contents/images?title=…&approve=true'`.
   */
  @Post('images')
  @Audit('contents.create-image', { resource: 'content' })
  createImage(@Req() req: IncomingMessage, @Query({ schema: imageQuery }) q: z.infer<typeof imageQuery>, @CurrentUser() user: UserPrincipal): Promise<ContentView> {
    mayApprove(user, q.approve);
    const declared = req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
    return this.contents.createImage(req, Number.isFinite(declared) ? declared : undefined, { ...q, validFrom: ms(q.validFrom), validUntil: ms(q.validUntil) }, user.userId);
  }

  @Get()
  @Roles(READERS, OFFICER_IF_SCHEDULING)
  list(@Query({ schema: contentListQuery }) q: z.infer<typeof contentListQuery>): Promise<ContentView[]> {
    return this.contents.list(q);
  }

  @Get(':id')
  @Roles(READERS, OFFICER_IF_SCHEDULING)
  get(@Param('id') id: string): Promise<ContentView> {
    return this.contents.get(id);
  }

  /** Edits a draft or rejected content (approved content is immutable). */
  @Patch(':id')
  @Audit('contents.update', { resource: 'content', idParam: 'id' })
  update(@Param('id') id: string, @Body({ schema: updateContentSchema }) body: z.infer<typeof updateContentSchema>, @CurrentUser() user: UserPrincipal): Promise<ContentView> {
    return this.contents.update(id, { ...body, validFrom: ms(body.validFrom), validUntil: ms(body.validUntil) }, user.userId);
  }

  @Post(':id/submit')
  @HttpCode(200)
  @Audit('contents.submit', { resource: 'content', idParam: 'id' })
  submit(@Param('id') id: string, @CurrentUser() user: UserPrincipal): Promise<ContentView> {
    return this.contents.submit(id, user.userId);
  }

  @Post(':id/approve')
  @Roles(APPROVERS)
  @HttpCode(200)
  @Audit('contents.approve', { resource: 'content', idParam: 'id' })
  approve(@Param('id') id: string, @CurrentUser() user: UserPrincipal): Promise<ContentView> {
    return this.contents.approve(id, user.userId);
  }

  @Post(':id/reject')
  @Roles(APPROVERS)
  @HttpCode(200)
  @Audit('contents.reject', { resource: 'content', idParam: 'id' })
  reject(@Param('id') id: string, @Body({ schema: rejectSchema }) body: z.infer<typeof rejectSchema>, @CurrentUser() user: UserPrincipal): Promise<ContentView> {
    return this.contents.reject(id, body.reason, user.userId);
  }

  @Post(':id/archive')
  @HttpCode(200)
  @Audit('contents.archive', { resource: 'content', idParam: 'id' })
  archive(@Param('id') id: string, @CurrentUser() user: UserPrincipal): Promise<ContentView> {
    return this.contents.archive(id, user.userId);
  }

  /** The board page for this text or image content at a board profile's resolution: exactly what a board shows. */
  @Get(':id/preview')
  @Roles(READERS, OFFICER_IF_SCHEDULING)
  @Header('content-type', 'text/html; charset=utf-8')
  @Header('cache-control', 'no-store')
  preview(@Param('id') id: string, @Query({ schema: previewQuery }) q: z.infer<typeof previewQuery>): Promise<string> {
    return this.contents.preview(id, q.profileId);
  }
}
