import { Module } from '@nestjs/common';
import { AlertsModule } from '../alerts/alerts.module.js';
import { MediaModule } from '../media/media.module.js';
import { TtsModule } from '../tts/tts.module.js';
import { CapAudio } from './cap-audio.js';
import { CapFeeds } from './cap-feeds.js';
import { CapInboundService } from './cap-inbound.service.js';
import { CapMessagesService } from './cap-messages.service.js';
import { CapOutService } from './cap-out.service.js';
import { CapSourcesService } from './cap-sources.service.js';
import { CapController, CapOutController } from './cap.controller.js';
import { CapRepository } from './cap.repository.js';

/**
 * Issue 18, CAP 1.2: sources (push and polled feeds), messages validated against the OASIS schema and mapped onto
 * Loa alerts (AlertsService), the record of every message, and Loa's alerts published back out as CAP.
 */
@Module({
  imports: [AlertsModule, MediaModule, TtsModule],
  controllers: [CapController, CapOutController],
  providers: [CapRepository, CapSourcesService, CapAudio, CapInboundService, CapMessagesService, CapOutService, CapFeeds],
})
export class CapModule {}
