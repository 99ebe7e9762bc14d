import { DATABASES } from './support/databases.js';

describe.each(DATABASES)('migrations on %s', (_name, open) => {
  it('creates every table and records the migration', async () => {
    const db = await open();
    try {
      const tables = ['areas', 'users', 'sessions', 'devices', 'media', 'contents', 'schedules', 'schedule_targets', 'occurrences', 'deliveries', 'device_events', 'timelines', 'alerts'];
      const runner = db.dataSource.createQueryRunner();
      try {
        for (const t of tables) expect(await runner.hasTable(t)).toBe(true);
      } finally {
        await runner.release();
      }
      const ran = await db.dataSource.query('SELECT name FROM migrations');
      expect(ran.map((r: { name: string }) => r.name)).toEqual(['Initial1763800000000', 'Alerts1763900000000', 'Scheduling1764000000000']);
      // Running again is a no-op rather than a failure: restarts must be safe.
      expect(await db.dataSource.runMigrations()).toEqual([]);
    } finally {
      await db.close();
    }
  });
});
