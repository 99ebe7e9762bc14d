import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 18: where an alert came from (the form, a CAP source, a live microphone, a relay) and the stream a live or
 * relayed alert carries; where a device stands (WGS 84, thôn, address), by which CAP polygons and circles reach it.
 * Plain ALTER TABLE: SQLite adds the columns in place (TypeORM's addColumn rebuilds the table there). `float` is
 * double precision on PostgreSQL and a REAL (8 bytes) on SQLite.
 */
export class AlertChannels1765580000000 implements MigrationInterface {
  name = 'AlertChannels1765580000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE alerts ADD COLUMN source varchar(16) NOT NULL DEFAULT 'manual'`);
    await q.query('ALTER TABLE alerts ADD COLUMN stream_url text');
    await q.query('ALTER TABLE devices ADD COLUMN latitude float');
    await q.query('ALTER TABLE devices ADD COLUMN longitude float');
    await q.query('ALTER TABLE devices ADD COLUMN village varchar(120)');
    await q.query('ALTER TABLE devices ADD COLUMN address varchar(300)');
  }

  async down(q: QueryRunner): Promise<void> {
    for (const c of ['address', 'village', 'longitude', 'latitude']) await q.query(`ALTER TABLE devices DROP COLUMN ${c}`);
    for (const c of ['stream_url', 'source']) await q.query(`ALTER TABLE alerts DROP COLUMN ${c}`);
  }
}
