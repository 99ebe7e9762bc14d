import { Module } from '@nestjs/common';
import { ApprovalRulesModule } from '../approvals/approval-rules.module.js';
import { AreasModule } from '../areas/areas.module.js';
import { AlertExpiry } from './alert-expiry.js';
import { AlertsController } from './alerts.controller.js';
import { AlertsRepository } from './alerts.repository.js';
import { AlertsService } from './alerts.service.js';

@Module({ imports: [AreasModule, ApprovalRulesModule], controllers: [AlertsController], providers: [AlertsRepository, AlertsService, AlertExpiry], exports: [AlertsService] })
export class AlertsModule {}
