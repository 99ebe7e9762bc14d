import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Issue 14: saves that reach many devices answer at once and fan out in the background; `fanouts` holds each job
 * (what it is for, how far it got, and the lease of the process running it) so a job survives a restart.
 */
export class Fanouts1765420000000 implements MigrationInterface {
  name = 'Fanouts1765420000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'fanouts',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'kind', type: 'varchar', length: '16' },
          { name: 'ref', type: 'varchar', length: '80' },
          { name: 'state', type: 'varchar', length: '16' },
          { name: 'params', type: 'text', isNullable: true },
          { name: 'devices', type: 'text', isNullable: true },
          { name: 'total', type: 'integer' },
          { name: 'done', type: 'integer' },
          { name: 'deferred', type: 'integer' },
          { name: 'area_code', type: 'varchar', length: '32', isNullable: true },
          { name: 'error', type: 'varchar', length: '1000', isNullable: true },
          { name: 'attempts', type: 'integer' },
          { name: 'lease_until', type: 'bigint', isNullable: true },
          { name: 'created_by', type: 'varchar', length: '36' },
          { name: 'created_at', type: 'bigint' },
          { name: 'updated_at', type: 'bigint' },
          { name: 'finished_at', type: 'bigint', isNullable: true },
        ],
        indices: [{ columnNames: ['state', 'lease_until'] }, { columnNames: ['kind', 'ref'] }],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('fanouts');
  }
}
