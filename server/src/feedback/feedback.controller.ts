import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { z } from 'zod';
import { opaqueIdSchema } from '@loa/shared';
import {
  feedbackAnswerRequestSchema,
  feedbackAssigneesQuerySchema,
  feedbackAssignRequestSchema,
  feedbackCreateRequestSchema,
  feedbackListQuerySchema,
  feedbackMergeRequestSchema,
  feedbackNoteRequestSchema,
  feedbackPriorityRequestSchema,
  feedbackReasonRequestSchema,
  feedbackStateRequestSchema,
  feedbackTransferRequestSchema,
  type FeedbackAssignee,
  type FeedbackDetailView,
  type FeedbackListView,
  type FeedbackSummary,
} from '@loa/shared/rest';
import { Audit } from '../audit/audit.decorator.js';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { ANY_ROLE, Roles } from '../auth/roles.js';
import { FeedbackService } from './feedback.service.js';

type Out<S extends z.ZodType> = z.output<S>;
const AUDIT = { resource: 'feedback', idParam: 'id' } as const;

/**
 * Issue 17: the officers' side of citizen feedback. Every signed-in role may call these; the service decides by area
 * scope (a commune officer its commune, a district all its communes). Static routes come before `:id`.
 */
@ApiTags('feedback')
@ApiBearerAuth()
@Roles(ANY_ROLE)
@Controller('api/v1/feedback')
export class FeedbackController {
  constructor(private readonly feedback: FeedbackService) {}

  @Get()
  @ApiOperation({ summary: 'Items in the caller’s scope: overdue first, then by the nearest deadline; counts of all matching and overdue' })
  list(@CurrentUser() user: UserPrincipal, @Query({ schema: feedbackListQuerySchema }) q: Out<typeof feedbackListQuerySchema>): Promise<FeedbackListView> {
    return this.feedback.list(user, q);
  }

  @Get('summary')
  @ApiOperation({ summary: 'Open, overdue, unassigned and own open items in the caller’s scope (menu badge, overview tile)' })
  summary(@CurrentUser() user: UserPrincipal): Promise<FeedbackSummary> {
    return this.feedback.summary(user);
  }

  @Get('assignees')
  @ApiOperation({ summary: 'Active users who may handle items of a commune (its own and those above it)' })
  assignees(@CurrentUser() user: UserPrincipal, @Query({ schema: feedbackAssigneesQuerySchema }) q: Out<typeof feedbackAssigneesQuerySchema>): Promise<FeedbackAssignee[]> {
    return this.feedback.assignees(user, q.areaCode);
  }

  @Post()
  // No resource snapshot: a create's "after" would be the whole answer, the resident's data with it.
  @Audit('feedback.create', { omitBody: ['name', 'phone', 'email'] })
  @ApiOperation({ summary: 'Records feedback received at the office or by phone (channel office) or from another system (api); an identical one from the same phone within a day answers the first' })
  create(@CurrentUser() user: UserPrincipal, @Body({ schema: feedbackCreateRequestSchema }) body: Out<typeof feedbackCreateRequestSchema>): Promise<FeedbackDetailView> {
    return this.feedback.create(user, body);
  }

  @Get(':id')
  @ApiOperation({ summary: 'An item with its whole history (internal notes included), similar items to merge, attachments' })
  detail(@CurrentUser() user: UserPrincipal, @Param('id', { schema: opaqueIdSchema }) id: string): Promise<FeedbackDetailView> {
    return this.feedback.detail(user, id);
  }

  @Get(':id/attachments/:attachmentId')
  @ApiOperation({ summary: 'An attachment’s bytes (photo or PDF), shown inline; readers in the item’s scope only' })
  async attachment(@CurrentUser() user: UserPrincipal, @Param('id', { schema: opaqueIdSchema }) id: string, @Param('attachmentId', { schema: opaqueIdSchema }) attachmentId: string, @Res() res: ServerResponse): Promise<void> {
    const file = await this.feedback.attachment(user, id, attachmentId);
    // A resident's upload is served from our origin: the browser must take it for exactly the type we decoded.
    res.writeHead(200, {
      'Content-Type': file.mime,
      'Content-Length': file.bytes,
      'Content-Disposition': 'inline',
      'X-Content-Type-Options': 'nosniff',
      // Sandboxed, an image can run nothing; a PDF is left unsandboxed because Chromium's viewer refuses to open in a sandbox.
      'Content-Security-Policy': file.mime === 'application/pdf' ? "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'" : "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox",
      'Cache-Control': 'private, max-age=3600',
    });
    await pipeline(file.stream, res).catch(() => undefined); // the client went away: nothing to answer
  }

  @Post(':id/assign')
  @HttpCode(200)
  @Audit('feedback.assign', AUDIT)
  @ApiOperation({ summary: 'Assigns (or reassigns) the item to a user whose area holds its commune' })
  assign(@CurrentUser() user: UserPrincipal, @Param('id', { schema: opaqueIdSchema }) id: string, @Body({ schema: feedbackAssignRequestSchema }) body: Out<typeof feedbackAssignRequestSchema>): Promise<FeedbackDetailView> {
    return this.feedback.assign(user, id, body);
  }

