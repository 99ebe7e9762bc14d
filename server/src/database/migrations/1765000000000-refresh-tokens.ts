import { Table, TableColumn, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Issue 7: short-lived access tokens (sessions, now tied to a login's family) with rotating refresh tokens, and the
 * login lockout counters in the database so they survive restarts and hold across several server processes.
 * Sessions issued before this migration keep a NULL family and simply expire.
 */
export class RefreshTokens1765000000000 implements MigrationInterface {
  name = 'RefreshTokens1765000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('sessions', new TableColumn({ name: 'family_id', type: 'varchar', length: '36', isNullable: true }));
    await q.createIndex('sessions', new TableIndex({ name: 'IDX_sessions_family_id', columnNames: ['family_id'] }));
    await q.createTable(
      new Table({
        name: 'refresh_tokens',
        columns: [
          { name: 'token_hash', type: 'varchar', length: '64', isPrimary: true },
          { name: 'family_id', type: 'varchar', length: '36' },
          { name: 'parent_hash', type: 'varchar', length: '64', isNullable: true },
          { name: 'user_id', type: 'varchar', length: '36' },
          { name: 'expires_at', type: 'bigint' },
          { name: 'used_at', type: 'bigint', isNullable: true },
          { name: 'created_at', type: 'bigint' },
        ],
        foreignKeys: [{ columnNames: ['user_id'], referencedTableName: 'users', referencedColumnNames: ['id'], onDelete: 'CASCADE' }],
        indices: [{ columnNames: ['family_id'] }, { columnNames: ['user_id'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'login_failures',
        columns: [
          { name: 'username', type: 'varchar', length: '64', isPrimary: true },
          { name: 'failures', type: 'integer' },
          { name: 'window_start', type: 'bigint' },
          { name: 'locked_until', type: 'bigint' },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('login_failures');
    await q.dropTable('refresh_tokens');
    await q.dropIndex('sessions', 'IDX_sessions_family_id');
    await q.dropColumn('sessions', 'family_id');
  }
}
