/**
 * Byte ranges and conditional requests for media downloads (RFC 9110 §13–14), as pure functions so every edge
 * case is unit-tested without a server, and `sendRanged`, the one place that writes such an answer (media files and
 * agent release packages). Agents on 3G/4G resume interrupted downloads with `Range`, and skip them entirely with
 * `If-None-Match` when they already hold the file.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Inclusive byte positions, as in `Content-Range`. */
export interface ByteRange {
  start: number;
  end: number;
}

export type RangeRequest =
  /** No usable Range header (absent, not `bytes=`, malformed, or several ranges): send the whole file. */
  | { kind: 'none' }
  | { kind: 'range'; range: ByteRange }
  /** Well-formed but outside the file: 416 with `Content-Range: bytes *\/size`. */
  | { kind: 'unsatisfiable' };

const DIGITS = /^\d+$/;

/**
 * Parses a `Range` header against a representation of `size` bytes. Multiple ranges are answered with the whole
 * file (allowed by RFC 9110 §14.2: a server may ignore Range), which keeps responses single-part.
 */
export function parseRange(header: string | undefined, size: number): RangeRequest {
  if (header === undefined) return { kind: 'none' };
  const value = header.trim();
  const eq = value.indexOf('=');
  if (eq < 0 || value.slice(0, eq).trim().toLowerCase() !== 'bytes') return { kind: 'none' };
  const spec = value.slice(eq + 1).trim();
  if (spec.includes(',')) return { kind: 'none' };
  const dash = spec.indexOf('-');
  if (dash < 0) return { kind: 'none' };
  const first = spec.slice(0, dash).trim();
  const last = spec.slice(dash + 1).trim();

  if (first === '') {
    // Suffix range: the last n bytes.
    if (!DIGITS.test(last)) return { kind: 'none' };
    const n = toInt(last);
    if (n === null) return { kind: 'none' };
    if (n === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'range', range: { start: Math.max(0, size - n), end: size - 1 } };
  }

  if (!DIGITS.test(first) || (last !== '' && !DIGITS.test(last))) return { kind: 'none' };
  const start = toInt(first);
  const end = last === '' ? size - 1 : toInt(last);
  if (start === null || end === null) return { kind: 'none' };
  if (last !== '' && end < start) return { kind: 'none' }; // invalid range-spec: ignored, not 416
  if (start >= size) return { kind: 'unsatisfiable' };
  return { kind: 'range', range: { start, end: Math.min(end, size - 1) } };
}

function toInt(digits: string): number | null {
  const n = Number(digits);
  return Number.isSafeInteger(n) ? n : null;
}

/** Strong entity tag of a media file: its content hash, so it never changes for a given URL. */
export const mediaEtag = (sha256: string): string => `"${sha256}"`;

/** `If-None-Match` uses the weak comparison: `W/"x"` matches `"x"`; `*` matches any existing file. */
export function etagMatches(ifNoneMatch: string, etag: string): boolean {
  return ifNoneMatch
    .split(',')
    .map((t) => t.trim())
    .some((t) => t === '*' || (t.startsWith('W/') ? t.slice(2) : t) === etag);
}

export interface ConditionalHeaders {
  ifNoneMatch?: string | undefined;
  range?: string | undefined;
  ifRange?: string | undefined;
}

export type DownloadPlan =
  | { status: 304 }
  | { status: 200; range: ByteRange | null }
  | { status: 206; range: ByteRange }
  | { status: 416 };

/**
 * Decides the response to a GET/HEAD of a file of `size` bytes with entity tag `etag`. `range` of a 200 is null
 * only for an empty file (nothing to read).
 */
export function planDownload(headers: ConditionalHeaders, etag: string, size: number): DownloadPlan {
  if (headers.ifNoneMatch !== undefined && etagMatches(headers.ifNoneMatch, etag)) return { status: 304 };
  const whole: DownloadPlan = { status: 200, range: size > 0 ? { start: 0, end: size - 1 } : null };
  // If-Range needs a strong match (RFC 9110 §13.1.5); a date or another tag means "the file changed: send it all".
  if (headers.ifRange !== undefined && headers.ifRange.trim() !== etag) return whole;
  const parsed = parseRange(headers.range, size);
  switch (parsed.kind) {
    case 'none':
      return whole;
    case 'unsatisfiable':
      return { status: 416 };
    case 'range':
      return { status: 206, range: parsed.range };
  }
}

/** An open file a ranged response reads from (media files, agent release packages). */
export interface RangedFile {
  readonly size: number;
  stream(range: ByteRange): Readable;
  close(): Promise<void>;
}

export interface RangedResponse {
  etag: string;
  contentType: string;
  cacheControl: string;
}

const headerOf = (req: IncomingMessage, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
};

/**
 * Answers a GET/HEAD of `file` with conditional and byte-range support, so a device on a flaky link resumes where it
 * was cut. Resolves with what was sent: `null` when no body was streamed (304, 416, HEAD, empty file), otherwise
 * whether it was a partial answer and, when the client went away mid-stream, the error (it resumes with Range).
 */
export async function sendRanged(req: IncomingMessage, res: ServerResponse, file: RangedFile, how: RangedResponse): Promise<{ partial: boolean; interrupted: Error | null } | null> {
  const plan = planDownload({ ifNoneMatch: headerOf(req, 'if-none-match'), range: headerOf(req, 'range'), ifRange: headerOf(req, 'if-range') }, how.etag, file.size);
  res.setHeader('ETag', how.etag);
  res.setHeader('Accept-Ranges', 'bytes');
  res.setHeader('Cache-Control', how.cacheControl);
  res.statusCode = plan.status;
  if (plan.status === 304 || plan.status === 416) {
    await file.close();
    if (plan.status === 416) {
      res.setHeader('Content-Range', `bytes */${file.size}`);
      res.setHeader('Content-Length', 0);
    }
    res.end();
    return null;
  }
  const range = plan.range;
  res.setHeader('Content-Type', how.contentType);
  res.setHeader('Content-Length', range ? range.end - range.start + 1 : 0);
  if (plan.status === 206) res.setHeader('Content-Range', `bytes ${plan.range.start}-${plan.range.end}/${file.size}`);
  if (req.method === 'HEAD' || !range) {
    await file.close();
    res.end();
    return null;
  }
  try {
    await pipeline(file.stream(range), res);
    return { partial: plan.status === 206, interrupted: null };
  } catch (err) {
    return { partial: plan.status === 206, interrupted: err as Error };
  }
}
