import { Module, RequestMethod, type MiddlewareConsumer, type NestModule } from '@nestjs/common';
import { APP_INTERCEPTOR, DiscoveryModule } from '@nestjs/core';
import { AuditLoaders } from './audit-loaders.js';
import { AuditNames } from './audit-names.js';
import { AuditNamesRepository } from './audit-names.repository.js';
import { AuditRefusalMiddleware } from './audit-refusal.middleware.js';
import { AuditRetention } from './audit-retention.js';
import { AuditRoutes } from './audit-routes.js';
import { AuditSnapshots } from './audit-snapshots.js';
import { AuditSnapshotsRepository } from './audit-snapshots.repository.js';
import { AuditController } from './audit.controller.js';
import { AuditInterceptor } from './audit.interceptor.js';
import { AuditRepository } from './audit.repository.js';
import { AuditService } from './audit.service.js';

/**
 * Issue 7: the audit log. A global interceptor records every mutating API call by a user; features may register
 * snapshot loaders with AuditSnapshots (exported) for before/after of their resources.
 */
@Module({
  imports: [DiscoveryModule],
  controllers: [AuditController],
  providers: [
    AuditRepository,
    AuditNames,
    AuditNamesRepository,
    AuditService,
    AuditSnapshots,
    AuditSnapshotsRepository,
    AuditLoaders,
    AuditRoutes,
    AuditRetention,
    AuditRefusalMiddleware,
    { provide: APP_INTERCEPTOR, useClass: AuditInterceptor },
  ],
  exports: [AuditService, AuditSnapshots],
})
export class AuditModule implements NestModule {
  configure(consumer: MiddlewareConsumer): void {
    consumer.apply(AuditRefusalMiddleware).forRoutes({ path: 'api/v1/{*path}', method: RequestMethod.ALL });
  }
}
