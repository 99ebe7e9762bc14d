import { Module } from '@nestjs/common';
import { DatabaseHealth, TypeOrmDatabaseHealth } from './database-health.js';
import { HealthController } from './health.controller.js';

@Module({ controllers: [HealthController], providers: [{ provide: DatabaseHealth, useClass: TypeOrmDatabaseHealth }] })
export class HealthModule {}
