import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { ContentsModule } from '../contents/contents.module.js';
import { MediaModule } from '../media/media.module.js';
import { BulletinResultsController } from './bulletin-results.controller.js';
import { BulletinResultsRepository } from './bulletin-results.repository.js';
import { BulletinResults } from './bulletin-results.service.js';
import { InboundAudioFetcher } from './inbound-audio.fetcher.js';
import { InboundBulletins } from './inbound-bulletins.service.js';
import { InboundExchangesRepository } from './inbound-exchanges.repository.js';
import { InboxController } from './inbox.controller.js';
import { InboxService } from './inbox.service.js';
import { SourceSystemModule } from './source-system.module.js';

/**
 * Issue 16, the receiving side of the source-system connector: the signed inbox, bulletins from above into the
 * approval queue (with their audio fetched through the media pipeline), their results back up through the outbox,
 * and at an upper Loa the results lower peers report. The peers and the outbox come from SourceSystemModule.
 */
@Module({
  imports: [SourceSystemModule, MediaModule, ContentsModule, AuditModule],
  controllers: [InboxController, BulletinResultsController],
  providers: [InboundExchangesRepository, BulletinResultsRepository, InboundAudioFetcher, InboundBulletins, BulletinResults, InboxService],
  exports: [InboundBulletins],
})
export class InboundModule {}
