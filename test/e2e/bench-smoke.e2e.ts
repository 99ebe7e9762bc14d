import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// Smoke test of `npm run bench`: every scenario runs at a small N against a real server and a raw aedes broker
// and reports finite figures. The figures themselves are not asserted (CI machines vary too much).
const REPO = fileURLToPath(new URL('../..', import.meta.url));
const N = 120;

interface Row {
  scenario: string;
  metric: string;
  loa: number | null;
  raw: number | null;
}

describe('bench smoke', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'loa-bench-smoke-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('runs every scenario at a small N and prints a table and JSON with finite numbers', () => {
    const tsc = spawnSync(process.execPath, [path.join(REPO, 'node_modules/typescript/bin/tsc'), '-b', 'test/bench'], { cwd: REPO, encoding: 'utf8' });
    expect(tsc.stdout + tsc.stderr).toBe('');
    const json = path.join(dir, 'bench.json');
    const run = spawnSync(process.execPath, ['test/bench/dist/bench.js', '--devices', String(N), '--events-per-device', '5', '--processes', '2', '--telemetry-s', '5', '--soak-rounds', '10', '--soak-idle-s', '2', '--edge-idle-s', '10', '--steady-min', '0.5', '--json', json], {
      cwd: REPO,
      encoding: 'utf8',
      timeout: 300_000,
    });
    if (run.status !== 0) throw new Error(`bench exited with ${run.status}\n${run.stdout}\n${run.stderr}`);
    for (const s of ['1 connect storm', '2 fan-out', '3 timeline push', '4 event ingestion', '5 resources', '6 synchronised start', '7 heartbeats', '8 command to all', '9 media pipeline', '11 restart', '12 soak']) expect(run.stdout).toContain(s);
    const result = JSON.parse(readFileSync(json, 'utf8')) as { devices: number; rows: Row[]; loa: Record<string, { complete?: boolean }>; raw: Record<string, unknown> | null; restart: { graceful: { complete: boolean }; crash: { complete: boolean } } };
    expect(result.devices).toBe(N);
    const scenarios = new Set(result.rows.map((r) => r.scenario));
    expect([...scenarios].sort()).toEqual(['1 connect storm', '2 fan-out', '3 timeline push', '4 event ingestion', '5 resources', '6 synchronised start', '7 heartbeats', '8 command to all', '9 media pipeline', '10 dashboard reads', '11 restart', '12 soak, malformed input', '13 edge traffic', '14 steady 0.5 min, fleet up', '16 reports'].sort());
    for (const r of result.rows) {
      expect(typeof r.loa).toBe('number');
      expect(Number.isFinite(r.loa)).toBe(true);
      if (r.raw !== null) expect(Number.isFinite(r.raw)).toBe(true);
    }
    // The raw baseline ran for connect, fan-out and events.
    for (const metric of ['all online at broker side (s)', 'p99 (ms)', 'events committed+acked /s']) {
      const row = result.rows.find((r) => r.metric === metric);
      expect(row?.raw).not.toBeNull();
    }
    for (const k of ['connect', 'fanout', 'timeline', 'events', 'commands']) expect(result.loa[k]?.complete).toBe(true);
    expect(result.rows.find((r) => r.metric.startsWith('received /s'))?.loa).toBeGreaterThan(0);
    expect(result.raw).not.toBeNull();
    // Every device came back after both kinds of restart, and hostile input never got a 5xx.
    expect([result.restart.graceful.complete, result.restart.crash.complete]).toEqual([true, true]);
    expect(result.rows.find((r) => r.metric === 'planned restart: logins refused (CONNACK 4/5)')?.loa).toBe(0);
    expect(result.rows.find((r) => r.metric === 'HTTP answers ≥ 500')?.loa).toBe(0);
    expect(result.rows.find((r) => r.metric === 'server healthy at the end (1 = yes)')?.loa).toBe(1);
  });

  // Issue 15: `--broker mosquitto` adds the fleet scenarios on Mosquitto (dynamic security) and the two-instance run.
  it('runs the fleet scenarios on Mosquitto and two instances on PostgreSQL with --broker mosquitto', () => {
    const json = path.join(dir, 'bench-mosquitto.json');
    const run = spawnSync(process.execPath, ['test/bench/dist/bench.js', '--devices', '60', '--scenarios', 'connect,events', '--events-per-device', '2', '--telemetry-s', '5', '--no-raw', '--broker', 'mosquitto', '--json', json], {
      cwd: REPO,
      encoding: 'utf8',
      timeout: 300_000,
    });
    if (run.status !== 0) throw new Error(`bench exited with ${run.status}\n${run.stdout}\n${run.stderr}`);
    expect(run.stdout).toContain('The fleet scenarios on an external Mosquitto with dynamic security');
    expect(run.stdout).toContain('Two Loa instances on Mosquitto and PostgreSQL');
    const result = JSON.parse(readFileSync(json, 'utf8')) as {
      mosquitto: { loa: Record<string, { complete?: boolean }>; rows: Row[] };
      twoInstances: { connect: { complete: boolean }; events: { complete: boolean }; failover: { complete: boolean; leaderS: number; deviceDisconnects: number }; handover: { leaderS: number } };
    };
    for (const k of ['connect', 'events']) expect(result.mosquitto.loa[k]?.complete).toBe(true);
    for (const r of result.mosquitto.rows) expect(Number.isFinite(r.loa) && Number.isFinite(r.raw)).toBe(true);
    expect([result.twoInstances.connect.complete, result.twoInstances.events.complete, result.twoInstances.failover.complete]).toEqual([true, true, true]);
    expect(result.twoInstances.failover.deviceDisconnects).toBe(0);
    expect(Number.isFinite(result.twoInstances.failover.leaderS) && Number.isFinite(result.twoInstances.handover.leaderS)).toBe(true);
  });
});
