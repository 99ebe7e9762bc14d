import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { rejectScheduleRequestSchema as rejectSchema } from '@loa/shared/rest';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { APPROVERS, READERS, Roles } from '../auth/roles.js';
import type { ScheduleView } from '../schedules/schedules.service.js';
import { ApprovalsService, type ApprovalQueue } from './approvals.service.js';

@ApiTags('approvals')
@ApiBearerAuth()
@Controller('api/v1/approvals')
export class ApprovalsController {
  constructor(private readonly approvals: ApprovalsService) {}

  @Get()
  @Roles(READERS)
  queue(@CurrentUser() user: UserPrincipal): Promise<ApprovalQueue> {
    return this.approvals.queue(user);
  }
}

/** Schedule approval routes, beside SchedulesController on the same path. */
@ApiTags('schedules')
@ApiBearerAuth()
@Controller('api/v1/schedules')
export class ScheduleApprovalsController {
  constructor(private readonly approvals: ApprovalsService) {}

  /** Materialises a pending schedule (deliveries queued, timelines pushed). */
  @Post(':id/approve')
  @HttpCode(200)
  @Roles(APPROVERS)
  approve(@Param('id') id: string, @CurrentUser() user: UserPrincipal): Promise<ScheduleView> {
    return this.approvals.approveSchedule(id, user);
  }

  @Post(':id/reject')
  @HttpCode(200)
  @Roles(APPROVERS)
  reject(@Param('id') id: string, @Body({ schema: rejectSchema }) body: z.infer<typeof rejectSchema>, @CurrentUser() user: UserPrincipal): Promise<ScheduleView> {
    return this.approvals.rejectSchedule(id, body.reason, user);
  }
}
