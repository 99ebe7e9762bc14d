import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

export class Alerts1763900000000 implements MigrationInterface {
  name = 'Alerts1763900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'alerts',
        columns: [
          { name: 'id', type: 'varchar', length: '80', isPrimary: true },
          { name: 'area_code', type: 'varchar', length: '32' },
          { name: 'priority', type: 'varchar', length: '16' },
          { name: 'title', type: 'varchar', length: '200' },
          { name: 'text', type: 'text', isNullable: true },
          { name: 'media_sha256', type: 'varchar', length: '64', isNullable: true },
          { name: 'volume', type: 'integer', isNullable: true },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'replaces', type: 'varchar', length: '80', isNullable: true },
          { name: 'sent_at', type: 'bigint' },
          { name: 'effective_at', type: 'bigint' },
          { name: 'expires_at', type: 'bigint' },
          { name: 'cancelled_at', type: 'bigint', isNullable: true },
          { name: 'cleared_at', type: 'bigint', isNullable: true },
          { name: 'created_by', type: 'varchar', length: '36' },
        ],
        foreignKeys: [
          { columnNames: ['area_code'], referencedTableName: 'areas', referencedColumnNames: ['code'] },
          { columnNames: ['media_sha256'], referencedTableName: 'media', referencedColumnNames: ['sha256'] },
        ],
        indices: [{ columnNames: ['area_code', 'status'] }, { columnNames: ['cleared_at', 'expires_at'] }],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('alerts');
  }
}
