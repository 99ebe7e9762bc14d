import type { ExchangeKind } from '@loa/shared/rest';
import type { OutboxManager } from './outbox.repository.js';

export interface OutboxEntry {
  peerId: string;
  kind: ExchangeKind;
  idempotencyKey: string;
  payload: unknown;
}

export abstract class SourceOutbox {
  /** Records exchanges to send, inside the caller's transaction when `manager` is given (transactional outbox). A repeat key for the same peer is ignored. */
  abstract enqueue(entries: readonly OutboxEntry[], manager?: OutboxManager): Promise<void>;
}
