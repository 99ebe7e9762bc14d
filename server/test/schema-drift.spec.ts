import type { DataSource } from 'typeorm';
import { DATABASES } from './support/databases.js';

/**
 * What TypeORM cannot write the same way from entity metadata as the migrations wrote it on SQLite, named one by one
 * so anything else still counts as drift:
 * - an auto-increment key must be INTEGER there (the entity says bigint, which PostgreSQL uses);
 * - a boolean default given to a migration as `false` is kept as the literal `false`, while TypeORM renders the
 *   entity's `default: false` as `0`.
 */
function describeSqliteAsMigrated(ds: DataSource): void {
  const column = (table: string, name: string) => {
    const found = ds.entityMetadatas.find((m) => m.tableName === table)?.columns.find((c) => c.databaseName === name);
    if (!found) throw new Error(`no column ${table}.${name}: update this exception list`);
    return found;
  };
  column('device_connections', 'id').type = 'integer';
  for (const [table, name] of [['users', 'disabled'], ['devices', 'online']] as const) {
    const c = column(table, name);
    if (c.default !== false) throw new Error(`${table}.${name} no longer defaults to false: update this exception list`);
    c.default = () => 'false';
  }
}

describe.each(DATABASES)('schema drift on %s', (name, open) => {
  it('the entities describe exactly the schema the migrations build (no pending schema change)', async () => {
    const db = await open();
    try {
      if (name === 'sqlite') describeSqliteAsMigrated(db.dataSource);
      const pending = await db.dataSource.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).toEqual([]);
    } finally {
      await db.close();
    }
  });
});
