import { Injectable } from '@nestjs/common';
import { DataSource, In, type EntityManager } from 'typeorm';
import type { FanoutKind, FanoutState } from '@loa/shared/rest';
import { managerOf } from '../database/transaction-runner.js';
import { FanoutEntity } from './fanout.entity.js';

const CHUNK = 500;

/** States a job is not finished in. */
export const OPEN_STATES: readonly FanoutState[] = ['queued', 'materialising', 'sending'];

/**
 * Fan-out job rows. Every method joins the transaction open in its async context, so a save commits its job with
 * the resource, and a run commits its progress with the work it records.
 */
@Injectable()
export class FanoutsRepository {
  constructor(private readonly db: DataSource) {}

  private get m(): EntityManager {
    return managerOf(this.db);
  }

  async insert(job: FanoutEntity): Promise<void> {
    await this.m.getRepository(FanoutEntity).insert(job as never);
  }

  find(id: string): Promise<FanoutEntity | null> {
    return this.m.getRepository(FanoutEntity).findOneBy({ id });
  }

  async update(id: string, patch: Partial<Omit<FanoutEntity, 'id'>>): Promise<void> {
    await this.m.getRepository(FanoutEntity).update({ id }, patch as never);
  }

  /** Open jobs whose lease lapsed before `now`: their process died (or never got to them). Oldest first. */
  lapsed(now: number, limit: number): Promise<FanoutEntity[]> {
    return this.m
      .getRepository(FanoutEntity)
      .createQueryBuilder('f')
      .where('f.state IN (:...open)', { open: OPEN_STATES })
      .andWhere('f.lease_until < :now', { now })
      .orderBy('f.created_at', 'ASC')
      .take(limit)
      .getMany();
  }

  /** Compare-and-set on the lease: true when this caller took the job (no other process did meanwhile). */
  async takeOver(id: string, seenLease: number | null, leaseUntil: number, now: number): Promise<boolean> {
    const r = await this.m
      .createQueryBuilder()
      .update(FanoutEntity)
      .set({ leaseUntil, updatedAt: now, attempts: () => 'attempts + 1' })
      .where('id = :id AND state IN (:...open)', { id, open: OPEN_STATES })
      .andWhere(seenLease === null ? 'lease_until IS NULL' : 'lease_until = :seenLease', { seenLease })
      .execute();
    return (r.affected ?? 0) > 0;
  }

  /** Resources of a kind whose job is still in one of `states`. */
  async openRefs(kind: FanoutKind, states: readonly FanoutState[]): Promise<string[]> {
    const rows = await this.m.getRepository(FanoutEntity).find({ where: { kind, state: In([...states]) }, select: { ref: true } });
    return [...new Set(rows.map((r) => r.ref))];
  }

  /**
   * The deepest area whose subtree holds all these areas and devices (their lowest common ancestor), or null when
   * they span several roots or there is nothing. The common prefix of the smallest and the largest materialised
   * path is the common prefix of them all.
   */
  async commonArea(areaCodes: readonly string[], deviceIds: readonly string[]): Promise<string | null> {
    let lo: string | null = null;
    let hi: string | null = null;
    const take = (min: unknown, max: unknown) => {
      if (typeof min === 'string' && (lo === null || min < lo)) lo = min;
      if (typeof max === 'string' && (hi === null || max > hi)) hi = max;
    };
    for (let i = 0; i < areaCodes.length; i += CHUNK) {
      const r = await this.m
        .createQueryBuilder()
        .select(['MIN(a.path) AS "lo"', 'MAX(a.path) AS "hi"'])
        .from('areas', 'a')
        .where('a.code IN (:...c)', { c: areaCodes.slice(i, i + CHUNK) })
        .getRawOne<{ lo: unknown; hi: unknown }>();
      take(r?.lo, r?.hi);
    }
    for (let i = 0; i < deviceIds.length; i += CHUNK) {
      const r = await this.m
        .createQueryBuilder()
        .select(['MIN(a.path) AS "lo"', 'MAX(a.path) AS "hi"'])
        .from('devices', 'd')
        .innerJoin('areas', 'a', 'a.code = d.area_code')
        .where('d.id IN (:...c)', { c: deviceIds.slice(i, i + CHUNK) })
        .getRawOne<{ lo: unknown; hi: unknown }>();
      take(r?.lo, r?.hi);
    }
    return lo === null || hi === null ? null : lowestCommonArea(lo, hi);
  }
}

/** "/01/004/00115/" and "/01/004/00200/" → "004"; "/01/" and "/02/" → null. */
export function lowestCommonArea(a: string, b: string): string | null {
  const x = a.split('/').filter(Boolean);
  const y = b.split('/').filter(Boolean);
  let last: string | null = null;
  for (let i = 0; i < Math.min(x.length, y.length) && x[i] === y[i]; i++) last = x[i] ?? null;
  return last;
}
