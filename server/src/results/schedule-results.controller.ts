import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import {
  scheduleResultDeliveriesQuerySchema as deliveriesQuery,
  scheduleResultsQuerySchema as resultsQuery,
  type ScheduleResultDeliveryPage,
  type ScheduleResults,
} from '@loa/shared/rest';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { ANY_ROLE, Roles } from '../auth/roles.js';
import { ScheduleResultsService } from './schedule-results.service.js';

/** Issue 19: where a schedule played, by area — a province-wide bulletin read commune by commune, failures first. */
@ApiTags('schedules')
@ApiBearerAuth()
@Controller('api/v1/schedules')
export class ScheduleResultsController {
  constructor(private readonly results: ScheduleResultsService) {}

  /** Counts by area of one level under an area (default: the smallest area holding the caller's deliveries), failures first. */
  @Get(':id/results')
  @Roles(ANY_ROLE)
  byArea(@Param('id') id: string, @Query({ schema: resultsQuery }) q: z.infer<typeof resultsQuery>, @CurrentUser() user: UserPrincipal): Promise<ScheduleResults> {
    return this.results.results(user, id, q);
  }

  /** The devices behind those rows, of one area subtree and state, problems first. */
  @Get(':id/results/deliveries')
  @Roles(ANY_ROLE)
  deliveries(@Param('id') id: string, @Query({ schema: deliveriesQuery }) q: z.infer<typeof deliveriesQuery>, @CurrentUser() user: UserPrincipal): Promise<ScheduleResultDeliveryPage> {
    return this.results.deliveries(user, id, q);
  }
}
