import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import type { DomainEventMap } from '../domain-events/domain-events.js';
import { SchedulesRepository } from './schedules.repository.js';
import { SchedulesService } from './schedules.service.js';

/**
 * Issue 12: slots carry only approved content, so an archived content's active schedules are cancelled (their
 * deliveries to come become skipped, "cancelled"). Contents announce the archive; they do not know schedules.
 */
@Injectable()
export class ContentWithdrawalListener {
  constructor(
    private readonly repo: SchedulesRepository,
    private readonly schedules: SchedulesService,
  ) {}

  @OnEvent('content.archived')
  async onContentArchived({ contentId }: DomainEventMap['content.archived']): Promise<void> {
    for (const scheduleId of await this.repo.activeIdsForContent(contentId)) await this.schedules.cancel(scheduleId);
  }
}
