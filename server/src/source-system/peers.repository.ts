import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { managerOf } from '../database/transaction-runner.js';
import { SourceExchangeEntity } from './exchange.entity.js';
import { SourcePeerEntity } from './peer.entity.js';

/** Peer rows. Joins the transaction open in its async context. */
@Injectable()
export class PeersRepository {
  constructor(private readonly db: DataSource) {}

  private get m(): EntityManager {
    return managerOf(this.db);
  }

  async insert(peer: SourcePeerEntity): Promise<void> {
    await this.m.getRepository(SourcePeerEntity).insert(peer as never);
  }

  find(id: string): Promise<SourcePeerEntity | null> {
    return this.m.getRepository(SourcePeerEntity).findOneBy({ id });
  }

  list(): Promise<SourcePeerEntity[]> {
    return this.m.getRepository(SourcePeerEntity).find({ order: { name: 'ASC', id: 'ASC' } });
  }

  async save(peer: SourcePeerEntity): Promise<void> {
    await this.m.getRepository(SourcePeerEntity).save(peer);
  }

  /** Deletes the peer and its outbox; true when it existed. */
  async remove(id: string): Promise<boolean> {
    await this.m.getRepository(SourceExchangeEntity).delete({ peerId: id });
    const r = await this.m.getRepository(SourcePeerEntity).delete({ id });
    return (r.affected ?? 0) > 0;
  }

  /** Exchanges per peer and state. */
  async counts(): Promise<Map<string, Record<string, number>>> {
    const rows = await this.m
      .getRepository(SourceExchangeEntity)
      .createQueryBuilder('x')
      .select('x.peer_id', 'peerId')
      .addSelect('x.state', 'state')
      .addSelect('COUNT(*)', 'n')
      .groupBy('x.peer_id')
      .addGroupBy('x.state')
      .getRawMany<{ peerId: string; state: string; n: string | number }>();
    const out = new Map<string, Record<string, number>>();
    for (const r of rows) {
      const c = out.get(r.peerId) ?? {};
      c[r.state] = Number(r.n);
      out.set(r.peerId, c);
    }
    return out;
  }
}
