// Scenario 16 (issue 16): the coverage report and the playout log over a year of synthetic history.
//
// A fresh server (SQLite, or a fresh PostgreSQL database) gets a province of N devices (province → district →
// commune, 40 devices a commune) and four province-wide broadcasts a day. With the server stopped, a year of history
// is written straight into its database:
// - the coverage rollups (daily and monthly) of every day before the last RAW_DAYS, generated in SQL (the report
//   reads only these; loading 14.6 million raw deliveries would take the bench longer than it measures);
// - the occurrences of the whole year, and the raw deliveries of the last RAW_DAYS days (one per occurrence per
//   device, 93 % played, 3 % failed, 4 % never reported): the rollup job turns these into rollups, timed;
// - availability rollups for every day.
// Then the server runs again and the bench times the rollup job over the raw slice (deliveries per second) and the
// report queries: coverage for a month and a year of the province, a district and a commune, a device drill-down,
// and a page of the playout log.
import { createRequire } from 'node:module';
import path from 'node:path';
import pg from 'pg';
import { LoaApi, provision } from '@loa/e2e/sim/dist/index.js';
import { REPO, startLoaServer } from './loa-server.js';
import { percentile, round } from './proc.js';

const require = createRequire(path.join(REPO, 'server/package.json'));

const DAY_MS = 86_400_000;
/** Vietnam time has no daylight saving: local midnight is 17:00Z the day before. */
const VN_OFFSET_MS = 7 * 3_600_000;
/** Local broadcast times (h) and what they carry: three essential bulletins and the news. */
const SLOTS: ReadonlyArray<{ id: string; hour: number; category: string }> = [
  { id: 'rpt-0600', hour: 6, category: 'thiet-yeu' },
  { id: 'rpt-1100', hour: 11, category: 'thoi-su' },
  { id: 'rpt-1700', hour: 17, category: 'thiet-yeu' },
  { id: 'rpt-2000', hour: 20, category: 'thiet-yeu' },
];
const OCCURRENCE_MS = 300_000;
const RUNS = 5;

export interface ReportBenchOptions {
  dir: string;
  devices: number;
  /** A PostgreSQL server URL (postgres://postgres@127.0.0.1:5432): a fresh database is created and dropped. */
  postgres?: string | undefined;
  days?: number;
  rawDays?: number;
  log: (s: string) => void;
  track?: (c: import('node:child_process').ChildProcess) => void;
}

export interface TimedQuery {
  name: string;
  path: string;
  firstMs: number;
  medianMs: number;
  maxMs: number;
  bytes: number;
}

export interface ReportBenchResult {
  database: 'sqlite' | 'postgres';
  devices: number;
  days: number;
  rawDays: number;
  loaded: Record<string, number>;
  provisionS: number;
  loadS: number;
  job: { deliveries: number; seconds: number; perSecond: number };
  queries: TimedQuery[];
}

/** The two databases behind one small interface (`?` placeholders). */
interface Db {
  run(sql: string, params?: unknown[]): Promise<void>;
  all(sql: string, params?: unknown[]): Promise<Array<Record<string, unknown>>>;
  close(): Promise<void>;
  readonly random100: string;
  readonly text: (expr: string) => string;
}

interface BetterSqlite {
  prepare(sql: string): { run(...p: unknown[]): unknown; all(...p: unknown[]): Array<Record<string, unknown>> };
  exec(sql: string): void;
  pragma(s: string): unknown;
  close(): void;
}

function openSqlite(file: string): Db {
  const Database = require('better-sqlite3') as new (f: string) => BetterSqlite;
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('busy_timeout = 30000');
  db.pragma('synchronous = NORMAL');
  return {
    run: async (sql, params = []) => void db.prepare(sql).run(...params),
    all: async (sql, params = []) => db.prepare(sql).all(...params),
    close: async () => db.close(),
    random100: '(abs(random()) % 100)',
    text: (e) => `CAST(${e} AS TEXT)`,
  };
}

async function openPg(url: string): Promise<Db> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const sql = (s: string) => {
    let n = 0;
    return s.replace(/\?/g, () => `$${++n}`);
  };
  return {
    run: async (s, params = []) => void (await c.query(sql(s), params)),
    all: async (s, params = []) => (await c.query(sql(s), params)).rows as Array<Record<string, unknown>>,
    close: () => c.end(),
    random100: 'floor(random() * 100)::int',
    text: (e) => `CAST(${e} AS TEXT)`,
  };
}

