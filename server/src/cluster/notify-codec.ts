import { z } from 'zod';

/** PostgreSQL refuses a NOTIFY payload of 8000 bytes or more (default block size). */
export const NOTIFY_MAX_BYTES = 7999;
/** A message larger than this is refused at publish: the bus carries signals and event batches, not documents. */
export const MESSAGE_MAX_BYTES = 1024 * 1024;
const VERSION = 1;

/** One message as received: the topic and its (unvalidated) payload. */
export interface Received {
  topic: string;
  payload: unknown;
}

/**
 * Encodes a message as the NOTIFY payloads that carry it: one when it fits, else parts of at most
 * NOTIFY_MAX_BYTES each (base64 slices of its JSON), which the receiver puts back together by (origin, seq). The
 * sender sends a message's parts in one statement, hence one transaction: they arrive together or not at all.
 */
export function encodeMessage(origin: string, seq: number, topic: string, payload: unknown): string[] {
  const whole = JSON.stringify({ v: VERSION, o: origin, s: seq, t: topic, p: payload });
  const bytes = Buffer.byteLength(whole);
  if (bytes <= NOTIFY_MAX_BYTES) return [whole];
  if (bytes > MESSAGE_MAX_BYTES) throw new Error(`cluster message of ${bytes} bytes exceeds ${MESSAGE_MAX_BYTES}`);
  const body = Buffer.from(JSON.stringify({ t: topic, p: payload }));
  // Room left beside the part's own fields (with 10-digit slack for the index and count), in base64's 4-byte units.
  const header = Buffer.byteLength(JSON.stringify({ v: VERSION, o: origin, s: seq, i: 0, n: 0, d: '' })) + 20;
  const slice = Math.floor((NOTIFY_MAX_BYTES - header) / 4) * 3;
  const count = Math.ceil(body.length / slice);
  const parts: string[] = [];
  for (let i = 0; i < count; i++) {
    parts.push(JSON.stringify({ v: VERSION, o: origin, s: seq, i, n: count, d: body.subarray(i * slice, (i + 1) * slice).toString('base64') }));
  }
  return parts;
}

const wholeSchema = z.object({ v: z.literal(VERSION), o: z.string(), s: z.number().int(), t: z.string(), p: z.unknown() });
const partSchema = z.object({
  v: z.literal(VERSION),
  o: z.string(),
  s: z.number().int(),
  i: z.number().int().min(0),
  n: z.number().int().min(2).max(Math.ceil(MESSAGE_MAX_BYTES / 1000)),
  d: z.string(),
});
const bodySchema = z.object({ t: z.string(), p: z.unknown() });

interface Pending {
  parts: Array<string | undefined>;
  got: number;
}

export type Decoded = { kind: 'message'; message: Received } | { kind: 'own' } | { kind: 'partial' } | { kind: 'invalid'; reason: string };

/**
 * Reads NOTIFY payloads: drops this process's own (`self`), puts parts back together, and refuses what is not a
 * message of this version (another release during a rolling upgrade, or noise on the channel). Incomplete messages
 * are bounded: past `maxPending`, the oldest is forgotten (it can only be one whose sender died mid-send, or one
 * whose start this listener missed while reconnecting, which the reconnect reports as a gap anyway).
 */
export class NotifyDecoder {
  private readonly pending = new Map<string, Pending>();

  constructor(
    private readonly self: string,
    private readonly maxPending = 32,
  ) {}

  decode(text: string): Decoded {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      return { kind: 'invalid', reason: 'not JSON' };
    }
    const whole = wholeSchema.safeParse(raw);
    if (whole.success) {
      if (whole.data.o === this.self) return { kind: 'own' };
      return { kind: 'message', message: { topic: whole.data.t, payload: whole.data.p } };
    }
    const part = partSchema.safeParse(raw);
    if (!part.success || part.data.i >= part.data.n) return { kind: 'invalid', reason: 'not a cluster message of this version' };
    if (part.data.o === this.self) return { kind: 'own' };
    return this.assemble(`${part.data.o}\u0000${part.data.s}`, part.data.i, part.data.n, part.data.d);
  }

  /** Incomplete messages held (for tests). */
  get incomplete(): number {
    return this.pending.size;
  }

  private assemble(key: string, index: number, count: number, data: string): Decoded {
    let p = this.pending.get(key);
    if (!p) {
      p = { parts: new Array<string | undefined>(count), got: 0 };
      this.pending.set(key, p);
      if (this.pending.size > this.maxPending) this.pending.delete(this.pending.keys().next().value as string);
    }
    if (p.parts.length !== count) return { kind: 'invalid', reason: 'parts disagree on their count' };
    if (p.parts[index] === undefined) p.got++;
    p.parts[index] = data;
    if (p.got < count) return { kind: 'partial' };
    this.pending.delete(key);
    try {
      const body = bodySchema.parse(JSON.parse(Buffer.concat(p.parts.map((d) => Buffer.from(d!, 'base64'))).toString('utf8')));
      return { kind: 'message', message: { topic: body.t, payload: body.p } };
    } catch {
      return { kind: 'invalid', reason: 'parts do not make a message' };
    }
  }
}
