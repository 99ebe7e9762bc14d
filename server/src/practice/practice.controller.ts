import { Controller, Get, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { PracticeLeaveView, PracticeStatusView } from '@loa/shared/rest';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { ANY_ROLE, Roles } from '../auth/roles.js';
import { PracticeService } from './practice.service.js';

/** Issue 21: entering and leaving practice mode (the sandbox itself is reached through /practice/api/...). */
@ApiTags('practice')
@ApiBearerAuth()
@Controller('api/v1/practice')
export class PracticeController {
  constructor(private readonly practice: PracticeService) {}

  @Post('enter')
  @HttpCode(200)
  @Roles(ANY_ROLE)
  enter(@CurrentUser() user: UserPrincipal): Promise<PracticeStatusView> {
    return this.practice.enter(user);
  }

  @Post('leave')
  @HttpCode(200)
  @Roles(ANY_ROLE)
  leave(@CurrentUser() user: UserPrincipal): Promise<PracticeLeaveView> {
    return this.practice.leave(user);
  }

  @Get('status')
  @Roles(ANY_ROLE)
  status(@CurrentUser() user: UserPrincipal): Promise<PracticeStatusView> {
    return this.practice.status(user);
  }
}
