import { TableColumn, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Issue 12: proof of play says how much of an item was heard. Reports carry `heardMs` (the part of the item output
 * at least once) and `itemMs` (the whole item); both are kept on the delivery and on the stored report. Rows from
 * before stay NULL: those agents did not say.
 */
export class HeardMs1765120000000 implements MigrationInterface {
  name = 'HeardMs1765120000000';

  async up(q: QueryRunner): Promise<void> {
    for (const table of ['deliveries', 'device_events']) {
      await q.addColumn(table, new TableColumn({ name: 'heard_ms', type: 'integer', isNullable: true }));
      await q.addColumn(table, new TableColumn({ name: 'item_ms', type: 'integer', isNullable: true }));
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['device_events', 'deliveries']) {
      await q.dropColumn(table, 'item_ms');
      await q.dropColumn(table, 'heard_ms');
    }
  }
}
