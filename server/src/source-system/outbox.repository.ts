import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { ExchangeDirection, ExchangeKind, ExchangeState } from '@loa/shared/rest';
import { managerOf } from '../database/transaction-runner.js';
import { SourceExchangeEntity } from './exchange.entity.js';

const CHUNK = 100;

/**
 * The transaction handle a producer may pass to `SourceOutbox.enqueue` (TypeORM's manager, by another name so that
 * only repositories name it: see the architecture rules).
 */
export type OutboxManager = EntityManager;

/** A row the dispatcher may claim, as it was seen (the claim is a compare-and-set on these). */
export interface DueExchange {
  id: string;
  peerId: string;
  state: ExchangeState;
  attempts: number;
}

export interface ExchangeFilter {
  peerId?: string | undefined;
  state?: ExchangeState | undefined;
  kind?: ExchangeKind | undefined;
  direction?: ExchangeDirection | undefined;
}

/** Cursor of the exchanges list: (created_at, id) of the last row of the page, newest first. */
export interface ExchangeCursor {
  createdAt: number;
  id: string;
}

/** The outbox table: inserts that ignore a repeat key, claims with a lease, and outcomes guarded by the claim. */
@Injectable()
export class OutboxRepository {
  constructor(private readonly db: DataSource) {}

  private get m(): EntityManager {
    return managerOf(this.db);
  }

  /** Inserts the rows; a row whose (peer, direction, key) exists is left out (INSERT … ON CONFLICT DO NOTHING). */
  async insertIgnoring(rows: readonly SourceExchangeEntity[], manager?: OutboxManager): Promise<void> {
    const m = manager ?? this.m;
    for (let i = 0; i < rows.length; i += CHUNK) {
      await m
        .createQueryBuilder()
        .insert()
        .into(SourceExchangeEntity)
        .values(rows.slice(i, i + CHUNK) as never[])
        .orIgnore()
        .execute();
    }
  }

  find(id: string): Promise<SourceExchangeEntity | null> {
    return this.m.getRepository(SourceExchangeEntity).findOneBy({ id });
  }

  findByKey(peerId: string, direction: ExchangeDirection, idempotencyKey: string): Promise<SourceExchangeEntity | null> {
    return this.m.getRepository(SourceExchangeEntity).findOneBy({ peerId, direction, idempotencyKey });
  }

  /** Of these keys, those that every one of these peers already has in its outbox. */
  async keysHeldByAll(peerIds: readonly string[], keys: readonly string[]): Promise<Set<string>> {
    if (peerIds.length === 0 || keys.length === 0) return new Set();
    const rows = await this.m
      .getRepository(SourceExchangeEntity)
      .createQueryBuilder('x')
      .select('x.idempotency_key', 'k')
      .addSelect('COUNT(DISTINCT x.peer_id)', 'n')
      .where("x.direction = 'out'")
      .andWhere('x.peer_id IN (:...peerIds)', { peerIds })
      .andWhere('x.idempotency_key IN (:...keys)', { keys })
      .groupBy('x.idempotency_key')
      .getRawMany<{ k: string; n: string | number }>();
    return new Set(rows.filter((r) => Number(r.n) >= peerIds.length).map((r) => r.k));
  }

  /**
   * Outgoing rows that may be sent now: pending or failed and due, or `sending` under a lapsed lease (the process
   * sending it died), of these (enabled) peers. Oldest due first.
   */
  due(now: number, limit: number, peerIds: readonly string[]): Promise<SourceExchangeEntity[]> {
    return this.m
      .getRepository(SourceExchangeEntity)
      .createQueryBuilder('x')
      .where("x.direction = 'out'")
      .andWhere('x.peer_id IN (:...peerIds)', { peerIds })
      .andWhere(
        "((x.state IN ('pending', 'failed') AND x.next_attempt_at <= :now) OR (x.state = 'sending' AND x.lease_until < :now))",
        { now },
      )
      .orderBy('x.next_attempt_at', 'ASC')
      .addOrderBy('x.id', 'ASC')
      .take(limit)
      .getMany();
  }

  /**
   * Compare-and-set: takes the row if it is still as seen (same state and attempt count), counting the attempt. On
   * PostgreSQL a concurrent claimer's UPDATE waits for this one's commit and then finds the row changed: exactly one
   * process gets each attempt.
   */
  async claim(seen: DueExchange, now: number, leaseUntil: number): Promise<boolean> {
    const r = await this.m
      .createQueryBuilder()
      .update(SourceExchangeEntity)
      .set({ state: 'sending', leaseUntil, attempts: seen.attempts + 1, updatedAt: now })
      .where('id = :id AND state = :state AND attempts = :attempts', { id: seen.id, state: seen.state, attempts: seen.attempts })
      .execute();
    return (r.affected ?? 0) > 0;
  }

  /** Records an attempt's outcome, if the row is still this claim's (its lease did not lapse into another's claim). */
  async settle(id: string, attempts: number, patch: Partial<SourceExchangeEntity>): Promise<boolean> {
    const r = await this.m
      .createQueryBuilder()
      .update(SourceExchangeEntity)
      .set(patch as never)
      .where("id = :id AND state = 'sending' AND attempts = :attempts", { id, attempts })
      .execute();
    return (r.affected ?? 0) > 0;
  }

  /** Puts a failed or dead row back to pending, due now; false when it is in another state. */
  async requeue(id: string, now: number): Promise<boolean> {
    const r = await this.m
      .createQueryBuilder()
      .update(SourceExchangeEntity)
      .set({ state: 'pending', nextAttemptAt: now, leaseUntil: null, updatedAt: now })
      .where("id = :id AND state IN ('failed', 'dead')", { id })
      .execute();
    return (r.affected ?? 0) > 0;
  }

  /** Newest first. */
  page(filter: ExchangeFilter, limit: number, after: ExchangeCursor | null): Promise<SourceExchangeEntity[]> {
    const q = this.m.getRepository(SourceExchangeEntity).createQueryBuilder('x');
    if (filter.peerId !== undefined) q.andWhere('x.peer_id = :peerId', { peerId: filter.peerId });
    if (filter.state !== undefined) q.andWhere('x.state = :state', { state: filter.state });
    if (filter.kind !== undefined) q.andWhere('x.kind = :kind', { kind: filter.kind });
    if (filter.direction !== undefined) q.andWhere('x.direction = :direction', { direction: filter.direction });
    if (after) q.andWhere('(x.created_at < :c OR (x.created_at = :c AND x.id < :cid))', { c: after.createdAt, cid: after.id });
    return q.orderBy('x.created_at', 'DESC').addOrderBy('x.id', 'DESC').take(limit).getMany();
  }
}
