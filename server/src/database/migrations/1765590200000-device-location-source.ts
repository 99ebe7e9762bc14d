import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 19 (the map): who set a device's location — `operator` (by hand), `import` (CSV) or `agent` (the device's
 * GPS or config). An agent's report never replaces an operator's. Locations stored before this column came from
 * the device page (PATCH), so they are an operator's.
 */
export class DeviceLocationSource1765590200000 implements MigrationInterface {
  name = 'DeviceLocationSource1765590200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE devices ADD COLUMN location_source varchar(16)');
    await q.query(`UPDATE devices SET location_source = 'operator' WHERE latitude IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE devices DROP COLUMN location_source');
  }
}
