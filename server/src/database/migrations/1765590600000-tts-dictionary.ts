import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 19 item 9: the installation's pronunciation dictionary, applied to every text before speech synthesis.
 * Plain SQL valid on SQLite and PostgreSQL.
 */
export class TtsDictionary1765590600000 implements MigrationInterface {
  name = 'TtsDictionary1765590600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE tts_dictionary (
      id varchar(36) NOT NULL PRIMARY KEY,
      term varchar(100) NOT NULL,
      spoken varchar(300) NOT NULL,
      note varchar(200),
      created_by varchar(36),
      created_at bigint NOT NULL,
      updated_at bigint
    )`);
    await q.query('CREATE UNIQUE INDEX uq_tts_dictionary_term ON tts_dictionary (term)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE tts_dictionary');
  }
}
