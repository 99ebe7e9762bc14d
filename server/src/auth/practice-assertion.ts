import { createHmac, timingSafeEqual } from 'node:crypto';
import { PRACTICE_ASSERTION_PREFIX } from '@loa/shared/rest';

/**
 * The identity assertion the main server's proxy gives a practice instance instead of the user's token:
 * `practice.<payload>.<mac>`, payload = base64url JSON { u: username, exp: epoch ms }, mac = HMAC-SHA256 of the
 * payload with the sandbox secret. The practice instance has no sessions of its own: it believes only this, so a
 * request that did not come through the main server (which authenticated the user) is refused. The format fits a
 * bearer header and a websocket subprotocol (`bearer.<assertion>`).
 */
export interface PracticeIdentity {
  readonly username: string;
  /** Epoch ms after which the assertion is refused. */
  readonly exp: number;
}

/** Long enough for a request or an upload; a live event stream is re-checked and reopened by the dashboard. */
export const ASSERTION_TTL_MS = 5 * 60_000;

const mac = (secret: string, payload: string): Buffer => createHmac('sha256', secret).update(payload).digest();

export function signAssertion(secret: string, username: string, now: number, ttlMs = ASSERTION_TTL_MS): string {
  const payload = Buffer.from(JSON.stringify({ u: username, exp: now + ttlMs })).toString('base64url');
  return `${PRACTICE_ASSERTION_PREFIX}${payload}.${mac(secret, payload).toString('base64url')}`;
}

/** The identity, or null when the assertion is malformed, forged (constant-time check) or expired. */
export function verifyAssertion(secret: string, token: string, now: number): PracticeIdentity | null {
  if (!token.startsWith(PRACTICE_ASSERTION_PREFIX)) return null;
  const [payload, sig, extra] = token.slice(PRACTICE_ASSERTION_PREFIX.length).split('.');
  if (!payload || !sig || extra !== undefined) return null;
  const given = Buffer.from(sig, 'base64url');
  const expected = mac(secret, payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  const p = parsed as { u?: unknown; exp?: unknown };
  if (typeof p.u !== 'string' || p.u === '' || typeof p.exp !== 'number' || !Number.isFinite(p.exp)) return null;
  if (p.exp <= now) return null;
  return { username: p.u, exp: p.exp };
}

/** Constant-time comparison of the seed call's secret header. */
export function secretMatches(secret: string, given: string | undefined): boolean {
  if (given === undefined) return false;
  const a = createHmac('sha256', 'loa-practice').update(secret).digest();
  const b = createHmac('sha256', 'loa-practice').update(given).digest();
  return timingSafeEqual(a, b);
}
