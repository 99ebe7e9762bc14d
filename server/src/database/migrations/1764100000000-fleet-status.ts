import { Table, type MigrationInterface, type QueryRunner, type TableColumnOptions, type TableForeignKeyOptions } from 'typeorm';

/**
 * Issue 5, trusted status and telemetry: presence transitions on devices and their log, telemetry samples, alarms,
 * security reports from agents. Device columns are added with plain `ALTER TABLE … ADD COLUMN` (see
 * 1764000000000-scheduling.ts); tables with TypeORM's schema builder, so one migration runs on SQLite and PostgreSQL.
 */
const ADD: ReadonlyArray<[table: string, column: string]> = [
  ['devices', 'presence_changed_at bigint NULL'],
  ['devices', 'presence_reason varchar(32) NULL'],
];

const str = (name: string, length: number, isNullable = false): TableColumnOptions => ({ name, type: 'varchar', length: String(length), isNullable });
const ms = (name: string, isNullable = false): TableColumnOptions => ({ name, type: 'bigint', isNullable });
const num = (name: string, type: 'integer' | 'bigint' | 'real' | 'boolean'): TableColumnOptions => ({ name, type, isNullable: true });
const deviceFk: TableForeignKeyOptions = { columnNames: ['device_id'], referencedTableName: 'devices', referencedColumnNames: ['id'], onDelete: 'CASCADE' };

export class FleetStatus1764100000000 implements MigrationInterface {
  name = 'FleetStatus1764100000000';

  async up(q: QueryRunner): Promise<void> {
    for (const [table, column] of ADD) await q.query(`ALTER TABLE ${table} ADD COLUMN ${column}`);
    // The heartbeat sweep looks for devices still online but silent.
    await q.query('CREATE INDEX idx_devices_online_seen ON devices (online, last_seen_at)');
    // The playback-failure alarm reads a device's latest reports.
    await q.query('CREATE INDEX idx_device_events_device_at ON device_events (device_id, at)');
    // SQLite's INTEGER PRIMARY KEY is already 64-bit; PostgreSQL's SERIAL is not, hence BIGSERIAL there.
    const serial = q.connection.options.type === 'postgres' ? 'bigint' : 'integer';
    await q.createTable(
      new Table({
        name: 'device_connections',
        columns: [
          { name: 'id', type: serial, isPrimary: true, isGenerated: true, generationStrategy: 'increment' },
          str('device_id', 64),
          ms('at'),
          str('state', 8),
          str('reason', 32),
        ],
        foreignKeys: [deviceFk],
        indices: [{ columnNames: ['device_id', 'at'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'device_telemetry',
        columns: [
          { ...str('device_id', 64), isPrimary: true },
          { ...ms('at'), isPrimary: true },
          ms('received_at'),
          { name: 'uptime_s', type: 'bigint' },
          num('timeline_version', 'integer'),
          str('playing', 128, true),
          num('volume', 'integer'),
          num('muted', 'boolean'),
          num('free_disk_bytes', 'bigint'),
          num('rss_bytes', 'bigint'),
          num('clock_offset_ms', 'bigint'),
          num('outbox_size', 'bigint'),
          str('agent_version', 64, true),
          num('output_level_lufs', 'real'),
          num('signal_dbm', 'real'),
          num('temperature_c', 'real'),
        ],
        foreignKeys: [deviceFk],
        // The primary key serves per-device ranges and "latest sample"; this one the retention sweep.
        indices: [{ columnNames: ['at'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'alarms',
        columns: [
          { ...str('id', 36), isPrimary: true },
          str('device_id', 64),
          str('kind', 32),
          str('detail', 500),
          ms('raised_at'),
          ms('cleared_at', true),
          str('cleared_detail', 500, true),
          ms('acked_at', true),
          str('acked_by', 36, true),
          str('acked_by_name', 64, true),
        ],
        foreignKeys: [deviceFk],
        indices: [
          // One active alarm per device and kind, enforced by the database (partial index: SQLite and PostgreSQL).
          { name: 'uq_alarms_active', columnNames: ['device_id', 'kind'], isUnique: true, where: 'cleared_at IS NULL' },
          { columnNames: ['device_id', 'raised_at'] },
          { columnNames: ['raised_at'] },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'security_events',
        columns: [
          { ...str('id', 36), isPrimary: true },
          str('device_id', 64),
          ms('at'),
          ms('received_at'),
          str('topic', 300),
          str('reason', 32),
          str('detail', 500, true),
          str('claimed', 128, true),
        ],
        foreignKeys: [deviceFk],
        indices: [{ columnNames: ['device_id', 'received_at'] }, { columnNames: ['received_at'] }],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['security_events', 'alarms', 'device_telemetry', 'device_connections']) await q.dropTable(t);
    await q.query('DROP INDEX idx_device_events_device_at');
    await q.query('DROP INDEX idx_devices_online_seen');
    for (const [table, column] of [...ADD].reverse()) await q.query(`ALTER TABLE ${table} DROP COLUMN ${column.split(' ')[0]}`);
  }
}
