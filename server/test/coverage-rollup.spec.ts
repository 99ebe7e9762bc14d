import type { DataSource } from 'typeorm';
import type { AppConfig } from '../src/config/app-config.js';
import { DeliveryEntity } from '../src/deliveries/delivery.entity.js';
import { DeviceConnectionEntity } from '../src/devices/device-connection.entity.js';
import type { JobScheduler } from '../src/jobs/job-scheduler.js';
import { CoverageRollupJob, onlineWithin, ROLLUP_RULES } from '../src/reports/rollup.job.js';
import { RollupRepository } from '../src/reports/rollup.repository.js';
import { OccurrenceEntity } from '../src/schedules/occurrence.entity.js';
import { ScheduleEntity } from '../src/schedules/schedule.entity.js';
import { DATABASES, type TestDatabase } from './support/databases.js';
import { FixedClock, seedArea, seedAudioContent, seedDevice, silentLogger } from './support/fixtures.js';

/**
 * The rollup job on its own with a clock the test moves (SQLite and PostgreSQL): what time alone changes (an
 * occurrence becomes due at its start, and failed at its end + grace when nobody reported it), availability across
 * Vietnam midnight, and runs repeated or restarted giving the same rows.
 */
describe.each(DATABASES)('coverage rollup job on %s', (_name, open) => {
  let db: TestDatabase;
  let ds: DataSource;
  let clock: FixedClock;
  let job: CoverageRollupJob;
  const START = Date.parse('2026-11-20T01:00:00Z'); // 08:00 on 20/11 in Vietnam
  const config = { timezone: 'Asia/Ho_Chi_Minh' } as AppConfig;
  const newJob = () => new CoverageRollupJob(new RollupRepository(ds), config, clock, {} as JobScheduler, silentLogger);

  const daily = async () =>
    (await ds.query('SELECT device_id, day, priority, category, due, played, failed FROM coverage_daily ORDER BY device_id, day')).map((r: Record<string, unknown>) => ({
      device: r.device_id,
      day: r.day,
      due: Number(r.due),
      played: Number(r.played),
      failed: Number(r.failed),
    }));
  const failures = async () => (await ds.query('SELECT reason, count FROM coverage_failures_daily ORDER BY reason')).map((r: Record<string, unknown>) => [r.reason, Number(r.count)]);
  const monthly = async () => (await ds.query('SELECT device_id, month, due, played, failed FROM coverage_monthly ORDER BY device_id')).map((r: Record<string, unknown>) => [r.device_id, r.month, Number(r.due), Number(r.played), Number(r.failed)]);

  beforeEach(async () => {
    db = await open();
    ds = db.dataSource;
    const area = await seedArea(ds, '00001');
    for (const id of ['spk-a', 'spk-b']) await seedDevice(ds, id, area.code);
    await ds.query(`UPDATE devices SET created_at = ${Date.parse('2026-11-01T00:00:00Z')}`);
    const content = await seedAudioContent(ds);
    await ds.getRepository(ScheduleEntity).insert({ id: 's-1', contentId: content.id, priority: 'normal', startAt: START, volume: null, status: 'active', createdBy: 'u', createdAt: 0 });
    await ds.getRepository(OccurrenceEntity).insert({ id: 'o-1', scheduleId: 's-1', startAt: START, durationMs: 60_000 });
    const base = { occurrenceId: 'o-1', scheduleId: 's-1', queuedAt: START - 7_200_000, startedAt: null, endedAt: null, playedMs: null, reason: null, updatedAt: START - 3_600_000 };
    await ds.getRepository(DeliveryEntity).insert([
      { ...base, deviceId: 'spk-a', state: 'delivered', deliveredAt: START - 3_600_000 },
      { ...base, deviceId: 'spk-b', state: 'delivered', deliveredAt: START - 3_600_000 },
    ]);
    clock = new FixedClock(START - 60_000);
    job = newJob();
  });
  afterEach(() => db.close());

  it('counts an occurrence due once it starts and failed once its end + grace passes unreported, with time alone', async () => {
    await job.run();
    expect(await daily()).toEqual([]); // not due yet: nothing counted for the day

    clock.t = START + 30_000;
    await job.run();
    expect(await daily()).toEqual([
      { device: 'spk-a', day: '2026-11-20', due: 1, played: 0, failed: 0 },
      { device: 'spk-b', day: '2026-11-20', due: 1, played: 0, failed: 0 },
    ]);

    // spk-a reports it played; spk-b stays silent past its end + grace.
    await ds.getRepository(DeliveryEntity).update({ occurrenceId: 'o-1', deviceId: 'spk-a' }, { state: 'finished', startedAt: START, endedAt: START + 60_000, playedMs: 60_000, updatedAt: START + 60_000 });
    clock.t = START + 60_000 + ROLLUP_RULES.graceMs + 1;
    await job.run();
    expect(await daily()).toEqual([
      { device: 'spk-a', day: '2026-11-20', due: 1, played: 1, failed: 0 },
      { device: 'spk-b', day: '2026-11-20', due: 1, played: 0, failed: 1 },
    ]);
    expect(await failures()).toEqual([['no-report', 1]]);
    expect(await monthly()).toEqual([
      ['spk-a', '2026-11', 1, 1, 0],
      ['spk-b', '2026-11', 1, 0, 1],
    ]);
  });

  it('gives the same rows when runs repeat, or a new process starts over from the watermarks', async () => {
    clock.t = START + 3_600_000;
    await job.run();
    const first = { d: await daily(), m: await monthly(), a: await ds.query('SELECT device_id, day, online_ms, span_ms FROM availability_daily ORDER BY device_id, day') };
    await job.run();
    await newJob().run();
    await ds.query('DELETE FROM rollup_state'); // lost watermarks: the next run rebuilds from scratch
    await newJob().run();
    expect({ d: await daily(), m: await monthly(), a: await ds.query('SELECT device_id, day, online_ms, span_ms FROM availability_daily ORDER BY device_id, day') }).toEqual(first);
    expect(first.d).toHaveLength(2);
  });

  it('splits online time at Vietnam midnight and keeps a device online across days without any new transition', async () => {
    // Online from 22:00 on 19/11 (Vietnam) and still online: 2 h on the 19th, then every hour of the 20th so far.
    await ds.getRepository(DeviceConnectionEntity).insert({ deviceId: 'spk-a', at: Date.parse('2026-11-19T15:00:00Z'), state: 'online', reason: 'status' });
    clock.t = Date.parse('2026-11-20T05:00:00Z'); // 12:00 on 20/11
    await job.run();
    const rows = (await ds.query("SELECT device_id, day, online_ms, span_ms FROM availability_daily WHERE day IN ('2026-11-19', '2026-11-20') ORDER BY device_id, day")).map((r: Record<string, unknown>) => [r.device_id, r.day, Number(r.online_ms), Number(r.span_ms)]);
    expect(rows).toEqual([
      ['spk-a', '2026-11-19', 2 * 3_600_000, 24 * 3_600_000],
      ['spk-a', '2026-11-20', 12 * 3_600_000, 12 * 3_600_000],
      ['spk-b', '2026-11-19', 0, 24 * 3_600_000],
      ['spk-b', '2026-11-20', 0, 12 * 3_600_000],
    ]);
    // Six hours later, no transition in between: the periodic pass extends today's observed span and online time.
    clock.t = Date.parse('2026-11-20T11:00:00Z');
    await job.run();
    const today = (await ds.query("SELECT online_ms, span_ms FROM availability_daily WHERE device_id = 'spk-a' AND day = '2026-11-20'"))[0] as Record<string, unknown>;
    expect([Number(today.online_ms), Number(today.span_ms)]).toEqual([18 * 3_600_000, 18 * 3_600_000]);
  });

  it('adds online intervals within the observed window', () => {
    const h = 3_600_000;
    expect(onlineWithin(0, 24 * h, 0, false, [])).toBe(0);
    expect(onlineWithin(0, 24 * h, 0, true, [])).toBe(24 * h);
    expect(onlineWithin(6 * h, 24 * h, 0, true, [{ at: 12 * h, online: false }, { at: 20 * h, online: true }])).toBe(6 * h + 4 * h);
    expect(onlineWithin(0, 10 * h, 0, false, [{ at: 2 * h, online: true }, { at: 3 * h, online: true }, { at: 5 * h, online: false }])).toBe(3 * h);
  });
});