  @Post(':id/start')
  @HttpCode(200)
  @Audit('feedback.start', AUDIT)
  @ApiOperation({ summary: 'Marks the item as being handled' })
  start(@CurrentUser() user: UserPrincipal, @Param('id', { schema: opaqueIdSchema }) id: string, @Body({ schema: feedbackStateRequestSchema }) body: Out<typeof feedbackStateRequestSchema>): Promise<FeedbackDetailView> {
    return this.feedback.start(user, id, body);
  }

  @Post(':id/notes')
  @HttpCode(200)
  @Audit('feedback.note', AUDIT)
  @ApiOperation({ summary: 'Adds a note to the history (internal by default: never shown to the resident)' })
  note(@CurrentUser() user: UserPrincipal, @Param('id', { schema: opaqueIdSchema }) id: string, @Body({ schema: feedbackNoteRequestSchema }) body: Out<typeof feedbackNoteRequestSchema>): Promise<FeedbackDetailView> {
    return this.feedback.note(user, id, body);
  }

  @Post(':id/transfer')
  @HttpCode(200)
  @Audit('feedback.transfer', AUDIT)
  @ApiOperation({ summary: 'Transfers the item to another commune of the caller’s scope and/or a department; the deadlines stay' })
  transfer(@CurrentUser() user: UserPrincipal, @Param('id', { schema: opaqueIdSchema }) id: string, @Body({ schema: feedbackTransferRequestSchema }) body: Out<typeof feedbackTransferRequestSchema>): Promise<FeedbackDetailView> {
    return this.feedback.transfer(user, id, body);
  }

  @Post(':id/priority')
  @HttpCode(200)
  @Audit('feedback.priority', AUDIT)
  @ApiOperation({ summary: 'Changes the priority; the deadlines are computed again from when it was received' })
  priority(@CurrentUser() user: UserPrincipal, @Param('id', { schema: opaqueIdSchema }) id: string, @Body({ schema: feedbackPriorityRequestSchema }) body: Out<typeof feedbackPriorityRequestSchema>): Promise<FeedbackDetailView> {
    return this.feedback.priority(user, id, body);
  }

  @Post(':id/merge')
  @HttpCode(200)
  @Audit('feedback.merge', AUDIT)
  @ApiOperation({ summary: 'Merges this duplicate into another open or answered item; its resident then sees that answer' })
  merge(@CurrentUser() user: UserPrincipal, @Param('id', { schema: opaqueIdSchema }) id: string, @Body({ schema: feedbackMergeRequestSchema }) body: Out<typeof feedbackMergeRequestSchema>): Promise<FeedbackDetailView> {
    return this.feedback.merge(user, id, body);
  }

  @Post(':id/answer')
  @HttpCode(200)
  @Audit('feedback.answer', AUDIT)
  @ApiOperation({ summary: 'Answers the item (shown on the tracking page, texted when a gateway is configured)' })
  answer(@CurrentUser() user: UserPrincipal, @Param('id', { schema: opaqueIdSchema }) id: string, @Body({ schema: feedbackAnswerRequestSchema }) body: Out<typeof feedbackAnswerRequestSchema>): Promise<FeedbackDetailView> {
    return this.feedback.answer(user, id, body);
  }

  @Post(':id/close')
  @HttpCode(200)
  @Audit('feedback.close', AUDIT)
  @ApiOperation({ summary: 'Closes an answered item' })
  close(@CurrentUser() user: UserPrincipal, @Param('id', { schema: opaqueIdSchema }) id: string, @Body({ schema: feedbackStateRequestSchema }) body: Out<typeof feedbackStateRequestSchema>): Promise<FeedbackDetailView> {
    return this.feedback.close(user, id, body);
  }

  @Post(':id/reopen')
  @HttpCode(200)
  @Audit('feedback.reopen', AUDIT)
  @ApiOperation({ summary: 'Reopens an answered or closed item' })
  reopen(@CurrentUser() user: UserPrincipal, @Param('id', { schema: opaqueIdSchema }) id: string, @Body({ schema: feedbackStateRequestSchema }) body: Out<typeof feedbackStateRequestSchema>): Promise<FeedbackDetailView> {
    return this.feedback.reopen(user, id, body);
  }

  @Post(':id/reject')
  @HttpCode(200)
  @Audit('feedback.reject', AUDIT)
  @ApiOperation({ summary: 'Does not accept the item for handling, with a reason the resident sees' })
  reject(@CurrentUser() user: UserPrincipal, @Param('id', { schema: opaqueIdSchema }) id: string, @Body({ schema: feedbackReasonRequestSchema }) body: Out<typeof feedbackReasonRequestSchema>): Promise<FeedbackDetailView> {
    return this.feedback.reject(user, id, body);
  }
}
