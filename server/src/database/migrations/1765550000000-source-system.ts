import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Issue 16: the source-system connector. `source_peers`: the systems exchanged with (the Ministry's source system
 * through the REST adapter, other Loa servers above and below). `source_exchanges`: the transactional outbox of what
 * is sent (`out`) and the record of what came in (`in`), one row per idempotency key and peer and direction.
 */
export class SourceSystem1765550000000 implements MigrationInterface {
  name = 'SourceSystem1765550000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'source_peers',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'name', type: 'varchar', length: '200' },
          { name: 'kind', type: 'varchar', length: '8' },
          { name: 'role', type: 'varchar', length: '8' },
          { name: 'enabled', type: 'boolean' },
          { name: 'base_url', type: 'varchar', length: '2000' },
          { name: 'remote_peer_id', type: 'varchar', length: '120', isNullable: true },
          { name: 'inbound_secret', type: 'varchar', length: '200' },
          { name: 'outbound_secret', type: 'varchar', length: '200', isNullable: true },
          { name: 'auth', type: 'text' },
          { name: 'push', type: 'text' },
          { name: 'templates', type: 'text' },
          { name: 'pull', type: 'text' },
          { name: 'timeout_ms', type: 'integer' },
          { name: 'created_by', type: 'varchar', length: '36' },
          { name: 'created_at', type: 'bigint' },
          { name: 'updated_at', type: 'bigint' },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'source_exchanges',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'peer_id', type: 'varchar', length: '36' },
          { name: 'direction', type: 'varchar', length: '4' },
          { name: 'kind', type: 'varchar', length: '32' },
          { name: 'idempotency_key', type: 'varchar', length: '120' },
          { name: 'payload', type: 'text' },
          { name: 'state', type: 'varchar', length: '8' },
          { name: 'attempts', type: 'integer' },
          { name: 'next_attempt_at', type: 'bigint', isNullable: true },
          { name: 'lease_until', type: 'bigint', isNullable: true },
          { name: 'last_error', type: 'varchar', length: '1000', isNullable: true },
          { name: 'http_status', type: 'integer', isNullable: true },
          { name: 'remote_ref', type: 'varchar', length: '200', isNullable: true },
          { name: 'created_at', type: 'bigint' },
          { name: 'updated_at', type: 'bigint' },
          { name: 'sent_at', type: 'bigint', isNullable: true },
        ],
        indices: [
          { columnNames: ['peer_id', 'direction', 'idempotency_key'], isUnique: true },
          { columnNames: ['state', 'next_attempt_at'] },
          { columnNames: ['created_at'] },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('source_exchanges');
    await q.dropTable('source_peers');
  }
}
