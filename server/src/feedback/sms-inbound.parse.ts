/**
 * The pure half of the SMS webhook (issue 17): the gateway's signature, its body in whatever shape it posts, the
 * configured field mapping, and the "XA <commune> <text>" convention. No I/O, so each rule is tested on its own.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** How far the gateway's timestamp may be from our clock (a captured request cannot be replayed later). */
export const SMS_SIGNATURE_TOLERANCE_S = 300;

export type SmsSignatureCheck = { ok: true } | { ok: false; reason: string };

/** Unix seconds from a timestamp header: digits (seconds, or milliseconds when 13 digits) or an ISO instant. */
export function timestampSeconds(value: string): number | null {
  const v = value.trim();
  if (/^\d{1,10}$/.test(v)) return Number(v);
  if (/^\d{13}$/.test(v)) return Math.floor(Number(v) / 1000);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(v)) return null;
  const ms = Date.parse(v);
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : null;
}

/**
 * Hex HMAC-SHA256 of the raw body with the inbound secret ("sha256=" prefix allowed); with a timestamp header
 * configured, of "<timestamp as sent>.<body>", the timestamp within ±300 s. Compared in constant time.
 */
export function verifySmsSignature(input: {
  secret: string;
  raw: Buffer;
  signature: string | undefined;
  /** Null when no timestamp header is configured. */
  timestamp: string | undefined | null;
  nowS: number;
}): SmsSignatureCheck {
  const given = input.signature?.trim().replace(/^sha256=/i, '');
  if (!given) return { ok: false, reason: 'no signature' };
  if (!/^[0-9a-f]{64}$/i.test(given)) return { ok: false, reason: 'malformed signature (hex HMAC-SHA256 expected)' };
  const mac = createHmac('sha256', input.secret);
  if (input.timestamp !== null) {
    if (input.timestamp === undefined || input.timestamp.trim() === '') return { ok: false, reason: 'no timestamp' };
    const t = timestampSeconds(input.timestamp);
    if (t === null) return { ok: false, reason: 'malformed timestamp' };
    if (Math.abs(input.nowS - t) > SMS_SIGNATURE_TOLERANCE_S) return { ok: false, reason: 'timestamp outside the ±300 s window (check the clocks)' };
    mac.update(`${input.timestamp}.`);
  }
  const expected = mac.update(input.raw).digest();
  return timingSafeEqual(Buffer.from(given.toLowerCase(), 'hex'), expected) ? { ok: true } : { ok: false, reason: 'signature does not match' };
}

/** The body as an object: JSON, or form-urlencoded fields; null when it is neither. */
export function parseSmsBody(raw: Buffer, contentType: string | undefined): Record<string, unknown> | null {
  const text = raw.toString('utf8');
  const ct = (contentType ?? '').toLowerCase();
  if (ct.includes('json') || /^\s*[{[]/.test(text)) {
    try {
      const v = JSON.parse(text) as unknown;
      return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  }
  if (ct === '' || ct.includes('x-www-form-urlencoded') || ct.includes('text/plain')) {
    const form = new URLSearchParams(text);
    const out: Record<string, unknown> = {};
    for (const [k, v] of form) out[k] = v;
    return Object.keys(out).length > 0 ? out : null;
  }
  return null;
}

/** The value at a dotted path ("message.from", "data.0.text"; a form field's name is taken whole first), as text. */
export function pickField(body: Record<string, unknown>, dotted: string | undefined): string | undefined {
  if (!dotted) return undefined;
  let v: unknown = Object.hasOwn(body, dotted) ? body[dotted] : undefined;
  if (v === undefined) {
    v = body;
    for (const part of dotted.split('.')) {
      if (v === null || typeof v !== 'object' || !Object.hasOwn(v, part)) return undefined;
      v = (v as Record<string, unknown>)[part];
    }
  }
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

/** "XA 00115 Đèn đường hỏng" → the commune 00115 and the rest; otherwise the whole text and no commune. */
export function splitCommune(text: string): { areaCode: string | null; content: string } {
  const m = /^\s*x[aã]\s+([A-Za-z0-9][A-Za-z0-9_-]{0,31})\s+([\s\S]+)$/i.exec(text);
  if (!m) return { areaCode: null, content: text.trim() };
  return { areaCode: m[1]!, content: m[2]!.trim() };
}

/** The first 60 characters, cut at a word when one ends near the limit. */
export function smsTitle(content: string): string {
  const flat = content.replace(/\s+/g, ' ').trim();
  if (flat.length <= 60) return flat;
  const cut = flat.slice(0, 60);
  const space = cut.lastIndexOf(' ');
  return `${space >= 40 ? cut.slice(0, space) : cut.slice(0, 59)}…`;
}
