import { Injectable } from '@nestjs/common';
import { listExchangesQuerySchema, type ExchangeDetail, type ExchangePage, type ExchangeView } from '@loa/shared/rest';
import type { z } from 'zod';
import { Clock } from '../common/clock.js';
import { newId } from '../common/ids.js';
import { Dispatcher } from './dispatcher.js';
import type { SourceExchangeEntity } from './exchange.entity.js';
import { SourceOutbox, type OutboxEntry } from './outbox.port.js';
import { OutboxRepository, type ExchangeCursor, type OutboxManager } from './outbox.repository.js';
import { PeersRepository } from './peers.repository.js';
import { conflict, notFound } from '../common/loa-error.js';

type ListQuery = z.output<typeof listExchangesQuerySchema>;

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

function encodeCursor(c: ExchangeCursor): string {
  return Buffer.from(`${c.createdAt}:${c.id}`).toString('base64url');
}

function decodeCursor(text: string): ExchangeCursor | null {
  const m = /^(\d{1,16}):([0-9a-f-]{36})$/.exec(Buffer.from(text, 'base64url').toString('utf8'));
  return m ? { createdAt: Number(m[1]), id: m[2]! } : null;
}

export function exchangeView(x: SourceExchangeEntity, peerName: string | null): ExchangeView {
  return {
    id: x.id,
    peerId: x.peerId,
    peerName,
    direction: x.direction,
    kind: x.kind,
    idempotencyKey: x.idempotencyKey,
    state: x.state,
    attempts: x.attempts,
    nextAttemptAt: iso(x.nextAttemptAt),
    lastError: x.lastError,
    httpStatus: x.httpStatus,
    remoteRef: x.remoteRef,
    createdAt: iso(x.createdAt)!,
    sentAt: iso(x.sentAt),
    updatedAt: iso(x.updatedAt)!,
  };
}

/**
 * The transactional outbox: producers enqueue inside their own transaction (the `manager` they pass, or the one open
 * in their async context), so an exchange exists if and only if the change it reports was committed. Also the
 * exchanges' REST reading and the manual retry.
 */
@Injectable()
export class OutboxService extends SourceOutbox {
  constructor(
    private readonly repo: OutboxRepository,
    private readonly peers: PeersRepository,
    private readonly dispatcher: Dispatcher,
    private readonly clock: Clock,
  ) {
    super();
  }

  async enqueue(entries: readonly OutboxEntry[], manager?: OutboxManager): Promise<void> {
    if (entries.length === 0) return;
    const now = this.clock.now();
    const rows: SourceExchangeEntity[] = entries.map((e) => ({
      id: newId(),
      peerId: e.peerId,
      direction: 'out',
      kind: e.kind,
      idempotencyKey: e.idempotencyKey.slice(0, 120),
      payload: JSON.stringify(e.payload ?? null),
      state: 'pending',
      attempts: 0,
      nextAttemptAt: now,
      leaseUntil: null,
      lastError: null,
      httpStatus: null,
      remoteRef: null,
      createdAt: now,
      updatedAt: now,
      sentAt: null,
    }));
    await this.repo.insertIgnoring(rows, manager);
    this.dispatcher.wake();
  }

  async list(q: ListQuery): Promise<ExchangePage> {
    const after = q.cursor === undefined ? null : decodeCursor(q.cursor);
    if (q.cursor !== undefined && after === null) throw notFound('exchange.cursor-unknown');
    const rows = await this.repo.page(q, q.limit + 1, after);
    const names = new Map((await this.peers.list()).map((p) => [p.id, p.name]));
    const items = rows.slice(0, q.limit);
    const last = items.at(-1);
    return {
      items: items.map((x) => exchangeView(x, names.get(x.peerId) ?? null)),
      nextCursor: rows.length > q.limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : null,
    };
  }

  async get(id: string): Promise<ExchangeDetail> {
    const x = await this.repo.find(id);
    if (!x) throw notFound('exchange.not-found');
    const peer = await this.peers.find(x.peerId);
    return { ...exchangeView(x, peer?.name ?? null), payload: JSON.parse(x.payload) as unknown };
  }

  /** "Retry now": a failed or dead exchange goes back to pending, due at once (its attempt count is kept). 409 otherwise. */
  async retry(id: string): Promise<ExchangeDetail> {
    const x = await this.repo.find(id);
    if (!x) throw notFound('exchange.not-found');
    if (x.direction !== 'out') throw conflict('exchange.not-outgoing');
    if (!(await this.repo.requeue(id, this.clock.now()))) throw conflict('exchange.not-retriable', { state: x.state });
    this.dispatcher.wake();
    return this.get(id);
  }
}
