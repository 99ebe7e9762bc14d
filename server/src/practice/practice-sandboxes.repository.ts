import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { PracticeSandboxEntity } from './practice-sandbox.entity.js';

/** The main database's record of which instance runs which sandbox (multi-instance: practice paths are sticky). */
@Injectable()
export class PracticeSandboxesRepository {
  constructor(private readonly db: DataSource) {}

  find(sandboxId: string): Promise<PracticeSandboxEntity | null> {
    return this.db.getRepository(PracticeSandboxEntity).findOneBy({ sandboxId });
  }

  async save(row: PracticeSandboxEntity): Promise<void> {
    await this.db.getRepository(PracticeSandboxEntity).upsert(row, ['sandboxId']);
  }

  /** Claims the sandbox for `instanceId` unless another instance refreshed it after `staleBefore`; true when claimed. */
  async claim(sandboxId: string, instanceId: string, now: number, staleBefore: number): Promise<{ claimed: boolean; holder: string | null }> {
    return this.db.transaction(async (m) => {
      const repo = m.getRepository(PracticeSandboxEntity);
      const row = await repo.findOneBy({ sandboxId });
      if (row && row.instanceId !== null && row.instanceId !== instanceId && row.state !== 'stopped' && row.updatedAt > staleBefore) {
        return { claimed: false, holder: row.instanceId };
      }
      await repo.upsert(
        { sandboxId, instanceId, state: 'starting', httpPort: null, startedAt: row?.startedAt ?? null, lastUsedAt: row?.lastUsedAt ?? null, updatedAt: now },
        ['sandboxId'],
      );
      return { claimed: true, holder: instanceId };
    });
  }

  async touch(sandboxIds: readonly string[], instanceId: string, now: number): Promise<void> {
    if (sandboxIds.length === 0) return;
    await this.db
      .createQueryBuilder()
      .update(PracticeSandboxEntity)
      .set({ updatedAt: now })
      .where('sandbox_id IN (:...ids) AND instance_id = :instanceId', { ids: [...sandboxIds], instanceId })
      .execute();
  }
}
