import { Module } from '@nestjs/common';
import { ApprovalRulesModule } from '../approvals/approval-rules.module.js';
import { AreasModule } from '../areas/areas.module.js';
import { FanoutsModule } from '../fanouts/fanouts.module.js';
import { AlertExpiry } from './alert-expiry.js';
import { AlertFanout } from './alert-fanout.js';
import { AlertsController } from './alerts.controller.js';
import { AlertsRepository } from './alerts.repository.js';
import { AlertsService } from './alerts.service.js';

@Module({ imports: [AreasModule, ApprovalRulesModule, FanoutsModule], controllers: [AlertsController], providers: [AlertsRepository, AlertsService, AlertExpiry, AlertFanout], exports: [AlertsService] })
export class AlertsModule {}
