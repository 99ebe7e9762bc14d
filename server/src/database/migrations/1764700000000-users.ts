import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Issue 7: users can be disabled by an admin; updated_at records the last change. */
export class Users1764700000000 implements MigrationInterface {
  name = 'Users1764700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumns('users', [
      new TableColumn({ name: 'disabled', type: 'boolean', default: false }),
      new TableColumn({ name: 'updated_at', type: 'bigint', isNullable: true }),
    ]);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropColumn('users', 'updated_at');
    await q.dropColumn('users', 'disabled');
  }
}
