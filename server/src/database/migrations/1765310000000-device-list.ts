import type { MigrationInterface, QueryRunner } from 'typeorm';
import { deviceSearchText, nameSortKey } from '../../common/search-text.js';

/**
 * Issue 14: the device list is paged, sorted and searched in SQL. Names are sorted and searched folded (no case, no
 * Vietnamese diacritics, numbers by value), which neither SQLite nor PostgreSQL does alike, so the folded forms are
 * stored beside the name: `name_key` (sort, indexed with the id that breaks ties, for the default page) and
 * `search_text`. Existing devices are filled in here; new ones are written with them.
 * Plain ALTER TABLE: SQLite adds the columns in place (TypeORM's addColumn rebuilds the table there).
 */
export class DeviceList1765310000000 implements MigrationInterface {
  name = 'DeviceList1765310000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE devices ADD COLUMN name_key varchar(200) NOT NULL DEFAULT ''`);
    await q.query(`ALTER TABLE devices ADD COLUMN search_text text NOT NULL DEFAULT ''`);
    const pg = q.connection.options.type === 'postgres';
    const update = pg ? 'UPDATE devices SET name_key = $1, search_text = $2 WHERE id = $3' : 'UPDATE devices SET name_key = ?, search_text = ? WHERE id = ?';
    const rows = (await q.query('SELECT id, name, tags FROM devices')) as Array<{ id: string; name: string; tags: string | null }>;
    for (const r of rows) await q.query(update, [nameSortKey(r.name), deviceSearchText(r.id, r.name, parseTags(r.tags)), r.id]);
    await q.query('CREATE INDEX idx_devices_name_key ON devices (name_key, id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX idx_devices_name_key');
    await q.query('ALTER TABLE devices DROP COLUMN search_text');
    await q.query('ALTER TABLE devices DROP COLUMN name_key');
  }
}

function parseTags(text: string | null): string[] {
  try {
    const v: unknown = JSON.parse(text ?? '[]');
    return Array.isArray(v) ? v.filter((t): t is string => typeof t === 'string') : [];
  } catch {
    return [];
  }
}
