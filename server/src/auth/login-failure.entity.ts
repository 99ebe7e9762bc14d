import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMs } from '../database/columns.js';

/** Failed operator logins per username (known or not), shared by every server process on the database. */
@Entity('login_failures')
export class LoginFailureEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 }) username!: string;
  /** Failures counted since window_start; reset when the window has passed or the account locks. */
  @Column({ type: 'integer' }) failures!: number;
  @Column({ name: 'window_start', type: 'bigint', transformer: epochMs }) windowStart!: number;
  @Column({ name: 'locked_until', type: 'bigint', transformer: epochMs }) lockedUntil!: number;
}
