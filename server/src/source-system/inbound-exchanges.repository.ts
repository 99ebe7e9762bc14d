import { Injectable } from '@nestjs/common';
import { DataSource, In, type EntityManager } from 'typeorm';
import type { DeliveryState } from '@loa/shared';
import { inTransaction, managerOf } from '../database/transaction-runner.js';
import { ContentEventEntity } from '../contents/content-event.entity.js';
import { ContentEntity } from '../contents/content.entity.js';
import { InboundExchangeEntity } from './inbound-exchange.entity.js';

/** A content to create with its first lifecycle steps (rows as the contents feature writes them). */
export interface NewContent {
  content: ContentEntity;
  events: ContentEventEntity[];
}

export interface InsertOutcome {
  row: InboundExchangeEntity;
  duplicate: boolean;
}

/** One delivery of a content received from above, as reported back up. */
export interface OriginDeliveryRow {
  deviceId: string;
  deviceName: string | null;
  areaCode: string | null;
  areaName: string | null;
  scheduledStart: number;
  startedAt: number | null;
  endedAt: number | null;
  state: DeliveryState;
  reason: string | null;
}

/** Both drivers' words for "this row already exists" (PostgreSQL 23505, SQLite SQLITE_CONSTRAINT_UNIQUE). */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: unknown; driverError?: { code?: unknown }; message?: unknown };
  const code = e?.driverError?.code ?? e?.code;
  if (code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return true;
  return typeof e?.message === 'string' && /UNIQUE constraint failed|duplicate key value/.test(e.message);
}

@Injectable()
export class InboundExchangesRepository {
  constructor(private readonly db: DataSource) {}

  private repo(m?: EntityManager) {
    return (m ?? managerOf(this.db)).getRepository(InboundExchangeEntity);
  }

  /**
   * Inserts the exchange once per (peer, idempotency key), with whatever it creates (`also`) in the same transaction.
   * The unique index decides, not a read first: of two copies racing, the second's insert fails, its transaction
   * rolls back (nothing of it stays) and it answers with the first one's row.
   */
  async insertOnce(row: InboundExchangeEntity, also?: (m: EntityManager) => Promise<void>): Promise<InsertOutcome> {
    try {
      await this.db.transaction(async (m) => {
        await m.getRepository(InboundExchangeEntity).insert(row);
        if (also) await also(m);
      });
      return { row, duplicate: false };
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      const first = await this.find(row.peerId, row.idempotencyKey);
      if (!first) throw err;
      return { row: first, duplicate: true };
    }
  }

  /** For `insertOnce(…, also)`: a content and its first lifecycle steps. */
  static async insertContent(m: EntityManager, c: NewContent): Promise<void> {
    await m.getRepository(ContentEntity).insert(c.content);
    for (const e of c.events) await m.getRepository(ContentEventEntity).insert(e);
  }

  find(peerId: string, idempotencyKey: string): Promise<InboundExchangeEntity | null> {
    return this.repo().findOneBy({ peerId, idempotencyKey });
  }

  get(id: string): Promise<InboundExchangeEntity | null> {
    return this.repo().findOneBy({ id });
  }

  list(q: { peerId?: string | undefined; state?: string | undefined; limit: number }): Promise<InboundExchangeEntity[]> {
    const qb = this.repo().createQueryBuilder('i').orderBy('i.received_at', 'DESC').addOrderBy('i.id', 'DESC').limit(q.limit);
    if (q.peerId) qb.andWhere('i.peer_id = :peerId', { peerId: q.peerId });
    if (q.state) qb.andWhere('i.state = :state', { state: q.state });
    return qb.getMany();
  }

  /** Bulletins whose audio is to be fetched now: waiting for their (next) attempt, or held by a fetch that died. */
  async dueFetches(now: number, limit: number): Promise<string[]> {
    const rows = await this.repo()
      .createQueryBuilder('i')
      .select('i.id', 'id')
      .where("(i.state = 'received' AND (i.next_attempt_at IS NULL OR i.next_attempt_at <= :now)) OR (i.state = 'fetching' AND i.lease_until < :now)", { now })
      .orderBy('i.received_at', 'ASC')
      .limit(limit)
      .getRawMany<{ id: string }>();
    return rows.map((r) => r.id);
  }

