import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { Observable } from 'rxjs';
import { badRequest } from '../common/loa-error.js';

/**
 * Issue 20: an agent update reaches devices only through a rollout (staged, with thresholds and guards), never as
 * a generic command. Runs before the body is validated, so the refusal says why instead of "invalid request".
 */
@Injectable()
export class RefuseUpdateCommand implements NestInterceptor {
  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const body = ctx.switchToHttp().getRequest<{ body?: unknown }>().body;
    const type = (body as { command?: { type?: unknown } } | null | undefined)?.command?.type;
    if (type === 'update') throw badRequest('ota.update-via-rollout');
    return next.handle();
  }
}
