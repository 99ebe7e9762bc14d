import { Injectable, type NestMiddleware } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { coded } from '../common/loa-error.js';

/**
 * On a practice instance, the routes that configure or carry an outward path (the source-system connector and its
 * peers, CAP in and out, agent releases, external broker auth) answer 403: nothing done in practice may leave the
 * sandbox, and a trainee must not be able to set one up there either. The config already refuses their settings.
 */
export const OUTWARD_PREFIXES = ['/api/v1/source-system', '/api/v1/cap', '/api/v1/ota', '/api/broker'] as const;

export const isOutwardPath = (path: string): boolean => OUTWARD_PREFIXES.some((p) => path === p || path.startsWith(`${p}/`));

@Injectable()
export class PracticeOutwardMiddleware implements NestMiddleware {
  use(req: IncomingMessage & { originalUrl?: string }, res: ServerResponse, next: () => void): void {
    const path = new URL(req.originalUrl ?? req.url ?? '/', 'http://x').pathname;
    if (!isOutwardPath(path)) return next();
    res.statusCode = 403;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end(JSON.stringify({ statusCode: 403, error: 'Forbidden', ...coded('practice.outward-disabled') }));
  }
}
