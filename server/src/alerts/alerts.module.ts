import { Module } from '@nestjs/common';
import { AreasModule } from '../areas/areas.module.js';
import { AlertExpiry } from './alert-expiry.js';
import { AlertsController } from './alerts.controller.js';
import { AlertsRepository } from './alerts.repository.js';
import { AlertsService } from './alerts.service.js';

@Module({ imports: [AreasModule], controllers: [AlertsController], providers: [AlertsRepository, AlertsService, AlertExpiry] })
export class AlertsModule {}
