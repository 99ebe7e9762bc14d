import { Module } from '@nestjs/common';
import { DashboardConfigController } from './dashboard-config.controller.js';

@Module({ controllers: [DashboardConfigController] })
export class DashboardConfigModule {}
