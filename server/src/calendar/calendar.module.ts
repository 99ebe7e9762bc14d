import { Module } from '@nestjs/common';
import { OverviewModule } from '../overview/overview.module.js';
import { CalendarFeedRepository } from './calendar-feed.repository.js';
import { CalendarController } from './calendar.controller.js';
import { CalendarService } from './calendar.service.js';
import { CalendarTokensRepository } from './calendar-tokens.repository.js';

/**
 * Issue 16: the iCalendar feed of an area's schedules, for phone calendars, behind per-user links. Reads schedules
 * through ScheduleVisibility (overview) and expands rules with planning's functions; writes only its own table.
 */
@Module({
  imports: [OverviewModule],
  controllers: [CalendarController],
  providers: [CalendarTokensRepository, CalendarFeedRepository, CalendarService],
})
export class CalendarModule {}
