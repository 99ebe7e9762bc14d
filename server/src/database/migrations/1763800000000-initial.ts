import { Table, TableIndex, type MigrationInterface, type QueryRunner, type TableColumnOptions } from 'typeorm';

// Written with TypeORM's schema builder rather than raw SQL so one migration runs unchanged on SQLite and
// PostgreSQL. Instants are BIGINT epoch milliseconds (see database/columns.ts).

const str = (name: string, length: number, extra: Partial<TableColumnOptions> = {}): TableColumnOptions => ({
  name,
  type: 'varchar',
  length: String(length),
  ...extra,
});
const ms = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'bigint', isNullable: nullable });
const int = (name: string, extra: Partial<TableColumnOptions> = {}): TableColumnOptions => ({ name, type: 'integer', ...extra });
const pk = { isPrimary: true } as const;
const nullable = { isNullable: true } as const;

export class Initial1763800000000 implements MigrationInterface {
  name = 'Initial1763800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'areas',
        columns: [str('code', 32, pk), str('name', 200), str('level', 32), str('parent_code', 32, nullable), str('path', 400), ms('created_at')],
        foreignKeys: [{ columnNames: ['parent_code'], referencedTableName: 'areas', referencedColumnNames: ['code'] }],
        indices: [{ columnNames: ['path'] }, { columnNames: ['parent_code'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'users',
        columns: [str('id', 36, pk), str('username', 64), str('password_hash', 200), str('role', 32), str('area_code', 32, nullable), ms('created_at')],
        foreignKeys: [{ columnNames: ['area_code'], referencedTableName: 'areas', referencedColumnNames: ['code'] }],
        indices: [{ columnNames: ['username'], isUnique: true }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'sessions',
        columns: [str('token_hash', 64, pk), str('user_id', 36), ms('expires_at'), ms('created_at')],
        foreignKeys: [{ columnNames: ['user_id'], referencedTableName: 'users', referencedColumnNames: ['id'], onDelete: 'CASCADE' }],
        indices: [{ columnNames: ['user_id'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'devices',
        columns: [
          str('id', 64, pk),
          str('name', 200),
          str('kind', 16),
          str('area_code', 32),
          str('secret_hash', 200),
          { name: 'online', type: 'boolean', default: false },
          ms('last_seen_at', true),
          str('agent_version', 64, nullable),
          int('timeline_version', { default: 0 }),
          int('acked_timeline_version', { default: 0 }),
          ms('created_at'),
        ],
        foreignKeys: [{ columnNames: ['area_code'], referencedTableName: 'areas', referencedColumnNames: ['code'] }],
        indices: [{ columnNames: ['area_code'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'media',
        columns: [
          str('sha256', 64, pk),
          { name: 'bytes', type: 'bigint' },
          str('mime', 100),
          str('codec', 50),
          int('duration_ms'),
          str('original_name', 255),
          str('created_by', 36),
          ms('created_at'),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'contents',
        columns: [
          str('id', 36, pk),
          str('type', 16),
          str('title', 200),
          str('media_sha256', 64, nullable),
          { name: 'text', type: 'text', isNullable: true },
          int('duration_ms'),
          str('created_by', 36),
          ms('created_at'),
        ],
        foreignKeys: [{ columnNames: ['media_sha256'], referencedTableName: 'media', referencedColumnNames: ['sha256'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'schedules',
        columns: [
          str('id', 36, pk),
          str('content_id', 36),
          str('priority', 16),
          ms('start_at'),
          int('volume', nullable),
          str('status', 16),
          str('created_by', 36),
          ms('created_at'),
        ],
        foreignKeys: [{ columnNames: ['content_id'], referencedTableName: 'contents', referencedColumnNames: ['id'] }],
        indices: [{ columnNames: ['content_id'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'schedule_targets',
        columns: [str('schedule_id', 36, pk), str('kind', 16, pk), str('ref', 64, pk)],
        foreignKeys: [{ columnNames: ['schedule_id'], referencedTableName: 'schedules', referencedColumnNames: ['id'], onDelete: 'CASCADE' }],
        indices: [{ columnNames: ['kind', 'ref'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'occurrences',
        columns: [str('id', 80, pk), str('schedule_id', 36), ms('start_at'), int('duration_ms')],
        foreignKeys: [{ columnNames: ['schedule_id'], referencedTableName: 'schedules', referencedColumnNames: ['id'], onDelete: 'CASCADE' }],
        indices: [{ columnNames: ['schedule_id'] }, { columnNames: ['start_at'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'deliveries',
        columns: [
          str('occurrence_id', 80, pk),
          str('device_id', 64, pk),
          str('schedule_id', 36),
          str('state', 16),
          ms('queued_at'),
          ms('delivered_at', true),
          ms('started_at', true),
          ms('ended_at', true),
          int('played_ms', nullable),
          str('reason', 500, nullable),
          ms('updated_at'),
        ],
        foreignKeys: [
          { columnNames: ['occurrence_id'], referencedTableName: 'occurrences', referencedColumnNames: ['id'], onDelete: 'CASCADE' },
          { columnNames: ['device_id'], referencedTableName: 'devices', referencedColumnNames: ['id'], onDelete: 'CASCADE' },
        ],
        indices: [{ columnNames: ['schedule_id'] }, { columnNames: ['device_id'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'device_events',
        columns: [
          str('device_id', 64, pk),
          str('event_id', 128, pk),
          str('occurrence_id', 128),
          str('type', 16),
          ms('at'),
          int('played_ms', nullable),
          str('reason', 500, nullable),
          { name: 'applied', type: 'boolean' },
          ms('received_at'),
        ],
        foreignKeys: [{ columnNames: ['device_id'], referencedTableName: 'devices', referencedColumnNames: ['id'], onDelete: 'CASCADE' }],
      }),
    );
    await q.createIndex('device_events', new TableIndex({ columnNames: ['occurrence_id'] }));
    await q.createTable(
      new Table({
        name: 'timelines',
        columns: [str('device_id', 64, pk), int('version'), ms('generated_at'), { name: 'payload', type: 'text' }],
        foreignKeys: [{ columnNames: ['device_id'], referencedTableName: 'devices', referencedColumnNames: ['id'], onDelete: 'CASCADE' }],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['timelines', 'device_events', 'deliveries', 'occurrences', 'schedule_targets', 'schedules', 'contents', 'media', 'devices', 'sessions', 'users', 'areas']) {
      await q.dropTable(t);
    }
  }
}
