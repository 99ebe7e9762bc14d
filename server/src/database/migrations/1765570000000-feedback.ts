import { Table, type MigrationInterface, type QueryRunner, type TableColumnOptions } from 'typeorm';

const str = (name: string, length: number, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: String(length), isNullable: nullable });
const ms = (name: string, nullable = false): TableColumnOptions => ({ name, type: 'bigint', isNullable: nullable });

/**
 * Issue 17: citizen feedback — items with their deadlines and the resident's data (erasable), their history,
 * attachments, the contents drafted from answers, and the public rate-limit counters shared by every instance.
 */
export class Feedback1765570000000 implements MigrationInterface {
  name = 'Feedback1765570000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'feedback_items',
        columns: [
          { ...str('id', 36), isPrimary: true },
          str('code', 16),
          str('area_code', 32),
          str('village', 120, true),
          str('department', 32, true),
          str('category', 32),
          str('title', 200),
          { name: 'content', type: 'text' },
          { name: 'search_text', type: 'text' },
          str('channel', 16),
          str('state', 16),
          str('priority', 16),
          str('assignee_user_id', 36, true),
          str('resident_name', 120, true),
          str('resident_phone', 16, true),
          str('resident_email', 200, true),
          str('phone_hash', 64),
          str('address_hash', 64, true),
          str('content_hash', 64),
          str('external_id', 200, true),
          ms('consent_at'),
          ms('created_at'),
          ms('ack_due_at'),
          ms('acknowledged_at', true),
          ms('answer_due_at'),
          ms('answered_at', true),
          ms('first_answered_at', true),
          ms('closed_at', true),
          ms('answer_working_ms', true),
          str('overdue', 8, true),
          { name: 'was_overdue', type: 'boolean' },
          { name: 'answer', type: 'text', isNullable: true },
          str('answered_by', 36, true),
          { name: 'public_interest', type: 'boolean' },
          { name: 'reject_reason', type: 'text', isNullable: true },
          { name: 'satisfied', type: 'boolean', isNullable: true },
          ms('rated_at', true),
          { name: 'reopen_count', type: 'integer', default: 0 },
          str('merged_into', 36, true),
          ms('personal_data_erased_at', true),
          ms('updated_at'),
          { name: 'version', type: 'integer', default: 0 },
        ],
        foreignKeys: [
          { columnNames: ['area_code'], referencedTableName: 'areas', referencedColumnNames: ['code'] },
          { columnNames: ['assignee_user_id'], referencedTableName: 'users', referencedColumnNames: ['id'], onDelete: 'SET NULL' },
        ],
        indices: [
          { name: 'uq_feedback_items_code', columnNames: ['code'], isUnique: true },
          { name: 'uq_feedback_items_external', columnNames: ['external_id'], isUnique: true },
          { name: 'idx_feedback_items_area_state', columnNames: ['area_code', 'state'] },
          { name: 'idx_feedback_items_answer_due', columnNames: ['state', 'answer_due_at'] },
          { name: 'idx_feedback_items_created', columnNames: ['created_at'] },
          { name: 'idx_feedback_items_phone_hash', columnNames: ['phone_hash', 'created_at'] },
          { name: 'idx_feedback_items_address_hash', columnNames: ['address_hash', 'created_at'] },
        ],
      }),
    );
    await q.createTable(
      new Table({
        name: 'feedback_events',
        columns: [
          { ...str('id', 36), isPrimary: true },
          str('item_id', 36),
          ms('at'),
          str('kind', 24),
          str('actor_user_id', 36, true),
          str('actor_kind', 8),
          str('from_state', 16, true),
          str('to_state', 16, true),
          { name: 'text', type: 'text', isNullable: true },
          { name: 'internal', type: 'boolean' },
        ],
        foreignKeys: [{ columnNames: ['item_id'], referencedTableName: 'feedback_items', referencedColumnNames: ['id'], onDelete: 'CASCADE' }],
        indices: [{ name: 'idx_feedback_events_item', columnNames: ['item_id', 'at'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'feedback_attachments',
        columns: [
          { ...str('id', 36), isPrimary: true },
          str('item_id', 36),
          str('mime', 32),
          { name: 'bytes', type: 'integer' },
          str('sha256', 64),
          { name: 'width', type: 'integer', isNullable: true },
          { name: 'height', type: 'integer', isNullable: true },
          str('storage_key', 200),
          ms('created_at'),
        ],
        foreignKeys: [{ columnNames: ['item_id'], referencedTableName: 'feedback_items', referencedColumnNames: ['id'], onDelete: 'CASCADE' }],
        indices: [{ name: 'idx_feedback_attachments_item', columnNames: ['item_id'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'feedback_bulletins',
        columns: [{ ...str('item_id', 36), isPrimary: true }, { ...str('content_id', 36), isPrimary: true }, str('role', 16), str('created_by', 36), ms('created_at')],
        foreignKeys: [{ columnNames: ['item_id'], referencedTableName: 'feedback_items', referencedColumnNames: ['id'], onDelete: 'CASCADE' }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'feedback_throttle',
        columns: [{ ...str('key', 100), isPrimary: true }, { ...ms('window_start'), isPrimary: true }, { name: 'count', type: 'integer' }],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['feedback_throttle', 'feedback_bulletins', 'feedback_attachments', 'feedback_events', 'feedback_items']) await q.dropTable(t);
  }
}
