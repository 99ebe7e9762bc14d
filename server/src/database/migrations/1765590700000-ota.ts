import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 20, agent updates over the air: uploaded releases, staged rollouts and each device's place in a rollout.
 * Plain SQL valid on SQLite and PostgreSQL.
 */
export class Ota1765590700000 implements MigrationInterface {
  name = 'Ota1765590700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE agent_releases (
      id varchar(36) NOT NULL PRIMARY KEY,
      version varchar(64) NOT NULL,
      sha256 varchar(64) NOT NULL,
      size bigint NOT NULL,
      kid varchar(16) NOT NULL,
      signature text NOT NULL,
      manifest text NOT NULL,
      kinds varchar(64) NOT NULL,
      uploaded_by varchar(36) NOT NULL,
      uploaded_at bigint NOT NULL
    )`);
    await q.query('CREATE UNIQUE INDEX uq_agent_releases_version ON agent_releases (version)');
    await q.query(`CREATE TABLE ota_rollouts (
      id varchar(36) NOT NULL PRIMARY KEY,
      release_id varchar(36) NOT NULL,
      target_kind varchar(8) NOT NULL,
      target_ref varchar(36) NOT NULL,
      area_code varchar(32),
      kinds varchar(64) NOT NULL,
      stages varchar(200) NOT NULL,
      current_stage integer NOT NULL DEFAULT 0,
      success_threshold integer NOT NULL,
      error_threshold integer NOT NULL,
      health_timeout_s integer NOT NULL,
      device_timeout_s integer NOT NULL,
      window_from varchar(5),
      window_to varchar(5),
      state varchar(16) NOT NULL,
      stop_reason varchar(32),
      stop_detail varchar(500),
      device_count integer NOT NULL,
      created_by varchar(36) NOT NULL,
      created_at bigint NOT NULL,
      updated_at bigint NOT NULL,
      ended_at bigint
    )`);
    await q.query('CREATE INDEX idx_ota_rollouts_state ON ota_rollouts (state)');
    await q.query('CREATE INDEX idx_ota_rollouts_release ON ota_rollouts (release_id)');
    await q.query(`CREATE TABLE ota_device_updates (
      rollout_id varchar(36) NOT NULL,
      device_id varchar(64) NOT NULL,
      stage integer NOT NULL,
      ord integer NOT NULL,
      state varchar(16) NOT NULL,
      command_id varchar(36),
      running_version varchar(64),
      progress_bytes bigint,
      progress_total bigint,
      error_code varchar(32),
      error_message varchar(1000),
      offered_at bigint,
      reported_at bigint,
      updated_at bigint NOT NULL,
      PRIMARY KEY (rollout_id, device_id)
    )`);
    await q.query('CREATE INDEX idx_ota_device_updates_state ON ota_device_updates (rollout_id, state)');
    await q.query('CREATE INDEX idx_ota_device_updates_device ON ota_device_updates (device_id, state)');
    await q.query('CREATE INDEX idx_ota_device_updates_command ON ota_device_updates (command_id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE ota_device_updates');
    await q.query('DROP TABLE ota_rollouts');
    await q.query('DROP TABLE agent_releases');
  }
}
