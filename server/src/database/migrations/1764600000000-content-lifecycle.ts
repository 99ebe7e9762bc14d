import { Table, TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Issue 6: content lifecycle (state + content_events history), text style and image content, board profiles and the
 * per-profile image variants, and a device's board profile. Contents that exist already were schedulable, so they
 * become `approved` (recorded as approved by their author at their creation time).
 */
export class ContentLifecycle1764600000000 implements MigrationInterface {
  name = 'ContentLifecycle1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumns('contents', [
      new TableColumn({ name: 'state', type: 'varchar', length: '16', default: "'draft'" }),
      new TableColumn({ name: 'reject_reason', type: 'varchar', length: '1000', isNullable: true }),
      new TableColumn({ name: 'updated_at', type: 'bigint', isNullable: true }),
      new TableColumn({ name: 'style', type: 'text', isNullable: true }),
      new TableColumn({ name: 'image_sha256', type: 'varchar', length: '64', isNullable: true }),
      new TableColumn({ name: 'image_width', type: 'integer', isNullable: true }),
      new TableColumn({ name: 'image_height', type: 'integer', isNullable: true }),
    ]);
    await q.createTable(
      new Table({
        name: 'content_events',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'content_id', type: 'varchar', length: '36' },
          { name: 'action', type: 'varchar', length: '16' },
          { name: 'from_state', type: 'varchar', length: '16', isNullable: true },
          { name: 'to_state', type: 'varchar', length: '16' },
          { name: 'user_id', type: 'varchar', length: '36' },
          { name: 'at', type: 'bigint' },
          { name: 'reason', type: 'varchar', length: '1000', isNullable: true },
        ],
        foreignKeys: [{ columnNames: ['content_id'], referencedTableName: 'contents', referencedColumnNames: ['id'] }],
        indices: [{ columnNames: ['content_id'] }],
      }),
    );
    await q.query(`UPDATE contents SET state = 'approved'`);
    await q.query(
      `INSERT INTO content_events (id, content_id, action, from_state, to_state, user_id, at, reason)
       SELECT id, id, 'approve', NULL, 'approved', created_by, created_at, 'existing content approved by migration' FROM contents`,
    );
    await q.createTable(
      new Table({
        name: 'board_profiles',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'name', type: 'varchar', length: '100' },
          { name: 'width', type: 'integer' },
          { name: 'height', type: 'integer' },
          { name: 'orientation', type: 'varchar', length: '16' },
          { name: 'created_at', type: 'bigint' },
          { name: 'updated_at', type: 'bigint', isNullable: true },
        ],
        indices: [{ columnNames: ['name'], isUnique: true }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'content_image_variants',
        columns: [
          { name: 'content_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'profile_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'sha256', type: 'varchar', length: '64' },
          { name: 'bytes', type: 'bigint' },
          { name: 'mime', type: 'varchar', length: '100' },
          { name: 'width', type: 'integer' },
          { name: 'height', type: 'integer' },
          { name: 'created_at', type: 'bigint' },
        ],
        foreignKeys: [{ columnNames: ['content_id'], referencedTableName: 'contents', referencedColumnNames: ['id'] }],
      }),
    );
    await q.addColumn('devices', new TableColumn({ name: 'profile_id', type: 'varchar', length: '36', isNullable: true }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('devices', 'profile_id');
    await q.dropTable('content_image_variants');
    await q.dropTable('board_profiles');
    await q.dropTable('content_events');
    for (const c of ['image_height', 'image_width', 'image_sha256', 'style', 'updated_at', 'reject_reason', 'state']) await q.dropColumn('contents', c);
  }
}
