import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { ImageProcessor } from '../contents/image-processor.js';
import { MediaToolsModule } from '../media/media-tools.module.js';
import { MediaStorage } from '../media/media.storage.js';
import { AttachmentChecker } from './attachment-checker.js';
import { FeedbackCoreModule } from './feedback-core.module.js';
import { FeedbackLimits } from './feedback-limits.js';
import { FeedbackSettingsModule } from './feedback-settings.module.js';
import { FeedbackThrottleRepository } from './feedback-throttle.repository.js';
import { PublicAreasRepository } from './public-areas.repository.js';
import { PublicFeedbackController } from './public-feedback.controller.js';
import { PublicFeedbackReceiver } from './public-feedback.receiver.js';
import { PublicFeedbackService } from './public-feedback.service.js';
import { QrCodes, QrCodeSvg } from './qr-code.js';
import { ShortLinkController } from './short-link.controller.js';
import { SmsInboundController } from './sms-inbound.controller.js';
import { SmsInboundService } from './sms-inbound.service.js';
import { SmsNotifier } from './sms-notifier.js';
import { HttpSmsSender, SmsSender } from './sms-sender.js';

/** Issue 17: the public intake (page API, tracking, rating), the SMS gateway both ways, QR codes and the short link. */
@Module({
  imports: [FeedbackCoreModule, FeedbackSettingsModule, MediaToolsModule, AuditModule],
  controllers: [PublicFeedbackController, ShortLinkController, SmsInboundController],
  providers: [
    PublicFeedbackService,
    PublicFeedbackReceiver,
    PublicAreasRepository,
    FeedbackThrottleRepository,
    FeedbackLimits,
    // Attachments are decoded as board images are (ffprobe/ffmpeg); MediaStorage only lends its temp directory.
    AttachmentChecker,
    ImageProcessor,
    MediaStorage,
    { provide: QrCodes, useClass: QrCodeSvg },
    SmsInboundService,
    { provide: SmsSender, useClass: HttpSmsSender },
    SmsNotifier,
  ],
})
export class FeedbackIntakeModule {}
