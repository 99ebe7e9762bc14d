import {
  BadRequestException,
  ConflictException,
  ForbiddenException,
  HttpException,
  HttpStatus,
  NotFoundException,
  UnauthorizedException,
  UnprocessableEntityException,
} from '@nestjs/common';
import { formatError, type ErrorCode, type ErrorParams, type ErrorView } from '@loa/shared/rest';

/**
 * A refusal with a stable code (issue 19). `message` stays English (logs, curl, older dashboards); the dashboard
 * shows the code's text in the user's language. Throw it wherever a user can cause the refusal.
 */
export class LoaError extends HttpException {
  constructor(
    status: number,
    readonly code: ErrorCode,
    readonly params: ErrorParams = {},
  ) {
    super(body(status, code, params), status);
  }
}

/**
 * The coded body, thrown as Nest's own exception class of the status so `instanceof NotFoundException` (scope checks,
 * tests, callers that translate one refusal into another) keeps working on coded refusals.
 */
const body = (status: number, code: ErrorCode, params: ErrorParams = {}, error?: string): ErrorView => ({
  statusCode: status,
  code,
  params: { ...params },
  message: formatError(code, params, 'en') ?? code,
  ...(error ? { error } : {}),
});

export const badRequest = (code: ErrorCode, params?: ErrorParams): BadRequestException => new BadRequestException(body(HttpStatus.BAD_REQUEST, code, params, 'Bad Request'));
export const forbidden = (code: ErrorCode, params?: ErrorParams): ForbiddenException => new ForbiddenException(body(HttpStatus.FORBIDDEN, code, params, 'Forbidden'));
export const notFound = (code: ErrorCode, params?: ErrorParams): NotFoundException => new NotFoundException(body(HttpStatus.NOT_FOUND, code, params, 'Not Found'));
export const conflict = (code: ErrorCode, params?: ErrorParams): ConflictException => new ConflictException(body(HttpStatus.CONFLICT, code, params, 'Conflict'));
export const unprocessable = (code: ErrorCode, params?: ErrorParams): UnprocessableEntityException =>
  new UnprocessableEntityException(body(HttpStatus.UNPROCESSABLE_ENTITY, code, params, 'Unprocessable Entity'));
export const unauthorized = (code: ErrorCode, params?: ErrorParams): UnauthorizedException => new UnauthorizedException(body(HttpStatus.UNAUTHORIZED, code, params, 'Unauthorized'));
export const tooMany = (code: ErrorCode, params?: ErrorParams): LoaError => new LoaError(HttpStatus.TOO_MANY_REQUESTS, code, params);

/** The coded part of a body, for a refusal thrown as another class (413) or with more fields (`errors`). */
export const coded = (code: ErrorCode, params: ErrorParams = {}): { code: ErrorCode; params: ErrorParams; message: string } => ({
  code,
  params: { ...params },
  message: formatError(code, params, 'en') ?? code,
});

/** The code and parameters of a refusal (coded or not), for tests and callers that re-throw. */
export function errorCodeOf(e: unknown): { code: string; params: ErrorParams } | null {
  if (!(e instanceof HttpException)) return null;
  const r = e.getResponse();
  if (!r || typeof r !== 'object' || typeof (r as { code?: unknown }).code !== 'string') return null;
  return { code: (r as { code: string }).code, params: ((r as { params?: ErrorParams }).params ?? {}) as ErrorParams };
}

const GENERIC: Readonly<Record<number, ErrorCode>> = {
  400: 'http.bad-request',
  401: 'http.unauthorized',
  403: 'http.forbidden',
  404: 'http.not-found',
  409: 'http.conflict',
  410: 'http.gone',
  413: 'http.too-large',
  415: 'http.unsupported-type',
  422: 'http.unprocessable',
  429: 'http.too-many',
  507: 'http.storage-full',
};

const textOf = (m: unknown): string => (Array.isArray(m) ? m.map(String).join('; ') : typeof m === 'string' ? m : '');

/**
 * Gives a plain HttpException (thrown before it had a code, or by Nest itself: the schema pipe's 400, an unknown
 * route's 404) the generic code of its status with its English text as `detail`, so every answer has one shape.
 * An exception that already carries a code is returned as it is.
 */
export function withErrorCode(e: HttpException): HttpException {
  const status = e.getStatus();
  const r = e.getResponse();
  const body: Record<string, unknown> = typeof r === 'string' ? { statusCode: status, message: r } : { ...(r as Record<string, unknown>) };
  if (typeof body.code === 'string' && body.params && typeof body.params === 'object') return e;
  const detail = textOf(body.message) || e.message;
  // The schema pipe's 400 is a list of zod issues: a request the dashboard should not have sent as it was.
  const code: ErrorCode = typeof body.code === 'string' ? (body.code as ErrorCode) : status === 400 && Array.isArray(body.message) ? 'request.invalid' : (GENERIC[status] ?? 'http.error');
  const out = new HttpException({ ...body, statusCode: body.statusCode ?? status, code, params: { ...(body.params as object | undefined), detail, status } }, status, { cause: e });
  return out;
}
