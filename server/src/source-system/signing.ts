import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { SOURCE_SIGNATURE_TOLERANCE_S } from '@loa/shared/rest';

/**
 * The signature of an exchange between peers (SOURCE_SIGNATURE_HEADER): `t=<unix seconds>,v1=<hex HMAC-SHA256 of
 * "<t>.<raw body>">` with the shared secret. The time is inside the MAC, so a captured request cannot be replayed
 * outside the tolerance window; inside it the idempotency key makes a replay a no-op.
 */
export function signBody(secret: string, body: string | Buffer, nowS: number): string {
  const t = Math.floor(nowS);
  return `t=${t},v1=${mac(secret, t, body)}`;
}

export type SignatureCheck = { ok: true } | { ok: false; reason: string };

/** Checks a signature header against the raw body: well-formed, within the tolerance window, and the MAC matches. */
export function verifySignature(secret: string, header: string | undefined | null, body: string | Buffer, nowS: number): SignatureCheck {
  if (!header) return { ok: false, reason: 'no signature' };
  const parts = new Map<string, string[]>();
  for (const piece of header.split(',')) {
    const eq = piece.indexOf('=');
    if (eq <= 0) continue;
    const k = piece.slice(0, eq).trim();
    parts.set(k, [...(parts.get(k) ?? []), piece.slice(eq + 1).trim()]);
  }
  const tText = parts.get('t')?.[0];
  if (tText === undefined || !/^\d{1,12}$/.test(tText)) return { ok: false, reason: 'malformed signature: no t=' };
  const t = Number(tText);
  if (Math.abs(nowS - t) > SOURCE_SIGNATURE_TOLERANCE_S) return { ok: false, reason: 'signature outside the time window (check the clocks)' };
  const expected = Buffer.from(mac(secret, t, body), 'hex');
  // Several v1 values may be sent while a secret is being rotated; one match is enough.
  for (const v of parts.get('v1') ?? []) {
    if (!/^[0-9a-f]{64}$/i.test(v)) continue;
    if (timingSafeEqual(Buffer.from(v.toLowerCase(), 'hex'), expected)) return { ok: true };
  }
  return { ok: false, reason: 'signature does not match' };
}

/** A new shared secret: 32 random bytes, base64url (43 characters). */
export function newPeerSecret(): string {
  return randomBytes(32).toString('base64url');
}

function mac(secret: string, t: number, body: string | Buffer): string {
  return createHmac('sha256', secret).update(`${t}.`).update(body).digest('hex');
}
