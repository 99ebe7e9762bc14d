import type { ExchangeKind } from '@loa/shared/rest';
import type { SourcePeerEntity } from './peer.entity.js';

/** One attempt's outcome: sent, try again later (with the server's Retry-After if any), or give up now. */
export type SendResult =
  | { outcome: 'sent'; httpStatus: number; remoteRef: string | null }
  | { outcome: 'retry'; httpStatus: number | null; error: string; retryAfterMs: number | null }
  | { outcome: 'dead'; httpStatus: number | null; error: string };

export interface OutgoingExchange {
  id: string;
  kind: ExchangeKind;
  idempotencyKey: string;
  payload: unknown;
  /** 1 for the first attempt. */
  attempt: number;
}

/** Sends one exchange to one peer, in the peer's shape (Loa envelope or the REST templates). Never throws. */
export abstract class ExchangeAdapter {
  abstract send(peer: SourcePeerEntity, exchange: OutgoingExchange): Promise<SendResult>;
}

/** Largest answer body read from a peer (the rest is not needed to settle an exchange). */
export const MAX_ANSWER_BYTES = 1024 * 1024;

/**
 * What an HTTP status means for a retry: 2xx sent; 408, 425, 429 and 5xx are transient; any other 4xx will not get
 * better by sending the same request again (bad request, refused credentials, unknown path), and 3xx means the URL
 * is wrong (a POST is not followed across a redirect).
 */
export function classifyStatus(status: number): 'sent' | 'retry' | 'dead' {
  if (status >= 200 && status < 300) return 'sent';
  if (status === 408 || status === 425 || status === 429 || status >= 500) return 'retry';
  return 'dead';
}

/** Retry-After as milliseconds (delta-seconds or an HTTP date), null when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number): number | null {
  if (!header) return null;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** Reads at most MAX_ANSWER_BYTES of a response body as text. */
export async function readAnswer(res: Response): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_ANSWER_BYTES) {
      await reader.cancel().catch(() => undefined);
      break;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A network failure or a time-out, as one line for `last_error`. */
export function networkError(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError' || e.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const cause = e.cause?.code ?? e.cause?.message;
  return `network error: ${e.message ?? String(err)}${cause ? ` (${cause})` : ''}`;
}

/** The gist of an error answer, bounded, for `last_error`. */
export function answerGist(status: number, text: string): string {
  const gist = text.replace(/\s+/g, ' ').trim().slice(0, 300);
  return `HTTP ${status}${gist ? `: ${gist}` : ''}`;
}
