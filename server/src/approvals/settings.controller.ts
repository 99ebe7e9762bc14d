import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { ANY_ROLE, Roles } from '../auth/roles.js';
import { approvalRulesSchema, type ApprovalRules } from './approval-rules.js';
import { ApprovalRulesService } from './approval-rules.service.js';

@ApiTags('settings')
@ApiBearerAuth()
@Controller('api/v1/settings')
export class SettingsController {
  constructor(private readonly rules: ApprovalRulesService) {}

  /** The rules in force (the configured default until an admin stores a document). */
  @Get('approval')
  @Roles(ANY_ROLE)
  get(): Promise<ApprovalRules> {
    return this.rules.get();
  }

  /** Replaces the whole document; applies to what is saved from now on (pending items are not re-examined). */
  @Put('approval')
  @Roles('admin')
  put(@Body({ schema: approvalRulesSchema }) body: ApprovalRules, @CurrentUser() user: UserPrincipal): Promise<ApprovalRules> {
    return this.rules.put(body, user.userId);
  }
}
