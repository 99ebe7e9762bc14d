import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { ContentsModule } from '../contents/contents.module.js';
import { MediaModule } from '../media/media.module.js';
import { ReportsModule } from '../reports/reports.module.js';
import { FeedbackStatsModule } from '../feedback/feedback-stats.module.js';
import { TrainingModule } from '../training/training.module.js';
import { Dispatcher } from './dispatcher.js';
import { ExchangesController } from './exchanges.controller.js';
import { LoaAdapter } from './loa-adapter.js';
import { MediaLinks } from './media-links.js';
import { SourceMediaController } from './media-links.controller.js';
import { SourceOutbox } from './outbox.port.js';
import { OutboxRepository } from './outbox.repository.js';
import { OutboxService } from './outbox.service.js';
import { PeersController } from './peers.controller.js';
import { SourcePeers } from './peers.port.js';
import { PeersRepository } from './peers.repository.js';
import { PeersService } from './peers.service.js';
import { OAuthTokens, RestAdapter } from './rest-adapter.js';
import { UpFeeds } from './up-feeds.js';
import { UpFeedsRepository } from './up-feeds.repository.js';

/**
 * Issue 16, the core of the source-system connector: peers, the transactional outbox and its dispatcher (Loa and
 * REST adapters), the up feeds, the signed media links, and the exchanges API. Exports the ports the receiving side
 * (InboundModule) codes against: SourcePeers, SourceOutbox.
 */
@Module({
  imports: [AuditModule, ContentsModule, MediaModule, ReportsModule, FeedbackStatsModule, TrainingModule],
  controllers: [PeersController, ExchangesController, SourceMediaController],
  providers: [
    PeersRepository,
    PeersService,
    { provide: SourcePeers, useExisting: PeersService },
    OutboxRepository,
    OutboxService,
    { provide: SourceOutbox, useExisting: OutboxService },
    Dispatcher,
    LoaAdapter,
    OAuthTokens,
    RestAdapter,
    MediaLinks,
    UpFeedsRepository,
    UpFeeds,
  ],
  exports: [SourcePeers, SourceOutbox, PeersService, OAuthTokens, MediaLinks],
})
export class SourceSystemModule {}
