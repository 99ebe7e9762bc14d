import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from '../database/columns.js';

/*
 * The coverage rollups (issue 16), written only by the rollup job (rollup.repository.ts) and read only by the
 * coverage report. Derived data: the job rebuilds any (device, day) from deliveries, presence and alarms.
 * `category` is '' for content without a category (a key column cannot be NULL). No foreign key to devices: a
 * device removed leaves rows the report no longer joins.
 */

const counts = () => ({ type: 'integer' as const });

/** The counts every coverage rollup holds, whatever its key (device and day, device and month, all devices). */
abstract class CoverageCounts {
  @Column(counts()) due!: number;
  @Column(counts()) played!: number;
  @Column(counts()) started!: number;
  @Column({ name: 'on_time', type: 'integer' }) onTime!: number;
  @Column({ name: 'aired_ms', type: 'bigint', transformer: epochMs }) airedMs!: number;
  @Column(counts()) failed!: number;
}

/**
 * Time online within the time observed, whatever the key (`span_ms`: from the day's start, or the device's creation,
 * to its end or the last computation).
 */
abstract class OnlineTime {
  @Column({ name: 'online_ms', type: 'bigint', transformer: epochMs }) onlineMs!: number;
  @Column({ name: 'span_ms', type: 'bigint', transformer: epochMs }) spanMs!: number;
}

@Entity('coverage_daily')
@Index('idx_coverage_daily_day', ['day'])
export class CoverageDailyEntity extends CoverageCounts {
  @PrimaryColumn({ name: 'device_id', type: 'varchar', length: 64 }) deviceId!: string;
  /** yyyy-mm-dd on LOA_TIMEZONE: the local day of the occurrences' scheduled start. */
  @PrimaryColumn({ type: 'varchar', length: 10 }) day!: string;
  @PrimaryColumn({ type: 'varchar', length: 16 }) priority!: string;
  @PrimaryColumn({ type: 'varchar', length: 32 }) category!: string;
}

@Entity('coverage_monthly')
@Index('idx_coverage_monthly_month', ['month'])
export class CoverageMonthlyEntity extends CoverageCounts {
  @PrimaryColumn({ name: 'device_id', type: 'varchar', length: 64 }) deviceId!: string;
  /** yyyy-mm: the sum of the month's coverage_daily rows. */
  @PrimaryColumn({ type: 'varchar', length: 7 }) month!: string;
  @PrimaryColumn({ type: 'varchar', length: 16 }) priority!: string;
  @PrimaryColumn({ type: 'varchar', length: 32 }) category!: string;
}

@Entity('coverage_failures_daily')
@Index('idx_coverage_failures_daily_day', ['day'])
export class CoverageFailuresDailyEntity {
  @PrimaryColumn({ name: 'device_id', type: 'varchar', length: 64 }) deviceId!: string;
  @PrimaryColumn({ type: 'varchar', length: 10 }) day!: string;
  @PrimaryColumn({ type: 'varchar', length: 16 }) priority!: string;
  @PrimaryColumn({ type: 'varchar', length: 32 }) category!: string;
  /** The agent's reason (cut to 120), else the state (`failed`, `expired`, `skipped`), or `no-report`. */
  @PrimaryColumn({ type: 'varchar', length: 120 }) reason!: string;
  @Column(counts()) count!: number;
}

@Entity('coverage_failures_monthly')
@Index('idx_coverage_failures_monthly_month', ['month'])
export class CoverageFailuresMonthlyEntity {
  @PrimaryColumn({ name: 'device_id', type: 'varchar', length: 64 }) deviceId!: string;
  @PrimaryColumn({ type: 'varchar', length: 7 }) month!: string;
  @PrimaryColumn({ type: 'varchar', length: 16 }) priority!: string;
  @PrimaryColumn({ type: 'varchar', length: 32 }) category!: string;
  @PrimaryColumn({ type: 'varchar', length: 120 }) reason!: string;
  @Column(counts()) count!: number;
}

@Entity('availability_daily')
@Index('idx_availability_daily_day', ['day'])
export class AvailabilityDailyEntity extends OnlineTime {
  @PrimaryColumn({ name: 'device_id', type: 'varchar', length: 64 }) deviceId!: string;
  @PrimaryColumn({ type: 'varchar', length: 10 }) day!: string;
  /** Alarms raised on the device that day. */
  @Column(counts()) alarms!: number;
}

@Entity('availability_monthly')
@Index('idx_availability_monthly_month', ['month'])
export class AvailabilityMonthlyEntity extends OnlineTime {
  @PrimaryColumn({ name: 'device_id', type: 'varchar', length: 64 }) deviceId!: string;
  @PrimaryColumn({ type: 'varchar', length: 7 }) month!: string;
  @Column(counts()) alarms!: number;
}

/** Every device's coverage summed per day ('yyyy-mm-dd') or month ('yyyy-mm'): the series of an unfiltered report. */
@Entity('coverage_totals')
export class CoverageTotalsEntity extends CoverageCounts {
  @PrimaryColumn({ type: 'varchar', length: 10 }) period!: string;
  @PrimaryColumn({ type: 'varchar', length: 16 }) priority!: string;
  @PrimaryColumn({ type: 'varchar', length: 32 }) category!: string;
}

@Entity('availability_totals')
export class AvailabilityTotalsEntity extends OnlineTime {
  @PrimaryColumn({ type: 'varchar', length: 10 }) period!: string;
  @Column(counts()) alarms!: number;
  /** Devices with a row for the period. */
  @Column(counts()) devices!: number;
}

/** The rollup job's watermarks (epoch ms or ids), so a restart resumes where the last run committed. */
@Entity('rollup_state')
export class RollupStateEntity {
  @PrimaryColumn({ type: 'varchar', length: 32 }) name!: string;
  @Column({ type: 'bigint', transformer: epochMs }) value!: number;
}

export const ROLLUP_ENTITIES = [CoverageDailyEntity, CoverageMonthlyEntity, CoverageFailuresDailyEntity, CoverageFailuresMonthlyEntity, AvailabilityDailyEntity, AvailabilityMonthlyEntity, CoverageTotalsEntity, AvailabilityTotalsEntity, RollupStateEntity];
