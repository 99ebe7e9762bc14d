/**
 * Byte ranges and conditional requests for media downloads (RFC 9110 §13–14), as pure functions so every edge
 * case is unit-tested without a server. Agents on 3G/4G resume interrupted downloads with `Range`, and skip them
 * entirely with `If-None-Match` when they already hold the file.
 */

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
