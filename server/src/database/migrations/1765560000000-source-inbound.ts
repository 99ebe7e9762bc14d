import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Issue 16, the receiving side of the source-system connector:
 * - `source_inbound`: every exchange a peer sent us, once per (peer, idempotency key) — the unique index is what
 *   makes a repeat (or two copies racing) do nothing twice. A bulletin's row also carries its processing state
 *   (received → fetching → queued | failed) and, once in the approval queue, its content and the key of the last
 *   results reported back up.
 * - `source_remote_results`: at an upper Loa, the latest playback results a lower peer reported for a bulletin.
 * - `contents.origin_*`: where a content came from (the upper peer, its bulletin id, priority and category).
 */
export class SourceInbound1765560000000 implements MigrationInterface {
  name = 'SourceInbound1765560000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'source_inbound',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'peer_id', type: 'varchar', length: '64' },
          { name: 'idempotency_key', type: 'varchar', length: '120' },
          { name: 'kind', type: 'varchar', length: '32' },
          { name: 'origin_id', type: 'varchar', length: '120', isNullable: true },
          { name: 'state', type: 'varchar', length: '16' },
          { name: 'payload', type: 'text', isNullable: true },
          { name: 'content_id', type: 'varchar', length: '36', isNullable: true },
          { name: 'attempts', type: 'integer' },
          { name: 'next_attempt_at', type: 'bigint', isNullable: true },
          { name: 'lease_until', type: 'bigint', isNullable: true },
          { name: 'error', type: 'varchar', length: '1000', isNullable: true },
          { name: 'results_changed_at', type: 'bigint', isNullable: true },
          { name: 'results_key', type: 'varchar', length: '120', isNullable: true },
          { name: 'received_at', type: 'bigint' },
          { name: 'updated_at', type: 'bigint' },
        ],
        indices: [
          { name: 'uq_source_inbound_peer_key', columnNames: ['peer_id', 'idempotency_key'], isUnique: true },
          { name: 'idx_source_inbound_state', columnNames: ['state', 'next_attempt_at'] },
          { name: 'idx_source_inbound_content', columnNames: ['content_id'] },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'source_remote_results',
        columns: [
          { name: 'peer_id', type: 'varchar', length: '64', isPrimary: true },
          { name: 'origin_id', type: 'varchar', length: '120', isPrimary: true },
          { name: 'status', type: 'varchar', length: '16' },
          { name: 'due', type: 'integer' },
          { name: 'played', type: 'integer' },
          { name: 'failed', type: 'integer' },
          { name: 'device_rows', type: 'text' },
          { name: 'idempotency_key', type: 'varchar', length: '120' },
          { name: 'sent_at', type: 'bigint' },
          { name: 'received_at', type: 'bigint' },
        ],
        indices: [{ name: 'idx_source_remote_results_origin', columnNames: ['origin_id'] }],
      }),
    );
    // Plain ALTER TABLE (both databases take it): TypeORM's addColumn rebuilds a SQLite table from its cached shape,
    // which would drop a column an earlier migration added by SQL (contents.category).
    for (const [name, length] of [['origin_peer_id', 64], ['origin_peer_name', 200], ['origin_id', 120], ['origin_priority', 16], ['origin_category', 32]] as const) {
      await q.query(`ALTER TABLE contents ADD COLUMN ${name} varchar(${length})`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const c of ['origin_category', 'origin_priority', 'origin_id', 'origin_peer_name', 'origin_peer_id']) await q.query(`ALTER TABLE contents DROP COLUMN ${c}`);
    await q.dropTable('source_remote_results');
    await q.dropTable('source_inbound');
  }
}
