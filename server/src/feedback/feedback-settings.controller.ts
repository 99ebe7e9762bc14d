import { Body, Controller, Get, Put, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import {
  feedbackSettingsUpdateSchema,
  feedbackWorkingDaysQuerySchema,
  type FeedbackOptions,
  type FeedbackSettingsView,
  type FeedbackWorkingDaysView,
} from '@loa/shared/rest';
import { Audit } from '../audit/audit.decorator.js';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { ANY_ROLE, Roles } from '../auth/roles.js';
import { FeedbackSettingsService } from './feedback-settings.service.js';

/** What the controller reads of the request to build an absolute link (Express honours LOA_TRUST_PROXY in both). */
interface OriginRequest {
  protocol: string;
  get(name: string): string | undefined;
}
const originOf = (req: OriginRequest): string => `${req.protocol}://${req.get('host') ?? 'localhost'}`;

/**
 * Issue 17: the feedback settings (admins) and the working-day calendar the time limits count with (any signed-in
 * role). Its own controller, registered by FeedbackSettingsModule, which app.module imports before the core module:
 * Nest matches these fixed paths before the core's `api/v1/feedback/:id`.
 */
@ApiTags('feedback')
@ApiBearerAuth()
@Controller('api/v1/feedback')
export class FeedbackSettingsController {
  constructor(private readonly settings: FeedbackSettingsService) {}

  @Get('settings')
  @Roles('admin')
  @ApiOperation({ summary: 'The feedback settings; SMS secrets only as set or not, with the webhook URL to give the gateway' })
  get(@Req() req: OriginRequest): Promise<FeedbackSettingsView> {
    return this.settings.view(originOf(req));
  }

  @Put('settings')
  @Roles('admin')
  @Audit('feedback.settings-update')
  @ApiOperation({ summary: 'Replaces the parts given; secrets left out are kept, null clears one' })
  put(@Body({ schema: feedbackSettingsUpdateSchema }) body: z.output<typeof feedbackSettingsUpdateSchema>, @CurrentUser() user: UserPrincipal, @Req() req: OriginRequest): Promise<FeedbackSettingsView> {
    return this.settings.update(body, user.userId, originOf(req));
  }

  @Get('options')
  @Roles(ANY_ROLE)
  @ApiOperation({ summary: 'Categories, departments and the SMS syntax, for every officer (the settings themselves are admin-only)' })
  options(): Promise<FeedbackOptions> {
    return this.settings.options();
  }

  @Get('calendar')
  @Roles(ANY_ROLE)
  @ApiOperation({ summary: 'Working days and holidays (Vietnamese names) from `from` to `to`, at most 400 days' })
  calendar(@Query({ schema: feedbackWorkingDaysQuerySchema }) q: z.output<typeof feedbackWorkingDaysQuerySchema>): Promise<FeedbackWorkingDaysView> {
    return this.settings.workingDays(q.from, q.to);
  }
}
