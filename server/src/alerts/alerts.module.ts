import { Module } from '@nestjs/common';
import { ApprovalRulesModule } from '../approvals/approval-rules.module.js';
import { AreasModule } from '../areas/areas.module.js';
import { FanoutsModule } from '../fanouts/fanouts.module.js';
import { AlertExpiry } from './alert-expiry.js';
import { AlertFanout } from './alert-fanout.js';
import { AlertsController } from './alerts.controller.js';
import { AlertsRepository } from './alerts.repository.js';
import { AlertsService } from './alerts.service.js';
import { TtsModule } from '../tts/tts.module.js';
import { AlertDeliveriesRepository } from './alert-deliveries.repository.js';
import { AlertProofService } from './alert-proof.service.js';
import { AlertProgress } from './alert-progress.js';
import { AlertDeliveriesRetention } from './alert-retention.js';
import { AlertRetentionRepository } from './alert-retention.repository.js';

@Module({ imports: [AreasModule, ApprovalRulesModule, FanoutsModule, TtsModule], controllers: [AlertsController], providers: [AlertsRepository, AlertsService, AlertExpiry, AlertFanout, AlertDeliveriesRepository, AlertProofService, AlertProgress, AlertRetentionRepository, AlertDeliveriesRetention], exports: [AlertsService] })
export class AlertsModule {}
