import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { managerOf } from '../database/transaction-runner.js';

/** A fixed window: [start, end). */
export interface ThrottleWindow {
  start: number;
  end: number;
}

/** The window of `sizeMs` holding `now`, aligned on the epoch (hours, ten minutes). */
export const fixedWindow = (now: number, sizeMs: number): ThrottleWindow => {
  const start = Math.floor(now / sizeMs) * sizeMs;
  return { start, end: start + sizeMs };
};

/**
 * Counters of public requests in fixed windows (`feedback_throttle`), shared by every server instance: a hit is one
 * upsert-increment, atomic on SQLite and on PostgreSQL, so two instances behind a load balancer count together.
 */
@Injectable()
export class FeedbackThrottleRepository {
  constructor(private readonly db: DataSource) {}

  private get pg(): boolean {
    return this.db.options.type === 'postgres';
  }

  /** Counts a hit on `key` in the window starting at `windowStart`; the count after it. */
  async hit(key: string, windowStart: number): Promise<number> {
    const p = this.pg ? ['$1', '$2'] : ['?', '?'];
    const rows = (await managerOf(this.db).query(
      `INSERT INTO feedback_throttle ("key", window_start, count) VALUES (${p[0]}, ${p[1]}, 1)
       ON CONFLICT ("key", window_start) DO UPDATE SET count = feedback_throttle.count + 1
       RETURNING count`,
      [key, windowStart],
    )) as Array<{ count: number | string }>;
    return Number(rows[0]?.count ?? 1);
  }

  /** Takes back a hit (a duplicate submission is not counted twice); never below zero. */
  async release(key: string, windowStart: number): Promise<void> {
    const p = this.pg ? ['$1', '$2'] : ['?', '?'];
    await managerOf(this.db).query(`UPDATE feedback_throttle SET count = count - 1 WHERE "key" = ${p[0]} AND window_start = ${p[1]} AND count > 0`, [key, windowStart]);
  }

  /** Hits on `key` in the window starting at `windowStart`, without counting one. */
  async peek(key: string, windowStart: number): Promise<number> {
    const p = this.pg ? ['$1', '$2'] : ['?', '?'];
    const rows = (await managerOf(this.db).query(`SELECT count FROM feedback_throttle WHERE "key" = ${p[0]} AND window_start = ${p[1]}`, [key, windowStart])) as Array<{
      count: number | string;
    }>;
    return Number(rows[0]?.count ?? 0);
  }

  /** Drops windows that started before `before` (no window is longer than a day). */
  async purgeBefore(before: number): Promise<void> {
    await managerOf(this.db).query(`DELETE FROM feedback_throttle WHERE window_start < ${this.pg ? '$1' : '?'}`, [before]);
  }
}
