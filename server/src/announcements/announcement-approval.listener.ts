import { Inject, Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import type { DomainEventMap } from '../domain-events/domain-events.js';
import type { AppLogger } from '../logging/logger.js';
import { LOGGER } from '../logging/logging.module.js';
import { AnnouncementsService } from './announcements.service.js';

/**
 * An approver decided on an announcement's content (contents announce every state change; they do not know
 * announcements): approved, its schedule is made; rejected, the announcement ends there.
 */
@Injectable()
export class AnnouncementApprovalListener {
  constructor(
    private readonly announcements: AnnouncementsService,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  @OnEvent('content.stateChanged')
  async onContentState({ contentId, state }: DomainEventMap['content.stateChanged']): Promise<void> {
    try {
      if (state === 'approved') await this.announcements.contentApproved(contentId);
      else if (state === 'rejected') await this.announcements.contentRejected(contentId);
    } catch (err) {
      // Nothing awaits an event listener: the failure is logged (the announcement shows `failed` with its reason).
      this.logger.error({ ctx: 'announcements', contentId, err: (err as Error).message }, 'announcement follow-up failed');
    }
  }
}
