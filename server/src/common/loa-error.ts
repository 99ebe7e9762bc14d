import { HttpException, HttpStatus } from '@nestjs/common';
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
    const body: ErrorView = { statusCode: status, code, params: { ...params }, message: formatError(code, params, 'en') ?? code };
    super(body, status);
  }
}

export const badRequest = (code: ErrorCode, params?: ErrorParams): LoaError => new LoaError(HttpStatus.BAD_REQUEST, code, params);
export const forbidden = (code: ErrorCode, params?: ErrorParams): LoaError => new LoaError(HttpStatus.FORBIDDEN, code, params);
export const notFound = (code: ErrorCode, params?: ErrorParams): LoaError => new LoaError(HttpStatus.NOT_FOUND, code, params);
export const conflict = (code: ErrorCode, params?: ErrorParams): LoaError => new LoaError(HttpStatus.CONFLICT, code, params);
export const unprocessable = (code: ErrorCode, params?: ErrorParams): LoaError => new LoaError(HttpStatus.UNPROCESSABLE_ENTITY, code, params);

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
