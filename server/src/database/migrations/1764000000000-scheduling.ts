import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Issue 4: recurrence, policies and horizon on schedules; validity and relay URL on contents; device tags; groups.
 * Columns are added with plain `ALTER TABLE … ADD COLUMN` (portable between SQLite and PostgreSQL, and on SQLite it
 * does not rebuild the table the way TypeORM's addColumn does).
 */
const ADD: ReadonlyArray<[table: string, column: string]> = [
  ['schedules', 'rrule varchar(500) NULL'],
  ['schedules', 'exdates text NULL'],
  ['schedules', "timezone varchar(64) NOT NULL DEFAULT 'Asia/Ho_Chi_Minh'"],
  ['schedules', 'repeat_count integer NOT NULL DEFAULT 1'],
  ['schedules', 'gap_ms integer NOT NULL DEFAULT 0'],
  ['schedules', 'on_preempt varchar(16) NULL'],
  ['schedules', 'generated_until bigint NULL'],
  ['schedules', 'updated_at bigint NULL'],
  ['contents', 'valid_from bigint NULL'],
  ['contents', 'valid_until bigint NULL'],
  ['contents', 'url varchar(2000) NULL'],
  ['devices', "tags text NOT NULL DEFAULT '[]'"],
];

export class Scheduling1764000000000 implements MigrationInterface {
  name = 'Scheduling1764000000000';

  async up(q: QueryRunner): Promise<void> {
    for (const [table, column] of ADD) await q.query(`ALTER TABLE ${table} ADD COLUMN ${column}`);
    await q.query('CREATE INDEX idx_schedules_status ON schedules (status)');
    await q.query('CREATE INDEX idx_deliveries_device_state ON deliveries (device_id, state)');
    await q.createTable(
      new Table({
        name: 'device_groups',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'name', type: 'varchar', length: '200' },
          { name: 'device_ids', type: 'text' },
          { name: 'tag_rule', type: 'text', isNullable: true },
          { name: 'created_by', type: 'varchar', length: '36' },
          { name: 'created_at', type: 'bigint' },
          { name: 'updated_at', type: 'bigint' },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('device_groups');
    await q.query('DROP INDEX idx_deliveries_device_state');
    await q.query('DROP INDEX idx_schedules_status');
    for (const [table, column] of [...ADD].reverse()) await q.query(`ALTER TABLE ${table} DROP COLUMN ${column.split(' ')[0]}`);
  }
}
