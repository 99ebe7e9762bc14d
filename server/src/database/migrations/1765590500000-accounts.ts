import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 19: a user's full name and phone (notifications, the audit's actor name), and the flag that forces a password
 * change after an administrator set the password. Plain ALTER TABLE: SQLite adds the columns in place.
 */
export class Accounts1765590500000 implements MigrationInterface {
  name = 'Accounts1765590500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE users ADD COLUMN full_name varchar(100)');
    await q.query('ALTER TABLE users ADD COLUMN phone varchar(16)');
    // SQLite keeps a default's text: `0` is what TypeORM renders for the entity's `default: false` (no drift).
    const pg = q.connection.driver.options.type === 'postgres';
    await q.query(`ALTER TABLE users ADD COLUMN must_change_password boolean NOT NULL DEFAULT ${pg ? 'false' : '0'}`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE users DROP COLUMN must_change_password');
    await q.query('ALTER TABLE users DROP COLUMN phone');
    await q.query('ALTER TABLE users DROP COLUMN full_name');
  }
}
