import { Table, type MigrationInterface, type QueryRunner, type TableColumnOptions } from 'typeorm';

const str = (name: string, length: number, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: String(length), isNullable: nullable });
const ms = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'bigint', isNullable: nullable });
const text = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'text', isNullable: nullable });

/**
 * Issue 18, CAP 1.2 in: the sources (push with a hashed secret, or a polled feed with the credentials we send) and
 * every message received from them, refused ones included, with what became of it and the Loa alerts it made.
 */
export class Cap1765581000000 implements MigrationInterface {
  name = 'Cap1765581000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'cap_sources',
        columns: [
          { ...str('id', 36), isPrimary: true },
          str('name', 200),
          str('kind', 8),
          { name: 'enabled', type: 'boolean' },
          text('feed_url', true),
          { name: 'poll_interval_s', type: 'integer' },
          text('feed_auth'),
          str('secret_hash', 64, true),
          { name: 'trusted', type: 'boolean' },
          { name: 'allow_test', type: 'boolean' },
          text('priority_rules'),
          text('geocode_names'),
          { name: 'speak_description', type: 'boolean' },
          { name: 'default_expires_s', type: 'integer' },
          text('resource_origins'),
          ms('last_polled_at', true),
          text('last_poll_error', true),
          ms('created_at'),
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'cap_messages',
        columns: [
          { ...str('id', 36), isPrimary: true },
          str('source_id', 36),
          str('via', 8),
          str('entry_id', 500, true),
          str('sender', 255, true),
          str('identifier', 255, true),
          str('sent', 40, true),
          ms('sent_at', true),
          str('msg_type', 16, true),
          str('status', 16, true),
          str('headline', 300, true),
          text('refs', true),
          str('state', 16),
          text('reason', true),
          { name: 'answer_status', type: 'integer' },
          text('alert_ids'),
          text('raw_xml'),
          ms('received_at'),
        ],
        foreignKeys: [{ columnNames: ['source_id'], referencedTableName: 'cap_sources', referencedColumnNames: ['id'], onDelete: 'CASCADE' }],
        indices: [
          { name: 'uq_cap_messages_key', columnNames: ['source_id', 'sender', 'identifier', 'sent_at'], isUnique: true },
          { name: 'idx_cap_messages_entry', columnNames: ['source_id', 'entry_id'] },
          { name: 'idx_cap_messages_received', columnNames: ['received_at'] },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('cap_messages');
    await q.dropTable('cap_sources');
  }
}
