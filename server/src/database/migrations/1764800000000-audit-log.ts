import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Issue 7: the audit log, one row per mutating API call by a user (and per login attempt). */
export class AuditLog1764800000000 implements MigrationInterface {
  name = 'AuditLog1764800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'audit_log',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'at', type: 'bigint' },
          { name: 'actor_id', type: 'varchar', length: '36', isNullable: true },
          { name: 'actor_name', type: 'varchar', length: '64' },
          { name: 'actor_role', type: 'varchar', length: '32' },
          { name: 'actor_area_code', type: 'varchar', length: '32', isNullable: true },
          { name: 'action', type: 'varchar', length: '100' },
          { name: 'resource_type', type: 'varchar', length: '32', isNullable: true },
          { name: 'resource_id', type: 'varchar', length: '100', isNullable: true },
          { name: 'area_code', type: 'varchar', length: '32', isNullable: true },
          { name: 'outcome', type: 'varchar', length: '8' },
          { name: 'status', type: 'integer' },
          { name: 'before', type: 'text', isNullable: true },
          { name: 'after', type: 'text', isNullable: true },
          { name: 'detail', type: 'text', isNullable: true },
          { name: 'ip', type: 'varchar', length: '64', isNullable: true },
        ],
        // No foreign keys: entries must outlive the users and resources they name.
        indices: [{ columnNames: ['at'] }, { columnNames: ['actor_id'] }, { columnNames: ['resource_type', 'resource_id'] }],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('audit_log');
  }
}
