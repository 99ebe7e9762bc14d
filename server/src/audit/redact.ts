/** Keys whose values never reach the audit log, at any depth (passwords, device secrets, tokens, keys and their hashes). */
export const SECRET_KEY = /password|secret|token|key/i;

/** Largest `detail` stored: a request body can be megabytes (device imports), the audit row only needs the gist. */
export const DETAIL_MAX_BYTES = 8 * 1024;
/** Largest before/after snapshot; a group may list thousands of devices. */
export const SNAPSHOT_MAX_BYTES = 64 * 1024;

const MAX_DEPTH = 20;
/**
 * Values copied at most: what is stored is cut to 64 KiB anyway, and an anonymous 7 MB body of `[{},{},…]` (2.3 million
 * objects) must not cost the server seconds of CPU and hundreds of MB to copy, serialise and throw away.
 */
export const MAX_NODES = 20_000;

/**
 * A JSON-safe copy of `value` without any property whose name matches SECRET_KEY. Dates become ISO strings, Buffers
 * and functions are left out, cycles and very deep nesting are cut off, and past MAX_NODES values the rest is
 * replaced by a marker, so whatever a handler returns or a client sends can be stored cheaply.
 */
export function redact(value: unknown): unknown {
  return copy(value, 0, new WeakSet(), { left: MAX_NODES });
}

function copy(value: unknown, depth: number, seen: WeakSet<object>, budget: { left: number }): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'object') return undefined;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (Buffer.isBuffer(value) || ArrayBuffer.isView(value)) return '[binary]';
  if (depth >= MAX_DEPTH || seen.has(value)) return '[…]';
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      const out: unknown[] = [];
      for (let i = 0; i < value.length; i++) {
        if (budget.left-- <= 0) {
          out.push(`[… ${value.length - i} more]`);
          break;
        }
        out.push(copy(value[i], depth + 1, seen, budget) ?? null);
      }
      return out;
    }
    const out: Record<string, unknown> = {};
    for (const k in value) {
      if (!Object.hasOwn(value, k) || SECRET_KEY.test(k)) continue;
      if (budget.left-- <= 0) {
        out['…'] = 'more properties left out';
        break;
      }
      const c = copy((value as Record<string, unknown>)[k], depth + 1, seen, budget);
      if (c !== undefined) out[k] = c;
    }
    return out;
  } finally {
    seen.delete(value);
  }
}

/**
 * `value` redacted and serialised, at most `maxBytes` of UTF-8. Longer JSON is replaced by
 * `{"truncated":true,"bytes":<full size>,"preview":"<start of the JSON>"}` so the column always holds valid JSON.
 */
export function boundedJson(value: unknown, maxBytes: number): string | null {
  if (value === undefined || value === null) return null;
  const json = JSON.stringify(redact(value));
  if (json === undefined) return null;
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes <= maxBytes) return json;
  let keep = Math.min(json.length, maxBytes);
  for (;;) {
    const wrapped = JSON.stringify({ truncated: true, bytes, preview: json.slice(0, keep) });
    if (Buffer.byteLength(wrapped, 'utf8') <= maxBytes || keep === 0) return wrapped;
    // Escapes and multi-byte characters make the wrapper larger than the slice: shrink in proportion, then retry.
    keep = Math.floor((keep * maxBytes) / Buffer.byteLength(wrapped, 'utf8')) - 16;
    if (keep < 0) keep = 0;
  }
}

/** Parses a stored JSON column back; a damaged value comes back as its text rather than failing the whole listing. */
export function parseJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
