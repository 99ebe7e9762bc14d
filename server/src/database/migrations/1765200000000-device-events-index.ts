import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 13 (found by the schema-drift test): on SQLite, `idx_device_events_device_at` (fleet-status) was lost when
 * heard-ms added columns to device_events. SQLite cannot add columns in place the way TypeORM wants, so TypeORM
 * rebuilt the table from its cached description, taken before the index was created by plain SQL in the same run.
 * PostgreSQL kept it; IF NOT EXISTS makes this a no-op there and for databases that never lost it.
 */
export class DeviceEventsIndex1765200000000 implements MigrationInterface {
  name = 'DeviceEventsIndex1765200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE INDEX IF NOT EXISTS idx_device_events_device_at ON device_events (device_id, at)');
  }

  async down(): Promise<void> {
    // Nothing to undo: the index belongs to fleet-status, whose down() drops it.
  }
}
