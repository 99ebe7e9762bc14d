import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 18: the text a synthesised media speaks (as typed, before normalisation), so audio content made from it shows
 * that text on boards without the client repeating it. Plain ALTER TABLE: SQLite adds the column in place (TypeORM's
 * addColumn rebuilds the table there).
 */
export class TtsText1765581730000 implements MigrationInterface {
  name = 'TtsText1765581730000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE media ADD COLUMN spoken_text text');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE media DROP COLUMN spoken_text');
  }
}
