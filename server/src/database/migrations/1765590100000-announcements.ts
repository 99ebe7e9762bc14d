import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 19: commune announcements (content + schedule made in one request, the schedule waiting for the content's
 * approval when the rules ask for one). Plain SQL valid on SQLite and PostgreSQL.
 */
export class Announcements1765590100000 implements MigrationInterface {
  name = 'Announcements1765590100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE announcements (
      id varchar(36) NOT NULL PRIMARY KEY,
      title varchar(200) NOT NULL,
      content_id varchar(36) NOT NULL,
      schedule_id varchar(36),
      area_codes text NOT NULL,
      area_code varchar(32),
      start_at bigint,
      volume integer,
      play_count integer,
      state varchar(24) NOT NULL,
      reason text,
      text text,
      created_by varchar(36) NOT NULL,
      created_at bigint NOT NULL,
      updated_at bigint
    )`);
    await q.query('CREATE INDEX idx_announcements_content ON announcements (content_id)');
    await q.query('CREATE INDEX idx_announcements_created ON announcements (created_at)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE announcements');
  }
}
