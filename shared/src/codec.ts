import { z } from 'zod';
import { MAX_PAYLOAD_BYTES } from './version.js';

export type DecodeResult<T> = { ok: true; value: T } | { ok: false; error: string };

/**
 * The one way a received payload becomes a typed value on either side: size check, JSON parse, schema.
 * Never throws, so a malformed message can be refused and counted without a try/catch at every call site.
 */
export function decodeMessage<S extends z.ZodType>(schema: S, payload: Uint8Array | string): DecodeResult<z.infer<S>> {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  if (size > MAX_PAYLOAD_BYTES) return { ok: false, error: `payload of ${size} bytes exceeds ${MAX_PAYLOAD_BYTES}` };
  let json: unknown;
  try {
    // A view on the payload's bytes, not Buffer.from(payload), which copies them (every device message at the server).
    json = JSON.parse(typeof payload === 'string' ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'));
  } catch {
    return { ok: false, error: 'payload is not valid JSON' };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) return { ok: false, error: z.prettifyError(parsed.error).replace(/\n+/g, '; ') };
  return { ok: true, value: parsed.data };
}

export const encodeMessage = <T>(value: T): Buffer => Buffer.from(JSON.stringify(value));
