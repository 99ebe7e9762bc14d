import { Table, type MigrationInterface, type QueryRunner, type TableColumnOptions } from 'typeorm';

const str = (name: string, length: number, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: String(length), isNullable: nullable });
const ms = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'bigint', isNullable: nullable });

/**
 * Issue 18: proof of play for area alerts — one record per (alert, device) the alert was meant for, written when
 * the alert goes on its channel and moved by the agents' reports on `alert:<id>`; and content marked for emergencies.
 * The contents column is added with a plain ALTER TABLE (TypeORM's addColumn rebuilds the table on SQLite); its
 * boolean default is written as TypeORM reads it back on each database (0 on SQLite, false on PostgreSQL).
 */
export class AlertDeliveries1765580500000 implements MigrationInterface {
  name = 'AlertDeliveries1765580500000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'alert_deliveries',
        columns: [
          { ...str('alert_id', 80), isPrimary: true },
          { ...str('device_id', 64), isPrimary: true },
          str('area_code', 32),
          str('state', 16),
          ms('delivered_at', true),
          ms('started_at', true),
          ms('ended_at', true),
          str('reason', 500, true),
          ms('updated_at'),
        ],
        foreignKeys: [
          { columnNames: ['alert_id'], referencedTableName: 'alerts', referencedColumnNames: ['id'], onDelete: 'CASCADE' },
          { columnNames: ['device_id'], referencedTableName: 'devices', referencedColumnNames: ['id'], onDelete: 'CASCADE' },
        ],
        indices: [
          { name: 'idx_alert_deliveries_alert_state', columnNames: ['alert_id', 'state'] },
          { name: 'idx_alert_deliveries_alert_area', columnNames: ['alert_id', 'area_code'] },
          { name: 'idx_alert_deliveries_device', columnNames: ['device_id'] },
        ],
      }),
    );
    const pg = q.connection.driver.options.type === 'postgres';
    await q.query(`ALTER TABLE contents ADD COLUMN emergency boolean NOT NULL DEFAULT ${pg ? 'false' : '0'}`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE contents DROP COLUMN emergency');
    await q.dropTable('alert_deliveries');
  }
}