const localDay = (ms: number): string => new Date(ms + VN_OFFSET_MS).toISOString().slice(0, 10);
const dayStart = (day: string): number => Date.parse(`${day}T00:00:00Z`) - VN_OFFSET_MS;

/** Writes the year straight into the database; returns the rows written per table. */
async function load(db: Db, days: string[], rawFrom: string, contents: Record<string, string>, now: number, log: (s: string) => void): Promise<Record<string, number>> {
  const count = async (table: string, where = '') => Number((await db.all(`SELECT COUNT(*) AS n FROM ${table} ${where}`))[0]?.n ?? 0);
  const step = async (what: string, sql: string, params: unknown[] = []) => {
    const t = Date.now();
    await db.run(sql, params);
    log(`reports: ${what} (${round((Date.now() - t) / 1000, 1)} s)`);
  };
  await db.run('CREATE TEMP TABLE bench_days (day varchar(10), start_ms bigint, raw integer)');
  for (let i = 0; i < days.length; i += 200) {
    const part = days.slice(i, i + 200);
    await db.run(`INSERT INTO bench_days (day, start_ms, raw) VALUES ${part.map(() => '(?, ?, ?)').join(', ')}`, part.flatMap((d) => [d, dayStart(d), d >= rawFrom ? 1 : 0]));
  }
  await db.run('CREATE TEMP TABLE bench_slots (schedule_id varchar(36), offset_ms bigint)');
  for (const s of SLOTS) {
    await db.run('INSERT INTO schedules (id, content_id, priority, start_at, volume, status, created_by, created_at) VALUES (?, ?, ?, ?, NULL, ?, ?, ?)', [s.id, contents[s.category], 'normal', dayStart(days[0]!) + s.hour * 3_600_000, 'active', 'bench', now]);
    await db.run('INSERT INTO bench_slots (schedule_id, offset_ms) VALUES (?, ?)', [s.id, s.hour * 3_600_000]);
  }
  const R = db.random100;
  await step('occurrences', `INSERT INTO occurrences (id, schedule_id, start_at, duration_ms) SELECT s.schedule_id || ':' || ${db.text('b.start_ms + s.offset_ms')}, s.schedule_id, b.start_ms + s.offset_ms, ${OCCURRENCE_MS} FROM bench_days b CROSS JOIN bench_slots s`);

  // Rollups of the days before the raw slice: 3 essential occurrences and 1 news a device a day. Written day by day
  // (ORDER BY day), as the job writes them as days pass: a day's rows sit together, as they would in the field.
  const coverage = `INSERT INTO coverage_daily (device_id, day, priority, category, due, played, started, on_time, aired_ms, failed)`;
  await step(
    'coverage_daily, essential',
    `${coverage} SELECT id, day, 'normal', 'thiet-yeu', 3, p, p, p - (CASE WHEN r % 10 = 0 AND p > 0 THEN 1 ELSE 0 END), p * ${OCCURRENCE_MS}, 3 - p
     FROM (SELECT id, day, r, CASE WHEN r < 90 THEN 3 WHEN r < 97 THEN 2 ELSE 0 END AS p FROM (SELECT d.id AS id, b.day AS day, ${R} AS r FROM bench_days b CROSS JOIN devices d WHERE b.raw = 0 ORDER BY b.day, d.id) x) y`,
  );
  await step(
    'coverage_daily, news',
    `${coverage} SELECT id, day, 'normal', 'thoi-su', 1, p, p, p, p * ${OCCURRENCE_MS}, 1 - p
     FROM (SELECT id, day, CASE WHEN r < 92 THEN 1 ELSE 0 END AS p FROM (SELECT d.id AS id, b.day AS day, ${R} AS r FROM bench_days b CROSS JOIN devices d WHERE b.raw = 0 ORDER BY b.day, d.id) x) y`,
  );
  await step('coverage_failures_daily', `INSERT INTO coverage_failures_daily (device_id, day, priority, category, reason, count) SELECT device_id, day, priority, category, CASE WHEN played = 0 THEN 'not-delivered' ELSE 'no-report' END, failed FROM coverage_daily WHERE failed > 0 ORDER BY day, device_id`);
  await step(
    'availability_daily',
    `INSERT INTO availability_daily (device_id, day, online_ms, span_ms, alarms)
     SELECT id, day, CASE WHEN r < 95 THEN ${DAY_MS} WHEN r < 98 THEN ${DAY_MS / 2} ELSE 0 END, ${DAY_MS}, CASE WHEN r >= 98 THEN 1 ELSE 0 END
     FROM (SELECT d.id AS id, b.day AS day, ${R} AS r FROM bench_days b CROSS JOIN devices d ORDER BY b.day, d.id) x`,
  );
  // The raw slice: what proof of play stores, for the rollup job to turn into rollups.
  await step(
    'deliveries (raw slice)',
    `INSERT INTO deliveries (occurrence_id, device_id, schedule_id, state, queued_at, delivered_at, started_at, ended_at, played_ms, heard_ms, item_ms, reason, updated_at)
     SELECT oid, did, sid, CASE WHEN r < 93 THEN 'finished' WHEN r < 96 THEN 'failed' ELSE 'delivered' END, st - ${DAY_MS}, st - ${DAY_MS / 2},
       CASE WHEN r < 96 THEN st + 2000 ELSE NULL END, CASE WHEN r < 96 THEN st + ${OCCURRENCE_MS + 2000} ELSE NULL END,
       CASE WHEN r < 93 THEN ${OCCURRENCE_MS} WHEN r < 96 THEN 12000 ELSE NULL END, NULL, NULL,
       CASE WHEN r >= 93 AND r < 96 THEN 'amp fault' ELSE NULL END, ?
     FROM (SELECT o.id AS oid, d.id AS did, o.schedule_id AS sid, o.start_at AS st, ${R} AS r FROM occurrences o CROSS JOIN devices d WHERE o.start_at >= ?) x`,
    // Changed an hour before the job's watermark: its first run after the restart leaves them to the timed one.
    [now - 3_600_000, dayStart(rawFrom)],
  );
  for (const [family, cols, sums] of [
    ['coverage', 'priority, category', 'SUM(due), SUM(played), SUM(started), SUM(on_time), SUM(aired_ms), SUM(failed)'],
    ['coverage_failures', 'priority, category, reason', 'SUM(count)'],
    ['availability', '', 'SUM(online_ms), SUM(span_ms), SUM(alarms)'],
  ] as const) {
    const key = cols === '' ? '' : `, ${cols}`;
    await step(`${family}_monthly`, `INSERT INTO ${family}_monthly SELECT device_id, substr(day, 1, 7)${key}, ${sums} FROM ${family}_daily GROUP BY device_id, substr(day, 1, 7)${key} ORDER BY substr(day, 1, 7), device_id`);
  }
  for (const [grain, table] of [['day', 'daily'], ['month', 'monthly']] as const) {
    await step(`coverage_totals per ${grain}`, `INSERT INTO coverage_totals SELECT ${grain}, priority, category, SUM(due), SUM(played), SUM(started), SUM(on_time), SUM(aired_ms), SUM(failed) FROM coverage_${table} GROUP BY ${grain}, priority, category`);
    await step(`availability_totals per ${grain}`, `INSERT INTO availability_totals SELECT ${grain}, SUM(online_ms), SUM(span_ms), SUM(alarms), COUNT(*) FROM availability_${table} GROUP BY ${grain}`);
  }
  // The job starts from here: the generated history is already rolled up, the raw slice is not (timed below).
  await db.run('DELETE FROM rollup_state');
  for (const [name, value] of [['deliveries', now], ['clock', now], ['connections', 0], ['alarms', now], ['availability', now]] as const) await db.run('INSERT INTO rollup_state (name, value) VALUES (?, ?)', [name, value]);
  const loaded: Record<string, number> = {};
  for (const t of ['occurrences', 'deliveries', 'coverage_daily', 'coverage_monthly', 'coverage_failures_daily', 'availability_daily', 'availability_monthly']) loaded[t] = await count(t);
  return loaded;
}

