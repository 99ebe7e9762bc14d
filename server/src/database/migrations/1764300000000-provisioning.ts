import { Table, type MigrationInterface, type QueryRunner, type TableColumnOptions } from 'typeorm';

/**
 * Issue 5, provisioning and credential security: revoked devices, provisioning keys (hashed) and the enrolments
 * made with them. Written with TypeORM's schema builder, so one migration runs on SQLite and PostgreSQL.
 */
const str = (name: string, length: number, isNullable = false): TableColumnOptions => ({ name, type: 'varchar', length: String(length), isNullable });
const ms = (name: string, isNullable = false): TableColumnOptions => ({ name, type: 'bigint', isNullable });
const int = (name: string, extra: Partial<TableColumnOptions> = {}): TableColumnOptions => ({ name, type: 'integer', ...extra });

export class Provisioning1764300000000 implements MigrationInterface {
  name = 'Provisioning1764300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'device_revocations',
        columns: [{ ...str('device_id', 64), isPrimary: true }, ms('revoked_at'), str('revoked_by', 36)],
        foreignKeys: [{ columnNames: ['device_id'], referencedTableName: 'devices', referencedColumnNames: ['id'], onDelete: 'CASCADE' }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'provisioning_keys',
        columns: [
          { ...str('id', 36), isPrimary: true },
          str('label', 200),
          str('key_hash', 100),
          str('area_code', 32, true),
          ms('expires_at'),
          int('max_uses'),
          int('uses', { default: 0 }),
          str('created_by', 36),
          ms('created_at'),
          ms('deleted_at', true),
        ],
        foreignKeys: [{ columnNames: ['area_code'], referencedTableName: 'areas', referencedColumnNames: ['code'] }],
        indices: [{ name: 'idx_provisioning_keys_hash', columnNames: ['key_hash'], isUnique: true }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'enrollments',
        columns: [
          { ...str('device_id', 64), isPrimary: true },
          str('key_id', 36),
          str('hardware_id', 128),
          str('kind', 16),
          str('name', 200, true),
          str('secret_hash', 200),
          str('state', 16),
          str('area_code', 32, true),
          str('source_address', 64, true),
          ms('created_at'),
          ms('updated_at'),
          ms('decided_at', true),
          str('decided_by', 36, true),
        ],
        foreignKeys: [{ columnNames: ['key_id'], referencedTableName: 'provisioning_keys', referencedColumnNames: ['id'] }],
        indices: [
          { name: 'idx_enrollments_key_hardware', columnNames: ['key_id', 'hardware_id'] },
          { name: 'idx_enrollments_state', columnNames: ['state'] },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('enrollments');
    await q.dropTable('provisioning_keys');
    await q.dropTable('device_revocations');
  }
}
