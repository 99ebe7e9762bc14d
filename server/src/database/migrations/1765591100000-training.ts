import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 21: training classes, their members, and who completed which lesson. Practice data itself lives in each
 * sandbox's own database; only these rows are in the main one. Plain SQL valid on SQLite and PostgreSQL.
 */
export class Training1765591100000 implements MigrationInterface {
  name = 'Training1765591100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE training_classes (
      id varchar(36) NOT NULL PRIMARY KEY,
      name varchar(200) NOT NULL,
      area_code varchar(32) NOT NULL,
      lesson_ids text NOT NULL,
      created_by varchar(36) NOT NULL,
      created_at bigint NOT NULL
    )`);
    await q.query('CREATE INDEX idx_training_classes_area ON training_classes (area_code)');
    await q.query(`CREATE TABLE training_class_members (
      class_id varchar(36) NOT NULL,
      user_id varchar(36) NOT NULL,
      PRIMARY KEY (class_id, user_id)
    )`);
    await q.query('CREATE INDEX idx_training_class_members_user ON training_class_members (user_id)');
    await q.query(`CREATE TABLE training_records (
      id varchar(36) NOT NULL PRIMARY KEY,
      user_id varchar(36) NOT NULL,
      lesson_id varchar(64) NOT NULL,
      completed_at bigint,
      area_code varchar(32),
      class_id varchar(36),
      attempts integer NOT NULL DEFAULT 0,
      updated_at bigint NOT NULL
    )`);
    await q.query('CREATE UNIQUE INDEX uq_training_records_user_lesson ON training_records (user_id, lesson_id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE training_records');
    await q.query('DROP TABLE training_class_members');
    await q.query('DROP TABLE training_classes');
  }
}
