import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Issue 16: per-user calendar links. A phone's calendar app fetches `/api/v1/calendar/<token>.ics` without a session;
 * the server keeps the token's sha256 only, one link per user (rotating replaces it).
 */
export class CalendarTokens1765540000000 implements MigrationInterface {
  name = 'CalendarTokens1765540000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'calendar_tokens',
        columns: [
          { name: 'user_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'token_hash', type: 'varchar', length: '64' },
          { name: 'created_at', type: 'bigint' },
          { name: 'last_used_at', type: 'bigint', isNullable: true },
        ],
        foreignKeys: [{ columnNames: ['user_id'], referencedTableName: 'users', referencedColumnNames: ['id'], onDelete: 'CASCADE' }],
        indices: [{ name: 'uq_calendar_tokens_hash', columnNames: ['token_hash'], isUnique: true }],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('calendar_tokens');
  }
}