  /** Compare-and-set: only one process (and one call) fetches a bulletin at a time. */
  async claimFetch(id: string, now: number, leaseUntil: number): Promise<InboundExchangeEntity | null> {
    const r = await this.repo()
      .createQueryBuilder()
      .update(InboundExchangeEntity)
      .set({ state: 'fetching', leaseUntil, attempts: () => 'attempts + 1', updatedAt: now })
      .where('id = :id', { id })
      .andWhere("((state = 'received' AND (next_attempt_at IS NULL OR next_attempt_at <= :now)) OR (state = 'fetching' AND lease_until < :now))", { now })
      .execute();
    if ((r.affected ?? 0) === 0) return null;
    return this.get(id);
  }

  async retryLater(id: string, nextAttemptAt: number, error: string, now: number): Promise<void> {
    await this.repo().update({ id, state: 'fetching' }, { state: 'received', nextAttemptAt, leaseUntil: null, error: error.slice(0, 1000), updatedAt: now });
  }

  async fail(id: string, error: string, now: number): Promise<void> {
    await this.repo().update({ id, state: 'fetching' }, { state: 'failed', nextAttemptAt: null, leaseUntil: null, error: error.slice(0, 1000), updatedAt: now });
  }

  /** The fetched bulletin becomes a content in the approval queue, in one transaction with its row's state. */
  async queue(id: string, c: NewContent, now: number): Promise<boolean> {
    return this.db.transaction(async (m) => {
      const r = await m.getRepository(InboundExchangeEntity).update(
        { id, state: 'fetching' },
        { state: 'queued', contentId: c.content.id, leaseUntil: null, nextAttemptAt: null, error: null, resultsChangedAt: now, updatedAt: now },
      );
      if ((r.affected ?? 0) === 0) return false;
      await InboundExchangesRepository.insertContent(m, c);
      return true;
    });
  }

  /** Marks the bulletins of these schedules as having new results to report (one statement per batch). */
  async markSchedulesChanged(scheduleIds: readonly string[], now: number): Promise<number> {
    if (scheduleIds.length === 0) return 0;
    const r = await this.repo()
      .createQueryBuilder()
      .update(InboundExchangeEntity)
      .set({ resultsChangedAt: now })
      .where("state = 'queued'")
      .andWhere('content_id IN (SELECT s.content_id FROM schedules s WHERE s.id IN (:...scheduleIds))', { scheduleIds })
      .execute();
    return r.affected ?? 0;
  }

  async markContentChanged(contentId: string, now: number): Promise<number> {
    const r = await this.repo().update({ contentId, state: 'queued' }, { resultsChangedAt: now });
    return r.affected ?? 0;
  }

  /** Which of these schedules carry a content received from above (for the listener's cache). */
  async originSchedules(scheduleIds: readonly string[]): Promise<Set<string>> {
    if (scheduleIds.length === 0) return new Set();
    const rows = await managerOf(this.db)
      .createQueryBuilder()
      .select('s.id', 'id')
      .from('schedules', 's')
      .innerJoin('contents', 'c', 'c.id = s.content_id')
      .where('s.id IN (:...ids)', { ids: scheduleIds })
      .andWhere('c.origin_id IS NOT NULL')
      .getRawMany<{ id: string }>();
    return new Set(rows.map((r) => r.id));
  }

  withChangedResults(limit: number): Promise<InboundExchangeEntity[]> {
    return this.repo()
      .createQueryBuilder('i')
      .where("i.state = 'queued'")
      .andWhere('i.results_changed_at IS NOT NULL')
      .orderBy('i.results_changed_at', 'ASC')
      .limit(limit)
      .getMany();
  }

  /**
   * Records that the results as of `changedAt` were handled (`key`), and runs `enqueue` (the outbox, in this same
   * transaction) when they differ from the last ones sent. A change that came in meanwhile keeps the row marked.
   */
  async resultsHandled(id: string, changedAt: number, key: string, enqueue: ((m: EntityManager) => Promise<void>) | null): Promise<void> {
    await inTransaction(this.db, async (m) => {
      const r = await m
        .createQueryBuilder()
        .update(InboundExchangeEntity)
        .set({ resultsKey: key, resultsChangedAt: () => `CASE WHEN results_changed_at = ${Number(changedAt)} THEN NULL ELSE results_changed_at END` })
        .where('id = :id', { id })
        .execute();
      if ((r.affected ?? 0) > 0 && enqueue) await enqueue(m);
    });
  }

  content(id: string): Promise<ContentEntity | null> {
    return managerOf(this.db).getRepository(ContentEntity).findOneBy({ id });
  }

