import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { occurrencesWindowQuerySchema as windowQuery } from '@loa/shared/rest';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { ANY_ROLE, Roles } from '../auth/roles.js';
import { OverviewService, type CalendarOccurrence } from '../overview/overview.service.js';

/**
 * `GET /api/v1/schedules/occurrences`. Registered in SchedulesModule before SchedulesController, whose `GET :id`
 * would otherwise take "occurrences" for a schedule id (Nest matches routes in registration order).
 */
@ApiTags('schedules')
@ApiBearerAuth()
@Controller('api/v1/schedules')
export class ScheduleOccurrencesController {
  constructor(private readonly overview: OverviewService) {}

  @Get('occurrences')
  @Roles(ANY_ROLE)
  occurrences(@Query({ schema: windowQuery }) q: z.infer<typeof windowQuery>, @CurrentUser() user: UserPrincipal): Promise<CalendarOccurrence[]> {
    return this.overview.occurrences(user, q.from, q.to, q.areaCode);
  }
}
