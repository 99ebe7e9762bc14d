import { Table, type MigrationInterface, type QueryRunner, type TableColumnOptions } from 'typeorm';

const int = (name: string): TableColumnOptions => ({ name, type: 'integer' });
const big = (name: string): TableColumnOptions => ({ name, type: 'bigint' });
const device = { name: 'device_id', type: 'varchar', length: '64', isPrimary: true };
const day = (grain: 'day' | 'month'): TableColumnOptions => ({ name: grain, type: 'varchar', length: grain === 'day' ? '10' : '7', isPrimary: true });
const slice = [
  { name: 'priority', type: 'varchar', length: '16', isPrimary: true },
  // '' for content without a category: a key column cannot be NULL.
  { name: 'category', type: 'varchar', length: '32', isPrimary: true },
];

/**
 * Issue 16, the KH 179 figure:
 * - `content_categories` (thể loại tin), seeded with defaults; `contents.category` names one (NULL: unclassified).
 * - Rollups the coverage report reads instead of the deliveries, per device per local day (LOA_TIMEZONE) and the
 *   same per month: coverage by (priority, category), failures by reason, availability and alarms. They are derived
 *   data, rebuilt from the source rows by the rollup job (reports/rollup.job.ts), which finds what changed through
 *   `idx_deliveries_updated_at` and keeps its watermarks in `rollup_state`.
 * Plain ALTER TABLE for contents: SQLite adds the column in place (TypeORM's addColumn rebuilds the table there).
 */
export class Coverage1765530000000 implements MigrationInterface {
  name = 'Coverage1765530000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'content_categories',
        columns: [
          { name: 'code', type: 'varchar', length: '32', isPrimary: true },
          { name: 'name', type: 'varchar', length: '100' },
          { name: 'essential', type: 'boolean' },
        ],
      }),
    );
    const pg = q.connection.options.type === 'postgres';
    const insert = pg ? 'INSERT INTO content_categories (code, name, essential) VALUES ($1, $2, $3)' : 'INSERT INTO content_categories (code, name, essential) VALUES (?, ?, ?)';
    for (const [code, name, essential] of DEFAULT_CATEGORIES) await q.query(insert, [code, name, pg ? essential : essential ? 1 : 0]);
    await q.query('ALTER TABLE contents ADD COLUMN category varchar(32)');
    await q.query('CREATE INDEX idx_deliveries_updated_at ON deliveries (updated_at)');

    for (const grain of ['day', 'month'] as const) {
      const suffix = grain === 'day' ? 'daily' : 'monthly';
      await q.createTable(
        new Table({
          name: `coverage_${suffix}`,
          columns: [device, day(grain), ...slice, int('due'), int('played'), int('started'), int('on_time'), big('aired_ms'), int('failed')],
          indices: [{ name: `idx_coverage_${suffix}_${grain}`, columnNames: [grain] }],
        }),
      );
      await q.createTable(
        new Table({
          name: `coverage_failures_${suffix}`,
          columns: [device, day(grain), ...slice, { name: 'reason', type: 'varchar', length: '120', isPrimary: true }, int('count')],
          indices: [{ name: `idx_coverage_failures_${suffix}_${grain}`, columnNames: [grain] }],
        }),
      );
      await q.createTable(
        new Table({
          name: `availability_${suffix}`,
          columns: [device, day(grain), big('online_ms'), big('span_ms'), int('alarms')],
          indices: [{ name: `idx_availability_${suffix}_${grain}`, columnNames: [grain] }],
        }),
      );
    }
    // The whole database's figures per day ('yyyy-mm-dd') and month ('yyyy-mm'): a report over every device (a province
    // Loa's own province) reads its series here rather than summing every device's day.
    await q.createTable(
      new Table({
        name: 'coverage_totals',
        columns: [{ name: 'period', type: 'varchar', length: '10', isPrimary: true }, ...slice, int('due'), int('played'), int('started'), int('on_time'), big('aired_ms'), int('failed')],
      }),
    );
    await q.createTable(
      new Table({
        name: 'availability_totals',
        columns: [{ name: 'period', type: 'varchar', length: '10', isPrimary: true }, big('online_ms'), big('span_ms'), int('alarms'), int('devices')],
      }),
    );
    await q.createTable(
      new Table({
        name: 'rollup_state',
        columns: [
          { name: 'name', type: 'varchar', length: '32', isPrimary: true },
          { name: 'value', type: 'bigint' },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('rollup_state');
    await q.dropTable('availability_totals');
    await q.dropTable('coverage_totals');
    for (const suffix of ['daily', 'monthly']) for (const t of ['coverage', 'coverage_failures', 'availability']) await q.dropTable(`${t}_${suffix}`);
    await q.query('DROP INDEX idx_deliveries_updated_at');
    await q.query('ALTER TABLE contents DROP COLUMN category');
    await q.dropTable('content_categories');
  }
}

/** What a fresh install classifies bulletins by; admins rename, add and mark others essential. */
const DEFAULT_CATEGORIES: ReadonlyArray<readonly [string, string, boolean]> = [
  ['thiet-yeu', 'Thông tin thiết yếu', true],
  ['khan-cap', 'Khẩn cấp, thiên tai', true],
  ['chinh-sach', 'Chính sách, pháp luật', false],
  ['thoi-su', 'Thời sự', false],
  ['khac', 'Khác', false],
];
