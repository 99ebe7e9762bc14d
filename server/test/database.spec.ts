import { ENTITIES } from '../src/app.database.js';
import { MIGRATIONS } from '../src/database/migrations/index.js';
import { DATABASES } from './support/databases.js';

describe.each(DATABASES)('migrations on %s', (_name, open) => {
  it('creates the table of every entity and records every migration in order', async () => {
    const db = await open();
    try {
      const tables = ENTITIES.map((e) => db.dataSource.getMetadata(e).tableName);
      expect(tables).toEqual(expect.arrayContaining(['areas', 'devices', 'deliveries', 'timelines', 'alerts', 'device_telemetry', 'alarms']));
      const runner = db.dataSource.createQueryRunner();
      try {
        for (const t of tables) expect([t, await runner.hasTable(t)]).toEqual([t, true]);
      } finally {
        await runner.release();
      }
      const ran = await db.dataSource.query('SELECT name FROM migrations ORDER BY id');
      expect(ran.map((r: { name: string }) => r.name)).toEqual(MIGRATIONS.map((m) => m.name));
      // Running again is a no-op rather than a failure: restarts must be safe.
      expect(await db.dataSource.runMigrations()).toEqual([]);
    } finally {
      await db.close();
    }
  });

  it('on SQLite, syncs every commit to the disk (WAL, synchronous FULL): an acknowledged report survives a power cut', async () => {
    const db = await open();
    try {
      if (db.dataSource.options.type === 'postgres') {
        // PostgreSQL: a commit returns once its WAL record is flushed, unless synchronous_commit was turned off.
        expect((await db.dataSource.query('SHOW synchronous_commit')) as unknown).toEqual([{ synchronous_commit: 'on' }]);
        return;
      }
      expect((await db.dataSource.query('PRAGMA journal_mode')) as unknown).toEqual([{ journal_mode: 'wal' }]);
      // 2 = FULL; NORMAL (1) in WAL mode loses the last commits on a power loss.
      expect((await db.dataSource.query('PRAGMA synchronous')) as unknown).toEqual([{ synchronous: 2 }]);
    } finally {
      await db.close();
    }
  });

  it('runs transactions started together, even when one of them fails', async () => {
    const db = await open();
    try {
      const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
      const tx = (n: number, fail = false) =>
        db.dataSource.transaction(async (m) => {
          await m.query('SELECT 1');
          await sleep(20);
          if (fail) throw new Error(`tx ${n} fails`);
          await m.query('SELECT 2');
          return n;
        });
      const results = await Promise.allSettled([tx(1), tx(2, true), tx(3)]);
      expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message))).toEqual([1, 'tx 2 fails', 3]);
    } finally {
      await db.close();
    }
  });
});
