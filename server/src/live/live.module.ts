import { Module } from '@nestjs/common';
import { AlertsModule } from '../alerts/alerts.module.js';
import { MediaModule } from '../media/media.module.js';
import { MediaToolsModule } from '../media/media-tools.module.js';
import { LiveController } from './live.controller.js';
import { LiveMicGateway } from './live-mic.gateway.js';
import { LiveService } from './live.service.js';

/** Live voice (issue 18): microphone sessions and relays on demand, as area alerts carrying a stream. */
@Module({ imports: [AlertsModule, MediaModule, MediaToolsModule], controllers: [LiveController], providers: [LiveService, LiveMicGateway] })
export class LiveModule {}
