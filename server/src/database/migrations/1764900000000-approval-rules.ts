import { Table, TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Issue 7: configurable approval rules (the `settings` table), schedule approval state, and the two-person rule for
 * area alerts. Existing schedules were already reaching devices, so they become `not-required` (the column default).
 */
export class ApprovalRules1764900000000 implements MigrationInterface {
  name = 'ApprovalRules1764900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'settings',
        columns: [
          { name: 'key', type: 'varchar', length: '64', isPrimary: true },
          { name: 'value', type: 'text' },
          { name: 'updated_by', type: 'varchar', length: '36', isNullable: true },
          { name: 'updated_at', type: 'bigint' },
        ],
      }),
    );
    await q.addColumns('schedules', [
      new TableColumn({ name: 'approval', type: 'varchar', length: '16', default: "'not-required'" }),
      new TableColumn({ name: 'approved_by', type: 'varchar', length: '36', isNullable: true }),
      new TableColumn({ name: 'approved_at', type: 'bigint', isNullable: true }),
      new TableColumn({ name: 'rejected_by', type: 'varchar', length: '36', isNullable: true }),
      new TableColumn({ name: 'rejected_at', type: 'bigint', isNullable: true }),
      new TableColumn({ name: 'rejected_reason', type: 'varchar', length: '1000', isNullable: true }),
    ]);
    await q.addColumns('alerts', [
      new TableColumn({ name: 'requested_at', type: 'bigint', isNullable: true }),
      new TableColumn({ name: 'confirmed_by', type: 'varchar', length: '36', isNullable: true }),
      new TableColumn({ name: 'confirmed_at', type: 'bigint', isNullable: true }),
    ]);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const c of ['confirmed_at', 'confirmed_by', 'requested_at']) await q.dropColumn('alerts', c);
    for (const c of ['rejected_reason', 'rejected_at', 'rejected_by', 'approved_at', 'approved_by', 'approval']) await q.dropColumn('schedules', c);
    await q.dropTable('settings');
  }
}
