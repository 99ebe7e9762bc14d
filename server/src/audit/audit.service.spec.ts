import type { ScopeService } from '../auth/area-scope.js';
import type { AuditEntryEntity } from './audit-entry.entity.js';
import { AuditService } from './audit.service.js';
import type { AuditRepository } from './audit.repository.js';
import type { AuditNames } from './audit-names.js';
import { FixedClock, silentLogger, testConfig } from '../../test/support/fixtures.js';

describe(AuditService.name, () => {
  const actor = { id: 'u1', name: 'op', role: 'operator', areaCode: '00004' };

  const make = (insert: (e: AuditEntryEntity) => Promise<void>, deleteBefore = async (_at: number) => 0) => {
    const errors: unknown[] = [];
    const logger = { ...silentLogger, error: (o: unknown) => void errors.push(o) } as unknown as typeof silentLogger;
    const repo = { insert, deleteBefore } as unknown as AuditRepository;
    const sut = new AuditService(repo, {} as AuditNames, {} as ScopeService, new FixedClock(1_000_000), testConfig({ LOA_AUDIT_RETENTION_DAYS: '2' }), logger);
    return { sut, errors };
  };

  it('stores a redacted, bounded entry stamped by the clock', async () => {
    const rows: AuditEntryEntity[] = [];
    const { sut } = make(async (e) => void rows.push(e));
    await sut.record({ actor, action: 'users.create', resourceType: 'user', outcome: 'ok', status: 201, after: { id: 'x', password: 'pw' }, detail: { body: { blob: 'y'.repeat(20_000), password: 'pw' } } });
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row).toMatchObject({ at: 1_000_000, actorId: 'u1', actorName: 'op', action: 'users.create', outcome: 'ok', status: 201, after: '{"id":"x"}', before: null });
    expect(Buffer.byteLength(row.detail!, 'utf8')).toBeLessThanOrEqual(8192);
    expect(JSON.stringify(row)).not.toContain('pw');
  });

  it('logs a failed write and never throws to the audited request', async () => {
    const { sut, errors } = make(async () => {
      throw new Error('disk full');
    });
    await expect(sut.record({ actor, action: 'devices.update', outcome: 'ok', status: 200 })).resolves.toBeUndefined();
    expect(errors).toEqual([expect.objectContaining({ ctx: 'audit', err: 'disk full', action: 'devices.update' })]);
  });

  it('sweeps entries older than the retention period', async () => {
    const cutoffs: number[] = [];
    const { sut } = make(async () => undefined, async (at) => (cutoffs.push(at), 3));
    expect(await sut.sweep()).toBe(3);
    expect(cutoffs).toEqual([1_000_000 - 2 * 86_400_000]);
  });
});