export async function measureReports(o: ReportBenchOptions): Promise<ReportBenchResult> {
  const days = o.days ?? 365;
  const rawDays = Math.min(days, o.rawDays ?? 7);
  const now = Date.now();
  const today = localDay(now);
  const history = Array.from({ length: days }, (_, i) => localDay(dayStart(today) - (days - i) * DAY_MS + DAY_MS / 2));
  const rawFrom = history[history.length - rawDays]!;
  const password = `bench-${Math.random().toString(36).slice(2)}`;
  const dataDir = path.join(o.dir, 'reports');

  let pgUrl: string | null = null;
  let dropPg: (() => Promise<void>) | null = null;
  if (o.postgres) {
    const base = o.postgres.replace(/\/+$/, '');
    const name = `loa_reports_${Math.random().toString(36).slice(2, 10)}`;
    const admin = new pg.Client({ connectionString: `${base}/postgres` });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    pgUrl = `${base}/${name}`;
    dropPg = async () => {
      const c = new pg.Client({ connectionString: `${base}/postgres` });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    };
  }
  const env = { LOA_APPROVAL_RULES_DEFAULT: 'permissive', ...(pgUrl ? { LOA_DATABASE_URL: pgUrl } : {}) };
  const start = async () => {
    const s = await startLoaServer({ dataDir, adminPassword: password, logLevel: 'warn', env });
    o.track?.(s.proc);
    return s;
  };
  try {
    // 1. The province and the contents, through the API.
    let server = await start();
    const t0 = Date.now();
    const creds = await provision({ serverUrl: server.httpUrl, username: 'admin', password, devices: o.devices, idPrefix: 'rpt', bulk: true, tiers: 3 });
    const provisionS = round((Date.now() - t0) / 1000, 1);
    let api = await LoaApi.login(server.httpUrl, 'admin', password);
    const contents: Record<string, string> = {};
    for (const category of new Set(SLOTS.map((s) => s.category))) {
      contents[category] = (await api.request<{ id: string }>('POST', '/api/v1/contents', { type: 'text', title: `Bản tin ${category}`, text: 'Bản tin', approve: true, category })).id;
    }
    const areas = creds.areas ?? [];
    const province = creds.provinceCode ?? '42';
    const district = areas.find((a) => a.level === 'district')!.code;
    const commune = areas.find((a) => a.level === 'commune' && a.parentCode === district)!.code;
    const device = creds.devices.find((d) => d.areaCode === commune)!.id;
    await server.stop();

    // 2. The year, written straight into the database.
    o.log(`reports: loading ${days} days × ${o.devices} devices (${rawDays} days as raw deliveries) into ${pgUrl ? 'PostgreSQL' : 'SQLite'}`);
    const t1 = Date.now();
    const db = pgUrl ? await openPg(pgUrl) : openSqlite(path.join(dataDir, 'loa.sqlite'));
    let loaded: Record<string, number>;
    try {
      loaded = await load(db, history, rawFrom, contents, now, o.log);
      // What autovacuum does on its own after a bulk load; SQLite's planner needs no statistics for these.
      if (pgUrl) await db.run('ANALYZE');
    } finally {
      await db.close();
    }
    const loadS = round((Date.now() - t1) / 1000, 1);
    o.log(`reports: loaded in ${loadS} s: ${JSON.stringify(loaded)}`);

    // 3. The rollup job over the raw slice: its watermark moved back so the next run reads every raw delivery.
    server = await start();
    api = await LoaApi.login(server.httpUrl, 'admin', password);
    const refresh = async (): Promise<string> => (await api.request<{ outcome: string }>('POST', '/api/v1/reports/coverage/refresh', {})).outcome;
    for (let i = 0; i < 600 && (await refresh()) !== 'done'; i++) await new Promise((r) => setTimeout(r, 500));
    const side = pgUrl ? await openPg(pgUrl) : openSqlite(path.join(dataDir, 'loa.sqlite'));
    let jobS = 0;
    try {
      for (let attempt = 0; attempt < 20; attempt++) {
        await side.run("UPDATE rollup_state SET value = 0 WHERE name = 'deliveries'");
        const t = performance.now();
        const outcome = await refresh();
        jobS = (performance.now() - t) / 1000;
        if (outcome === 'done') break;
        await new Promise((r) => setTimeout(r, 500));
      }
    } finally {
      await side.close();
    }
    const job = { deliveries: loaded.deliveries ?? 0, seconds: round(jobS, 1), perSecond: Math.round((loaded.deliveries ?? 0) / Math.max(jobS, 0.001)) };
    o.log(`reports: rollup job: ${job.deliveries} deliveries in ${job.seconds} s (${job.perSecond}/s)`);

    // 4. The queries.
    const month = history[history.length - 1]!.slice(0, 7) === today.slice(0, 7) ? prevMonth(today.slice(0, 7)) : history[history.length - 1]!.slice(0, 7);
    const year = today.slice(0, 4);
    const from = history[0]!;
    const to = history[history.length - 1]!;
    const plan: Array<[string, string]> = [
      [`coverage, province, month ${month}`, `/api/v1/reports/coverage?month=${month}&areaCode=${province}`],
      [`coverage, province, month, essential only`, `/api/v1/reports/coverage?month=${month}&areaCode=${province}&category=essential`],
      [`coverage, province, year ${year}`, `/api/v1/reports/coverage?year=${year}&areaCode=${province}`],
      [`coverage, province, last ${days} days`, `/api/v1/reports/coverage?from=${from}&to=${to}&areaCode=${province}`],
      [`coverage, district, month`, `/api/v1/reports/coverage?month=${month}&areaCode=${district}`],
      [`coverage, district, year`, `/api/v1/reports/coverage?year=${year}&areaCode=${district}`],
      [`coverage, commune, month`, `/api/v1/reports/coverage?month=${month}&areaCode=${commune}`],
      [`coverage, commune, year`, `/api/v1/reports/coverage?year=${year}&areaCode=${commune}`],
      [`device drill-down, month`, `/api/v1/reports/coverage/devices/${device}?month=${month}`],
      [`device drill-down, year`, `/api/v1/reports/coverage/devices/${device}?year=${year}`],
      [`playout log, province, month, first page of 1,000`, `/api/v1/reports/playout-log?month=${rawFrom.slice(0, 7)}&areaCode=${province}&limit=1000`],
      [`playout log, commune, month, first page of 1,000`, `/api/v1/reports/playout-log?month=${rawFrom.slice(0, 7)}&areaCode=${commune}&limit=1000`],
    ];
    const queries: TimedQuery[] = [];
    for (const [name, p] of plan) {
      const times: number[] = [];
      let bytes = 0;
      for (let i = 0; i <= RUNS; i++) {
        const t = performance.now();
        const res = await fetch(server.httpUrl + p, { headers: { authorization: `Bearer ${api.token}` } });
        const body = await res.text();
        times.push(performance.now() - t);
        if (res.status !== 200) throw new Error(`${p}: ${res.status} ${body.slice(0, 300)}`);
        bytes = body.length;
      }
      const warm = times.slice(1).sort((a, b) => a - b);
      queries.push({ name, path: p, firstMs: round(times[0]!, 1), medianMs: round(percentile(warm, 50), 1), maxMs: round(Math.max(...warm), 1), bytes });
      o.log(`reports: ${name}: first ${round(times[0]!, 1)} ms, median ${round(percentile(warm, 50), 1)} ms`);
    }
    await server.stop();
    return { database: pgUrl ? 'postgres' : 'sqlite', devices: o.devices, days, rawDays, loaded, provisionS, loadS, job, queries };
  } finally {
    await dropPg?.();
  }
}

