import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 19 item 7: in-app notifications per user (unread until read), the outbox of e-mails and texts sent for them
 * (retried until sent or given up, so a failing gateway never holds an approval), and a user's e-mail address. Plain
 * SQL valid on SQLite and PostgreSQL.
 */
export class Notifications1765590400000 implements MigrationInterface {
  name = 'Notifications1765590400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE notifications (
      id varchar(36) NOT NULL PRIMARY KEY,
      user_id varchar(36) NOT NULL,
      kind varchar(32) NOT NULL,
      subject varchar(16) NOT NULL,
      subject_id varchar(64) NOT NULL,
      title varchar(200) NOT NULL,
      detail varchar(1000),
      actor varchar(64),
      created_at bigint NOT NULL,
      read_at bigint
    )`);
    await q.query('CREATE INDEX idx_notifications_user ON notifications (user_id, created_at)');
    await q.query(`CREATE TABLE notification_outbox (
      id varchar(36) NOT NULL PRIMARY KEY,
      notification_id varchar(36) NOT NULL,
      user_id varchar(36) NOT NULL,
      channel varchar(8) NOT NULL,
      address varchar(320) NOT NULL,
      subject varchar(300) NOT NULL,
      body text NOT NULL,
      attempts integer NOT NULL,
      next_attempt_at bigint,
      sent_at bigint,
      failed_at bigint,
      last_error varchar(500),
      created_at bigint NOT NULL
    )`);
    await q.query('CREATE INDEX idx_notification_outbox_due ON notification_outbox (next_attempt_at)');
    await q.query('ALTER TABLE users ADD COLUMN email varchar(254)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE users DROP COLUMN email');
    await q.query('DROP TABLE notification_outbox');
    await q.query('DROP TABLE notifications');
  }
}
