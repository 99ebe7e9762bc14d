import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 19: several times of day in one schedule, and occurrences moved one by one (added dates). Both JSON arrays in
 * text columns, null on every older schedule (which keeps its single time). Plain ALTER TABLE: SQLite adds the column
 * in place (TypeORM's addColumn rebuilds the table there).
 */
export class ScheduleTimes1765590300000 implements MigrationInterface {
  name = 'ScheduleTimes1765590300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE schedules ADD COLUMN times_of_day text');
    await q.query('ALTER TABLE schedules ADD COLUMN rdates text');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE schedules DROP COLUMN rdates');
    await q.query('ALTER TABLE schedules DROP COLUMN times_of_day');
  }
}
