import { HttpException, Inject, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { catchError, from, mergeMap, throwError, type Observable } from 'rxjs';
import { AuthController } from '../auth/auth.controller.js';
import type { Principal } from '../auth/principal.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { AuditRoutes, auditMetaOf } from './audit-routes.js';
import { AuditSnapshots } from './audit-snapshots.js';
import { AuditRepository } from './audit.repository.js';
import { AuditService, type AuditActor, type AuditOutcome } from './audit.service.js';

export const AUDITED = Symbol('loa:audited');

/** The parts of an Express request the audit log reads. */
export interface AuditableRequest {
  method: string;
  originalUrl?: string;
  url?: string;
  principal?: Principal;
  params?: Record<string, string | undefined>;
  query?: unknown;
  body?: unknown;
  ip?: string;
  socket?: { remoteAddress?: string };
  route?: { path?: unknown };
  /** Set once the call has been recorded, so the guard-refusal fallback does not record it again. */
  [AUDITED]?: true;
}

const MUTATING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * A read-only check sent as a write: `dryRun` in the body (the schedule editor's conflict analysis, sent on every
 * change of the form) or in the query (`?dryRun=true`, the area import's check). Issue 19: these were logged as
 * another "create" each time. They change nothing, so, like reads, they are not audited at all; the save that
 * follows is. Refusals of a check are not kept either, as refused reads are not.
 */
export function isReadOnlyCheck(req: AuditableRequest): boolean {
  const body = req.body as { dryRun?: unknown } | null | undefined;
  if (typeof body === 'object' && body !== null && !Array.isArray(body) && body.dryRun === true) return true;
  const q = (req.query ?? {}) as Record<string, unknown>;
  const flag = q.dryRun;
  return flag === true || flag === 'true' || flag === '1';
}

/** A mutating call under /api/v1 (device-authenticated calls and unauthenticated ones other than login excluded). */
export const isAuditedCall = (req: AuditableRequest): boolean => MUTATING.has(req.method) && (req.originalUrl ?? req.url ?? '').startsWith('/api/v1/') && !isReadOnlyCheck(req);

export const actorOf = (p: Principal | undefined): AuditActor | null =>
  p?.type === 'user' ? { id: p.userId, name: p.username, role: p.role, areaCode: p.areaCode } : null;

export const ipOf = (req: AuditableRequest): string | null => req.ip ?? req.socket?.remoteAddress ?? null;

export const outcomeOf = (status: number): AuditOutcome => (status < 400 ? 'ok' : status < 500 ? 'refused' : 'error');

/** Redacted request body and query; empty parts are left out. */
export function requestDetail(req: AuditableRequest, omitBody?: readonly string[]): Record<string, unknown> {
  const d: Record<string, unknown> = {};
  const body = omitBody === undefined || typeof req.body !== 'object' || req.body === null || Array.isArray(req.body) ? req.body : withoutKeys(req.body as Record<string, unknown>, omitBody);
  if (body !== undefined && body !== null && !(typeof body === 'object' && !Buffer.isBuffer(body) && Object.keys(body).length === 0) && body !== '') d.body = body;
  if (req.query && typeof req.query === 'object' && Object.keys(req.query).length > 0) d.query = req.query;
  return d;
}

function withoutKeys(body: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) out[k] = keys.includes(k) ? '[left out: personal data]' : v;
  return out;
}

function errorOf(err: unknown): { status: number; message: string } {
  if (err instanceof HttpException) {
    const r = err.getResponse();
    const m = typeof r === 'string' ? r : (r as { message?: unknown }).message;
    return { status: err.getStatus(), message: Array.isArray(m) ? m.join('; ') : typeof m === 'string' ? m : err.message };
  }
  return { status: 500, message: 'internal error' };
}

interface Call {
  action: string;
  actor: AuditActor | null;
  resource: string | null;
  resourceId: string | null;
  before: Record<string, unknown> | null;
  detail: Record<string, unknown>;
  login: boolean;
  ip: string | null;
}

/**
 * Records every mutating API call made by a user: who, what, when, outcome and status, the redacted request, and for
 * routes with `@Audit(…, { resource })` the resource before and after. Login attempts are recorded too (success and
 * failure), under the username given. The entry is written before the answer goes out, and never fails the call.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(
    private readonly reflector: Reflector,
    private readonly audit: AuditService,
    private readonly snapshots: AuditSnapshots,
    private readonly repo: AuditRepository,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (ctx.getType() !== 'http') return next.handle();
    const req = ctx.switchToHttp().getRequest<AuditableRequest>();
    if (!isAuditedCall(req)) return next.handle();
    const login = ctx.getClass() === AuthController && ctx.getHandler() === AuthController.prototype.login;
    const actor = actorOf(req.principal);
    if (!actor && !login) return next.handle();
    const meta = auditMetaOf(this.reflector, ctx.getClass(), ctx.getHandler());
    req[AUDITED] = true;
    if (meta.readOnly) return next.handle();

    const idParam = meta.idParam === undefined ? undefined : req.params?.[meta.idParam];
    const call: Call = {
      action: meta.action,
      actor,
      resource: meta.resource ?? null,
      resourceId: idParam ?? null,
      before: null,
      // The other auth routes carry passwords under plain names (current, new): only the login's username is kept.
      detail: login ? { body: { username: usernameOf(req) } } : ctx.getClass() === AuthController ? {} : requestDetail(req, meta.omitBody),
      login,
      ip: ipOf(req),
    };
    const status = () => (ctx.switchToHttp().getResponse<{ statusCode?: number }>().statusCode ?? 200);
    return from(this.loadBefore(call)).pipe(
      mergeMap(() => next.handle()),
      mergeMap(async (value: unknown) => {
        await this.succeeded(call, value, status());
        return value;
      }),
      catchError((err: unknown) => from(this.failed(call, err)).pipe(mergeMap(() => throwError(() => err)))),
    );
  }

  private async loadBefore(call: Call): Promise<void> {
    if (call.resource && call.resourceId !== null) call.before = await this.snapshot(call.resource, call.resourceId);
  }

  private async succeeded(call: Call, response: unknown, status: number): Promise<void> {
    if (call.login) return this.loginSucceeded(call, response, status);
    let after: unknown = null;
    let resourceId = call.resourceId;
    let areaCode = call.resource ? this.snapshots.areaOf(call.resource, call.before) : null;
    if (call.resource) {
      if (resourceId !== null) {
        const current = await this.snapshot(call.resource, resourceId);
        after = current;
        areaCode = this.snapshots.areaOf(call.resource, current) ?? areaCode;
      } else {
        after = response ?? null;
        resourceId = this.snapshots.idOf(call.resource, response);
        if (resourceId !== null) areaCode = this.snapshots.areaOf(call.resource, await this.snapshot(call.resource, resourceId));
      }
    }
    await this.audit.record({
      actor: call.actor!,
      action: call.action,
      resourceType: call.resource,
      resourceId,
      areaCode,
      outcome: outcomeOf(status),
      status,
      before: call.before,
      after,
      detail: call.detail,
      ip: call.ip,
    });
  }

  private async failed(call: Call, err: unknown): Promise<void> {
    const { status, message } = errorOf(err);
    const outcome = outcomeOf(status);
    if (call.login) return this.loginFailed(call, status, message);
    const areaCode = call.resource ? this.snapshots.areaOf(call.resource, call.before) : null;
    // A refused call changed nothing; its snapshot could show a resource outside the caller's area to the caller's
    // own area admins, so it is left out. After a server error the state is worth keeping.
    const keep = outcome === 'error';
    const after = keep && call.resource && call.resourceId !== null ? await this.snapshot(call.resource, call.resourceId) : null;
    await this.audit.record({
      actor: call.actor!,
      action: call.action,
      resourceType: call.resource,
      resourceId: call.resourceId,
      areaCode,
      outcome,
      status,
      before: keep ? call.before : null,
      after,
      detail: { ...call.detail, error: message },
      ip: call.ip,
    });
  }

  private async loginSucceeded(call: Call, response: unknown, status: number): Promise<void> {
    const user = (response as { user?: { id?: unknown; username?: unknown; role?: unknown; areaCode?: unknown } } | null)?.user;
    const name = typeof user?.username === 'string' ? user.username : String((call.detail.body as { username?: unknown }).username ?? '');
    const actor: AuditActor = {
      id: typeof user?.id === 'string' ? user.id : null,
      name,
      role: typeof user?.role === 'string' ? user.role : 'unknown',
      areaCode: typeof user?.areaCode === 'string' ? user.areaCode : null,
    };
    await this.audit.record({ actor, action: 'auth.login', resourceType: 'user', resourceId: actor.id, areaCode: actor.areaCode, outcome: 'ok', status, detail: call.detail, ip: call.ip });
  }

  /**
   * Attributed to the username tried (no password is ever read). When that account exists its role and area go on
   * the entry, so the admins of its area see attempts on it; the actor id stays empty: nobody was authenticated.
   */
  private async loginFailed(call: Call, status: number, message: string): Promise<void> {
    const username = String((call.detail.body as { username?: unknown }).username ?? '');
    const account = username ? await this.repo.accountOf(username).catch(() => null) : null;
    await this.audit.record({
      actor: { id: null, name: username, role: account?.role ?? 'anonymous', areaCode: account?.areaCode ?? null },
      action: 'auth.login-failed',
      resourceType: account ? 'user' : null,
      resourceId: account?.id ?? null,
      areaCode: account?.areaCode ?? null,
      outcome: outcomeOf(status),
      status,
      detail: { ...call.detail, error: message },
      ip: call.ip,
    });
  }

  private async snapshot(type: string, id: string): Promise<Record<string, unknown> | null> {
    try {
      return await this.snapshots.load(type, id);
    } catch (err) {
      this.logger.warn({ ctx: 'audit', type, id, err: (err as Error).message }, 'audit snapshot could not be read');
      return null;
    }
  }
}

function usernameOf(req: AuditableRequest): string {
  const u = (req.body as { username?: unknown } | undefined)?.username;
  return typeof u === 'string' ? u.slice(0, 64) : '';
}
