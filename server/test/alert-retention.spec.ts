import { AlertDeliveryEntity } from '../src/alerts/alert-delivery.entity.js';
import { AlertEntity, type AlertStatus } from '../src/alerts/alert.entity.js';
import { ALERT_RETENTION_JOB, AlertDeliveriesRetention } from '../src/alerts/alert-retention.js';
import { AlertRetentionRepository } from '../src/alerts/alert-retention.repository.js';
import { AppConfig, ConfigError } from '../src/config/app-config.js';
import type { JobScheduler, PeriodicJob } from '../src/jobs/job-scheduler.js';
import { DATABASES, type TestDatabase } from './support/databases.js';
import { FixedClock, newMetrics, seedArea, seedDevice, silentLogger, testConfig } from './support/fixtures.js';

/**
 * Issue 18: the per-device records of alerts that ended (cleared from their channel: expired, cancelled, superseded)
 * more than LOA_ALERT_DELIVERIES_RETENTION_DAYS ago are deleted by a leader job; everything else stays.
 */
const NOW = Date.parse('2027-12-01T00:00:00Z');
const DAY = 86_400_000;
const DEVICES = ['spk-1', 'spk-2', 'spk-3'];

describe('LOA_ALERT_DELIVERIES_RETENTION_DAYS', () => {
  it('defaults to 400 days and refuses a value that is not a positive number of days at start-up', () => {
    expect(testConfig().alertDeliveriesRetentionMs).toBe(400 * DAY);
    expect(testConfig({ LOA_ALERT_DELIVERIES_RETENTION_DAYS: '30' }).alertDeliveriesRetentionMs).toBe(30 * DAY);
    for (const bad of ['0', '-5', 'a year', '40000']) {
      expect(() => AppConfig.load({ LOA_DATA_DIR: '/tmp/loa-unused', LOA_ALERT_DELIVERIES_RETENTION_DAYS: bad })).toThrow(ConfigError);
      expect(() => AppConfig.load({ LOA_DATA_DIR: '/tmp/loa-unused', LOA_ALERT_DELIVERIES_RETENTION_DAYS: bad })).toThrow(/LOA_ALERT_DELIVERIES_RETENTION_DAYS/);
    }
  });
});

describe.each(DATABASES)('alert delivery retention on %s', (_name, open) => {
  let db: TestDatabase;

  beforeEach(async () => {
    db = await open();
    await seedArea(db.dataSource, '01', null, 'province');
    for (const d of DEVICES) await seedDevice(db.dataSource, d, '01');
  });

  afterEach(() => db.close());

  async function seedAlert(id: string, status: AlertStatus, clearedAt: number | null, expiresAt = (clearedAt ?? NOW) + DAY): Promise<void> {
    const a: AlertEntity = {
      id,
      areaCode: '01',
      priority: 'emergency',
      title: id,
      text: 'Bão',
      mediaSha256: null,
      volume: null,
      status,
      replaces: null,
      sentAt: expiresAt - 2 * DAY,
      effectiveAt: expiresAt - 2 * DAY,
      expiresAt,
      cancelledAt: status === 'cancelled' ? clearedAt : null,
      clearedAt,
      createdBy: 'u',
    };
    await db.dataSource.getRepository(AlertEntity).insert(a);
    await db.dataSource
      .getRepository(AlertDeliveryEntity)
      .insert(DEVICES.map((deviceId) => ({ alertId: id, deviceId, areaCode: '01', state: 'finished' as const, deliveredAt: null, startedAt: null, endedAt: null, reason: null, updatedAt: a.sentAt })));
  }

  const left = async () => {
    const rows = await db.dataSource.getRepository(AlertDeliveryEntity).find({ order: { alertId: 'ASC', deviceId: 'ASC' } });
    const by = new Map<string, number>();
    for (const r of rows) by.set(r.alertId, (by.get(r.alertId) ?? 0) + 1);
    return Object.fromEntries(by);
  };

  function retention(env: Record<string, string> = {}) {
    const scheduled: PeriodicJob[] = [];
    const jobs = { schedule: (j: PeriodicJob) => scheduled.push(j) } as unknown as JobScheduler;
    const sut = new AlertDeliveriesRetention(new AlertRetentionRepository(db.dataSource), jobs, new FixedClock(NOW), testConfig(env), newMetrics(), silentLogger);
    sut.onApplicationBootstrap();
    return { sut, job: scheduled[0]! };
  }

  it('deletes the records of alerts ended more than the retention ago, and keeps those in force, pending or ended since', async () => {
    await seedAlert('expired-old', 'active', NOW - 500 * DAY); // expired: still "active", but off its channel
    await seedAlert('cancelled-old', 'cancelled', NOW - 401 * DAY);
    await seedAlert('superseded-old', 'superseded', NOW - 450 * DAY);
    await seedAlert('cancelled-recent', 'cancelled', NOW - 399 * DAY);
    await seedAlert('expired-recent', 'active', NOW - 10 * DAY);
    await seedAlert('in-force', 'active', null, NOW + DAY);
    // Waiting for a confirmation for ages: never on a channel, never cleared.
    await seedAlert('pending', 'pending', null, NOW - 600 * DAY);
    const { sut, job } = retention();
    expect(job).toMatchObject({ name: ALERT_RETENTION_JOB, runAtStart: true, intervalMs: DAY });

    expect(await job.run()).toBe(3 * DEVICES.length);
    expect(await left()).toEqual({ 'cancelled-recent': 3, 'expired-recent': 3, 'in-force': 3, pending: 3 });
    // The alerts themselves stay (history, CAP feed); a second run finds nothing.
    expect(await db.dataSource.getRepository(AlertEntity).count()).toBe(7);
    expect(await sut.sweep()).toBe(0);
  });

  it('follows the configured number of days, across more alerts than one batch', async () => {
    for (let i = 0; i < 12; i++) await seedAlert(`old-${String(i).padStart(2, '0')}`, 'cancelled', NOW - (40 + i) * DAY);
    await seedAlert('recent', 'cancelled', NOW - 20 * DAY);
    expect(await retention({ LOA_ALERT_DELIVERIES_RETENTION_DAYS: '30' }).sut.sweep()).toBe(12 * DEVICES.length);
    expect(await left()).toEqual({ recent: 3 });
  });
});
