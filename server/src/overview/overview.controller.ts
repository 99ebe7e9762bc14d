import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { ANY_ROLE, Roles } from '../auth/roles.js';
import { OverviewService, type Overview } from './overview.service.js';

@ApiTags('overview')
@ApiBearerAuth()
@Controller('api/v1/overview')
export class OverviewController {
  constructor(private readonly overview: OverviewService) {}

  /** Devices per child area, today's broadcasts and active alarms, within the caller's area subtree. */
  @Get()
  @Roles(ANY_ROLE)
  get(@CurrentUser() user: UserPrincipal): Promise<Overview> {
    return this.overview.overview(user);
  }
}