  /** Contents received from above still waiting in the queue whose validity has ended. */
  async expiredInQueue(now: number): Promise<Array<{ inboundId: string; contentId: string }>> {
    const rows = await managerOf(this.db)
      .createQueryBuilder()
      .select('i.id', 'inboundId')
      .addSelect('c.id', 'contentId')
      .from('source_inbound', 'i')
      .innerJoin('contents', 'c', 'c.id = i.content_id')
      .where("i.state = 'queued'")
      .andWhere("c.state IN ('draft', 'submitted')")
      .andWhere('c.valid_until IS NOT NULL AND c.valid_until <= :now', { now })
      .getRawMany<{ inboundId: string; contentId: string }>();
    return rows;
  }

  /** Active schedules of a content (for the "scheduled" status). */
  async activeSchedules(contentId: string): Promise<number> {
    const r = await managerOf(this.db)
      .createQueryBuilder()
      .select('COUNT(*)', 'n')
      .from('schedules', 's')
      .where('s.content_id = :contentId', { contentId })
      .andWhere("s.status = 'active'")
      .getRawOne<{ n: string | number }>();
    return Number(r?.n ?? 0);
  }

  /**
   * The counts of a content's deliveries, over all of them (the rows sent up stop at the contract's 50,000): due =
   * those whose time has come or that reached a final state, cancelled ones (skipped) aside.
   */
  async countsOf(contentId: string, now: number): Promise<{ due: number; played: number; failed: number }> {
    const due = `d.state <> 'skipped' AND (o.start_at <= :now OR d.state IN ('finished', 'failed', 'preempted', 'expired'))`;
    const r = await managerOf(this.db)
      .createQueryBuilder()
      .select(`SUM(CASE WHEN ${due} THEN 1 ELSE 0 END)`, 'due')
      .addSelect(`SUM(CASE WHEN ${due} AND d.state = 'finished' THEN 1 ELSE 0 END)`, 'played')
      .addSelect(`SUM(CASE WHEN ${due} AND d.state IN ('failed', 'expired', 'preempted') THEN 1 ELSE 0 END)`, 'failed')
      .from('deliveries', 'd')
      .innerJoin('schedules', 's', 's.id = d.schedule_id')
      .innerJoin('occurrences', 'o', 'o.id = d.occurrence_id')
      .where('s.content_id = :contentId', { contentId, now })
      .getRawOne<{ due: string | number | null; played: string | number | null; failed: string | number | null }>();
    return { due: Number(r?.due ?? 0), played: Number(r?.played ?? 0), failed: Number(r?.failed ?? 0) };
  }

  /** A content's deliveries with the device and its area, in scheduled order: the latest `limit` when there are more. */
  async deliveriesOf(contentId: string, limit = 50_000): Promise<OriginDeliveryRow[]> {
    const rows = await managerOf(this.db)
      .createQueryBuilder()
      .select('d.device_id', 'deviceId')
      .addSelect('dev.name', 'deviceName')
      .addSelect('dev.area_code', 'areaCode')
      .addSelect('a.name', 'areaName')
      .addSelect('o.start_at', 'scheduledStart')
      .addSelect('d.started_at', 'startedAt')
      .addSelect('d.ended_at', 'endedAt')
      .addSelect('d.state', 'state')
      .addSelect('d.reason', 'reason')
      .from('deliveries', 'd')
      .innerJoin('schedules', 's', 's.id = d.schedule_id')
      .innerJoin('occurrences', 'o', 'o.id = d.occurrence_id')
      .leftJoin('devices', 'dev', 'dev.id = d.device_id')
      .leftJoin('areas', 'a', 'a.code = dev.area_code')
      .where('s.content_id = :contentId', { contentId })
      .orderBy('o.start_at', 'DESC')
      .addOrderBy('d.device_id', 'DESC')
      .limit(limit)
      .getRawMany<Record<string, string | number | null>>();
    rows.reverse();
    const n = (v: string | number | null | undefined): number | null => (v === null || v === undefined ? null : Number(v));
    return rows.map((r) => ({
      deviceId: String(r.deviceId),
      deviceName: (r.deviceName as string | null) ?? null,
      areaCode: (r.areaCode as string | null) ?? null,
      areaName: (r.areaName as string | null) ?? null,
      scheduledStart: Number(r.scheduledStart),
      startedAt: n(r.startedAt),
      endedAt: n(r.endedAt),
      state: r.state as DeliveryState,
      reason: (r.reason as string | null) ?? null,
    }));
  }

  contentIdsOf(rows: readonly InboundExchangeEntity[]): Promise<ContentEntity[]> {
    const ids = rows.map((r) => r.contentId).filter((x): x is string => x !== null);
    if (ids.length === 0) return Promise.resolve([]);
    return managerOf(this.db).getRepository(ContentEntity).findBy({ id: In(ids) });
  }
}
