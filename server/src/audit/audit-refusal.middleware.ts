import { Inject, Injectable, type NestMiddleware } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { AuditRoutes } from './audit-routes.js';
import { AuditSnapshots } from './audit-snapshots.js';
import { AUDITED, actorOf, ipOf, isAuditedCall, outcomeOf, requestDetail, type AuditableRequest } from './audit.interceptor.js';
import { AuditService } from './audit.service.js';

/**
 * Interceptors run after guards, so a call the AuthGuard refuses (a role that may not do this: 403) never reaches the
 * audit interceptor. This records those once the answer is sent, for signed-in users on known routes. The entry is
 * written just after the answer, not before it like the interceptor's.
 */
@Injectable()
export class AuditRefusalMiddleware implements NestMiddleware {
  constructor(
    private readonly routes: AuditRoutes,
    private readonly audit: AuditService,
    private readonly snapshots: AuditSnapshots,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  use(req: AuditableRequest, res: ServerResponse, next: () => void): void {
    if (isAuditedCall(req)) {
      res.once('finish', () => {
        this.recordIfMissed(req, res.statusCode).catch((err: Error) => this.logger.error({ ctx: 'audit', err: err.message }, 'audit of a refused call failed'));
      });
    }
    next();
  }

  private async recordIfMissed(req: AuditableRequest, status: number): Promise<void> {
    if (req[AUDITED] || status < 400) return;
    const actor = actorOf(req.principal);
    const routePath = req.route?.path;
    if (!actor || typeof routePath !== 'string') return;
    const meta = this.routes.find(req.method, routePath);
    if (!meta || meta.readOnly) return;
    const resourceId = meta.idParam === undefined ? null : (req.params?.[meta.idParam] ?? null);
    const resource = meta.resource ?? null;
    const areaCode = resource && resourceId !== null ? this.snapshots.areaOf(resource, await this.snapshots.load(resource, resourceId)) : null;
    await this.audit.record({
      actor,
      action: meta.action,
      resourceType: resource,
      resourceId,
      areaCode,
      outcome: outcomeOf(status),
      status,
      // Own-account routes carry passwords under plain names.
      detail: meta.action.startsWith('auth.') ? {} : requestDetail(req, meta.omitBody),
      ip: ipOf(req),
    });
  }
}
