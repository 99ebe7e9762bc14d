import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/**
 * Issue 6: audio ingest pipeline. `media_audio` records how each delivered file was made (source sha256, delivery
 * profile, loudness before and after); `media_jobs` persists processing jobs so a restart resumes or fails them.
 */
export class AudioPipeline1764500000000 implements MigrationInterface {
  name = 'AudioPipeline1764500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'media_audio',
        columns: [
          { name: 'source_sha256', type: 'varchar', length: '64', isPrimary: true },
          { name: 'profile', type: 'varchar', length: '100', isPrimary: true },
          { name: 'sha256', type: 'varchar', length: '64' },
          { name: 'source_bytes', type: 'bigint' },
          { name: 'source_mime', type: 'varchar', length: '100' },
          { name: 'source_codec', type: 'varchar', length: '50' },
          { name: 'source_duration_ms', type: 'integer' },
          { name: 'input_lufs', type: 'real', isNullable: true },
          { name: 'input_true_peak_dbtp', type: 'real', isNullable: true },
          { name: 'input_lra', type: 'real', isNullable: true },
          { name: 'output_lufs', type: 'real', isNullable: true },
          { name: 'output_true_peak_dbtp', type: 'real', isNullable: true },
          { name: 'output_lra', type: 'real', isNullable: true },
          { name: 'normalization', type: 'varchar', length: '16' },
          { name: 'created_at', type: 'bigint' },
        ],
        foreignKeys: [{ columnNames: ['sha256'], referencedTableName: 'media', referencedColumnNames: ['sha256'] }],
        // The key dedupes: one delivered file per source and delivery profile. By sha256: the media view.
        indices: [{ columnNames: ['sha256'] }],
      }),
    );
    await q.createTable(
      new Table({
        name: 'media_jobs',
        columns: [
          { name: 'id', type: 'varchar', length: '36', isPrimary: true },
          { name: 'state', type: 'varchar', length: '16' },
          { name: 'progress', type: 'real' },
          { name: 'original_name', type: 'varchar', length: '255' },
          { name: 'created_by', type: 'varchar', length: '36' },
          { name: 'source_path', type: 'varchar', length: '1000', isNullable: true },
          { name: 'source_sha256', type: 'varchar', length: '64', isNullable: true },
          { name: 'source_bytes', type: 'bigint', isNullable: true },
          { name: 'media_sha256', type: 'varchar', length: '64', isNullable: true },
          { name: 'created', type: 'boolean', isNullable: true },
          { name: 'reason', type: 'varchar', length: '32', isNullable: true },
          { name: 'message', type: 'varchar', length: '1000', isNullable: true },
          { name: 'created_at', type: 'bigint' },
          { name: 'updated_at', type: 'bigint' },
        ],
        indices: [{ columnNames: ['state'] }, { columnNames: ['created_at'] }],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('media_jobs');
    await q.dropTable('media_audio');
  }
}
