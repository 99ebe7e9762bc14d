import { ArgumentsHost, Catch, HttpException, HttpStatus, type ExceptionFilter } from '@nestjs/common';
import { FEEDBACK_REFUSALS, type FeedbackRefusal, type FeedbackRefusalView } from '@loa/shared/rest';

/**
 * A refusal of the public intake: `{ statusCode, code, message }` with a stable code and its Vietnamese text (the
 * page shows it as is), and `retryAfterSeconds` on 429. `detail` is for the logs only: the public never sees why a
 * file or a text was judged as it was beyond the code's message.
 */
export class FeedbackRefused extends HttpException {
  constructor(
    readonly code: FeedbackRefusal,
    status: number,
    readonly detail: string = '',
    readonly retryAfterSeconds?: number,
  ) {
    const body: FeedbackRefusalView = { statusCode: status, code, message: FEEDBACK_REFUSALS[code] };
    if (retryAfterSeconds !== undefined) body.retryAfterSeconds = retryAfterSeconds;
    super(body, status);
  }
}

/** The code a plain HTTP error of a public route is answered with (schema pipe's 400, an unknown route's 404…). */
function codeFor(status: number, message: string): FeedbackRefusal {
  if (status === HttpStatus.NOT_FOUND) return 'not-found';
  if (status === HttpStatus.PAYLOAD_TOO_LARGE) return 'attachment-too-large';
  if (status === HttpStatus.UNSUPPORTED_MEDIA_TYPE) return 'attachment-type';
  if (status === HttpStatus.TOO_MANY_REQUESTS) return 'rate-limited-address';
  // The one conflict of the public routes: a rating the core refused (answered meanwhile, or the window closed).
  if (status === HttpStatus.CONFLICT) return 'rating-not-open';
  return /invalid-phone/.test(message) ? 'invalid-phone' : 'invalid';
}

const messageOf = (e: HttpException): string => {
  const r = e.getResponse();
  if (typeof r === 'string') return r;
  const m = (r as { message?: unknown }).message;
  return Array.isArray(m) ? m.map(String).join('; ') : typeof m === 'string' ? m : JSON.stringify(r);
};

interface Res {
  status(code: number): Res;
  setHeader(name: string, value: string): void;
  json(body: unknown): void;
}

/**
 * For the public controllers: every HTTP error leaves as a refusal body, so the page has one shape to read (the
 * schema pipe's 400 names the phone when that is what failed). Anything else is left to the global filters.
 */
@Catch(HttpException)
export class FeedbackRefusalFilter implements ExceptionFilter {
  catch(exception: HttpException, host: ArgumentsHost): void {
    const res = host.switchToHttp().getResponse<Res>();
    const status = exception.getStatus();
    let body: FeedbackRefusalView;
    if (exception instanceof FeedbackRefused) {
      body = exception.getResponse() as FeedbackRefusalView;
    } else if (status >= 500) {
      body = { statusCode: status, code: 'invalid', message: messageOf(exception) };
    } else {
      const code = codeFor(status, messageOf(exception));
      body = { statusCode: status, code, message: FEEDBACK_REFUSALS[code] };
    }
    if (body.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(body.retryAfterSeconds));
    res.status(status).json(body);
  }
}