const prevMonth = (m: string): string => {
  const [y, mm] = m.split('-').map(Number) as [number, number];
  return mm === 1 ? `${y - 1}-12` : `${y}-${String(mm - 1).padStart(2, '0')}`;
};

/** The bench table's rows (scenario 16). */
export function reportRows(r: ReportBenchResult): Array<{ scenario: string; metric: string; loa: number | null; raw: number | null; ratio: number | null; target: string }> {
  const s = '16 reports';
  const row = (metric: string, v: number, target = '') => ({ scenario: s, metric, loa: v, raw: null, ratio: null, target });
  return [
    row(`history loaded: ${r.days} days × ${r.devices} devices, rollups (daily rows)`, r.loaded.coverage_daily ?? 0),
    row(`history loaded: raw deliveries (last ${r.rawDays} days)`, r.loaded.deliveries ?? 0),
    row('history load time (s)', r.loadS),
    row('rollup job over the raw slice (s)', r.job.seconds),
    row('rollup job (deliveries/s)', r.job.perSecond),
    ...r.queries.map((q) => row(`${q.name}: median of ${RUNS} (ms) [first ${q.firstMs}, max ${q.maxMs}]`, q.medianMs, q.name.startsWith('coverage') || q.name.startsWith('device') ? '< 1000' : '')),
  ];
}
