import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { managerOf } from '../database/transaction-runner.js';
import { RemoteResultEntity } from './bulletin-results.entity.js';

/** At an upper Loa: the latest results each lower peer reported per bulletin. */
@Injectable()
export class BulletinResultsRepository {
  constructor(private readonly db: DataSource) {}

  /**
   * Keeps the newest report per (peer, bulletin): an older one arriving late (a sender's retry after a newer one got
   * through) changes nothing. Runs inside the inbox's transaction (`m`), with the exchange's idempotency row.
   */
  static async upsertNewer(m: EntityManager, row: RemoteResultEntity): Promise<void> {
    const repo = m.getRepository(RemoteResultEntity);
    const r = await repo
      .createQueryBuilder()
      .update(RemoteResultEntity)
      .set({ status: row.status, due: row.due, played: row.played, failed: row.failed, rows: row.rows, idempotencyKey: row.idempotencyKey, sentAt: row.sentAt, receivedAt: row.receivedAt })
      .where('peer_id = :peerId AND origin_id = :originId AND sent_at <= :sentAt', { peerId: row.peerId, originId: row.originId, sentAt: row.sentAt })
      .execute();
    if ((r.affected ?? 0) > 0) return;
    if (await repo.existsBy({ peerId: row.peerId, originId: row.originId })) return;
    await repo.insert(row);
  }

  list(q: { peerId?: string | undefined; originId?: string | undefined }): Promise<RemoteResultEntity[]> {
    const qb = managerOf(this.db).getRepository(RemoteResultEntity).createQueryBuilder('r').orderBy('r.received_at', 'DESC').limit(1000);
    if (q.peerId) qb.andWhere('r.peer_id = :peerId', { peerId: q.peerId });
    if (q.originId) qb.andWhere('r.origin_id = :originId', { originId: q.originId });
    return qb.getMany();
  }
}
