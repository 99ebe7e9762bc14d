import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 21: which server instance runs each practice sandbox (the sandbox itself is a separate practice instance
 * with its own SQLite database; nothing of it is stored here). Plain SQL valid on SQLite and PostgreSQL.
 */
export class PracticeSandboxes1765590900000 implements MigrationInterface {
  name = 'PracticeSandboxes1765590900000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE practice_sandboxes (
      sandbox_id varchar(80) NOT NULL PRIMARY KEY,
      instance_id varchar(64),
      state varchar(16) NOT NULL,
      http_port integer,
      started_at bigint,
      last_used_at bigint,
      updated_at bigint NOT NULL
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE practice_sandboxes');
  }
}
