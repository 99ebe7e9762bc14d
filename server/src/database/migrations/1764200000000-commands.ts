import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Issue 5: remote commands. One row per command as the operator gave it, one row per target device with its
 * delivery state (queued → sent → ok | error | rejected, or expired), written in batches on fan-out.
 */
export class Commands1764200000000 implements MigrationInterface {
  name = 'Commands1764200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'commands',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'type', type: 'varchar', length: '16' },
          { name: 'payload', type: 'text' },
          { name: 'target_kind', type: 'varchar', length: '16' },
          { name: 'target_ref', type: 'varchar', length: '64' },
          { name: 'device_count', type: 'integer' },
          { name: 'created_by', type: 'varchar', length: '36' },
          { name: 'created_at', type: 'bigint' },
          { name: 'expires_at', type: 'bigint' },
        ],
        indices: [{ columnNames: ['created_at'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'command_results',
        columns: [
          { name: 'command_id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'device_id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'state', type: 'varchar', length: '16' },
          { name: 'expires_at', type: 'bigint' },
          { name: 'sent_at', type: 'bigint', isNullable: true },
          { name: 'attempts', type: 'integer', default: 0 },
          { name: 'result_at', type: 'bigint', isNullable: true },
          { name: 'message', type: 'varchar', length: '1000', isNullable: true },
          { name: 'data', type: 'text', isNullable: true },
          { name: 'updated_at', type: 'bigint' },
        ],
        foreignKeys: [{ columnNames: ['command_id'], referencedTableName: 'commands', referencedColumnNames: ['id'] }],
        // (device, state): what a device coming online still has to receive; (state, expires_at): the expiry sweep.
        indices: [{ columnNames: ['device_id', 'state'] }, { columnNames: ['state', 'expires_at'] }, { columnNames: ['command_id', 'state'] }],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('command_results');
    await q.dropTable('commands');
  }
}
