import { Controller, Get, Param } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { fanoutIdSchema, type FanoutView } from '@loa/shared/rest';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { ANY_ROLE, Roles } from '../auth/roles.js';
import { FanoutJobs } from './fanout-jobs.js';

@ApiTags('fanouts')
@ApiBearerAuth()
@Controller('api/v1/fanouts')
export class FanoutsController {
  constructor(private readonly fanouts: FanoutJobs) {}

  /** How far a save's fan-out got; 404 unless the user may read the schedule, command or alert it belongs to. */
  @Get(':id')
  @Roles(ANY_ROLE)
  get(@Param('id', { schema: fanoutIdSchema }) id: string, @CurrentUser() user: UserPrincipal): Promise<FanoutView> {
    return this.fanouts.get(id, user);
  }
}
