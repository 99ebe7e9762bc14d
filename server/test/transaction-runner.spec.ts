import type { DataSource, EntityManager } from 'typeorm';
import { inTransaction, managerOf, openTransactions, TypeOrmTransactionRunner } from '../src/database/transaction-runner.js';
import { DATABASES, type TestDatabase } from './support/databases.js';

/** A repository as the port expects them: it never takes an EntityManager, it asks for the current one. */
class SettingsRows {
  constructor(private readonly db: DataSource) {}
  async put(key: string): Promise<void> {
    // The keys are this file's constants, so a literal keeps the SQL the same on both databases.
    await managerOf(this.db).query(`INSERT INTO settings (key, value, updated_by, updated_at) VALUES ('${key}', 'v', NULL, 1)`);
  }
  async keys(): Promise<string[]> {
    const rows: Array<{ key: string }> = await managerOf(this.db).query('SELECT key FROM settings ORDER BY key');
    return rows.map((r) => r.key).filter((k) => k.startsWith('tx-'));
  }
  /** Two statements that must be atomic on their own; inside a runner they join it. */
  putPair(a: string, b: string): Promise<EntityManager> {
    return inTransaction(this.db, async (m) => {
      await this.put(a);
      await this.put(b);
      return m;
    });
  }
}

describe.each(DATABASES)('TransactionRunner on %s', (_name, open) => {
  let t: TestDatabase;
  let rows: SettingsRows;
  let runner: TypeOrmTransactionRunner;
  beforeEach(async () => {
    t = await open();
    rows = new SettingsRows(t.dataSource);
    runner = new TypeOrmTransactionRunner(t.dataSource);
  });
  afterEach(() => t.close());

  it('commits the repositories’ writes together', async () => {
    await runner.run(async () => {
      await rows.put('tx-a');
      await rows.put('tx-b');
    });
    expect(await rows.keys()).toEqual(['tx-a', 'tx-b']);
  });

  it('rolls every write back when the work throws', async () => {
    await expect(
      runner.run(async () => {
        await rows.put('tx-a');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await rows.keys()).toEqual([]);
  });

  it('joins the outer transaction when nested: the inner write rolls back with the outer', async () => {
    let inner: EntityManager | undefined;
    let outer: EntityManager | undefined;
    await expect(
      runner.run(async () => {
        outer = managerOf(t.dataSource);
        await runner.run(async () => {
          inner = managerOf(t.dataSource);
          await rows.put('tx-inner');
        });
        await rows.putPair('tx-p1', 'tx-p2');
        throw new Error('outer fails');
      }),
    ).rejects.toThrow('outer fails');
    expect(inner).toBe(outer);
    expect(inner).not.toBe(t.dataSource.manager);
    expect(await rows.keys()).toEqual([]);
  });

  it('uses the default manager outside a transaction and after one ended', async () => {
    expect(managerOf(t.dataSource)).toBe(t.dataSource.manager);
    let release!: () => void;
    const committed = new Promise<void>((resolve) => (release = resolve));
    let later: Promise<EntityManager> | undefined;
    await runner.run(async () => {
      // Work started inside the transaction but running after its commit must not use the released runner.
      later = committed.then(() => managerOf(t.dataSource));
    });
    release();
    expect(await later).toBe(t.dataSource.manager);
  });

  it('leaves no transaction counted as open after a nested, a failed and a concurrent run (so the async context is switched off)', async () => {
    await runner.run(() => runner.run(() => rows.put('tx-n')));
    await expect(runner.run(async () => { await rows.put('tx-f'); throw new Error('no'); })).rejects.toThrow('no');
    let inside = -1;
    await Promise.all([runner.run(async () => { inside = openTransactions(); await rows.put('tx-c1'); }), runner.run(() => rows.put('tx-c2'))]);
    expect(inside).toBeGreaterThanOrEqual(1);
    expect(openTransactions()).toBe(0);
    expect(await rows.keys()).toEqual(['tx-c1', 'tx-c2', 'tx-n']);
  });

  it('lets a repository’s own atomic pair open a transaction when none is open', async () => {
    const m = await rows.putPair('tx-x', 'tx-y');
    expect(m).not.toBe(t.dataSource.manager);
    expect(await rows.keys()).toEqual(['tx-x', 'tx-y']);
  });
});
