import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** Alerts whose records go in one statement: a province alert holds about 10,000, so each commit stays short. */
const ALERTS_PER_BATCH = 5;

/** The retention sweep's queries over alerts and alert_deliveries (AlertDeliveriesRetention). */
@Injectable()
export class AlertRetentionRepository {
  constructor(private readonly db: DataSource) {}

  /**
   * Deletes the records of alerts cleared from their channel before `cutoff`, a few alerts per statement, oldest
   * first; returns how many alerts and rows. An alert without `cleared_at` (in force, or pending) is never touched.
   */
  async deleteEndedBefore(cutoff: number): Promise<{ alerts: number; rows: number }> {
    const pg = this.db.options.type === 'postgres';
    let alerts = 0;
    let rows = 0;
    for (;;) {
      const ids = (
        (await this.db.query(
          `SELECT a.id AS id FROM alerts a WHERE a.cleared_at IS NOT NULL AND a.cleared_at < ${pg ? '$1' : '?'} ` +
            `AND EXISTS (SELECT 1 FROM alert_deliveries d WHERE d.alert_id = a.id) ORDER BY a.cleared_at, a.id LIMIT ${ALERTS_PER_BATCH}`,
          [cutoff],
        )) as Array<{ id: string }>
      ).map((r) => r.id);
      if (ids.length === 0) return { alerts, rows };
      const r = await this.db.createQueryBuilder().delete().from('alert_deliveries').where('alert_id IN (:...ids)', { ids }).execute();
      rows += r.affected ?? 0;
      alerts += ids.length;
    }
  }
}
