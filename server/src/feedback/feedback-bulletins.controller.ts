import { Body, Controller, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { feedbackBulletinRequestSchema as bulletinRequest, type FeedbackBulletinRequest, type FeedbackBulletinView } from '@loa/shared/rest';
import { Audit } from '../audit/audit.decorator.js';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { Roles } from '../auth/roles.js';
import { FeedbackBulletinsService } from './feedback-bulletins.service.js';

/** Issue 17, close the loop: editors of the item's commune, commune officers included (what they draft goes through approval). */
@ApiTags('feedback')
@ApiBearerAuth()
@Controller('api/v1/feedback')
export class FeedbackBulletinsController {
  constructor(private readonly bulletins: FeedbackBulletinsService) {}

  @Post(':id/bulletin')
  @Roles('admin', 'operator', 'commune_officer')
  // The item's snapshot (the core's loader) puts the entry in the item's area, so that area's admins see it.
  @Audit('feedback.bulletin', { resource: 'feedback', idParam: 'id' })
  @ApiOperation({ summary: 'From an answered item of public interest: a text for the loudspeakers and a board message, submitted for approval (once per item; 409 when not answered or not of public interest)' })
  draft(@Param('id') id: string, @Body({ schema: bulletinRequest }) body: FeedbackBulletinRequest, @CurrentUser() user: UserPrincipal): Promise<FeedbackBulletinView> {
    return this.bulletins.draft(user, id, body);
  }
}
