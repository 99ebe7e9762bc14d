import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { instantSchema } from '../common/instant.js';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { ANY_ROLE, Roles } from '../auth/roles.js';
import { OverviewService, type CalendarOccurrence } from './overview.service.js';

/** A calendar spans a month or two; a wider window would make one answer carry a whole season of occurrences. */
export const MAX_WINDOW_DAYS = 62;
const DAY_MS = 86_400_000;

const windowQuery = z
  .object({
    from: instantSchema.describe('occurrences starting at or after this instant'),
    to: instantSchema.describe(`occurrences starting before this instant (at most ${MAX_WINDOW_DAYS} days after from)`),
  })
  .transform((q) => ({ from: Date.parse(q.from), to: Date.parse(q.to) }))
  .refine((q) => q.to > q.from, 'to must be after from')
  .refine((q) => q.to - q.from <= MAX_WINDOW_DAYS * DAY_MS, `the window is at most ${MAX_WINDOW_DAYS} days`);

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
    return this.overview.occurrences(user, q.from, q.to);
  }
}
