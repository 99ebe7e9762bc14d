// Steady state (issue 14's soak): the whole fleet stays connected for a long run with its heartbeats while operators
// keep working — a schedule onto one commune and a command to another every period. The server's memory is read
// after a warm-up and then throughout; what it gains from the warm-up to the end is the figure (< 10 % wanted).
import type { LoaServer } from './loa-server.js';
import { round, sampleProc } from './proc.js';
import type { LoaApi } from '@loa/e2e/sim/dist/index.js';

export interface SteadyOptions {
  server: LoaServer;
  api: LoaApi;
  /** Communes to aim at, in turn. */
  areaCodes: readonly string[];
  /** An approved audio content to schedule. */
  contentId: string;
  minutes: number;
  /** Warm-up before the first reading: the first operations and heartbeats settle caches and pools. */
  warmupS: number;
  /** One schedule and one command every this long. */
  periodS: number;
  log(s: string): void;
}

export interface SteadyResult {
  minutes: number;
  schedules: number;
  commands: number;
  /** HTTP answers that were not the expected 201 (must stay 0). */
  failures: number;
  /** Heartbeats the server received over the run. */
  telemetry: number;
  startRssMB: number;
  endRssMB: number;
  peakRssMB: number;
  growthPct: number;
  startHeapMB: number | null;
  endHeapMB: number | null;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function measureSteady(o: SteadyOptions): Promise<SteadyResult> {
  const health = () => o.server.health() as Promise<{ counters: Record<string, number>; memory?: { heapUsedBytes?: number } }>;
  const heapMB = (h: { memory?: { heapUsedBytes?: number } }) => (h.memory?.heapUsedBytes === undefined ? null : round(h.memory.heapUsedBytes / 1048576));
  let schedules = 0;
  let commands = 0;
  let failures = 0;
  let turn = 0;
  const work = async () => {
    const area = o.areaCodes[turn++ % o.areaCodes.length] ?? '';
    const other = o.areaCodes[turn % o.areaCodes.length] ?? area;
    const startAt = new Date(Date.now() + 3_600_000 + turn * 60_000).toISOString();
    const s = await o.api.raw('POST', '/api/v1/schedules', { contentId: o.contentId, startAt, targets: { areas: [area] } });
    if (s.status === 201) schedules++;
    else failures++;
    const c = await o.api.raw('POST', '/api/v1/commands', { command: { type: 'setVolume', volume: 60 + (turn % 20) }, target: { areaCode: other }, ttlS: 600 });
    if (c.status === 201) commands++;
    else failures++;
  };
  const t0 = Date.now();
  const end = t0 + o.minutes * 60_000;
  const tel0 = (await health()).counters.mqtt_telemetry_received ?? 0;
  let nextWork = Date.now();
  let start: { rss: number; heap: number | null } | null = null;
  let peak = 0;
  let lastLog = Date.now();
  while (Date.now() < end) {
    if (Date.now() >= nextWork) {
      nextWork += o.periodS * 1000;
      await work();
    }
    const rss = sampleProc(o.server.pid)?.rssBytes ?? 0;
    if (start === null && Date.now() - t0 >= o.warmupS * 1000) start = { rss, heap: heapMB(await health()) };
    if (start !== null) peak = Math.max(peak, rss);
    if (Date.now() - lastLog > 60_000) {
      lastLog = Date.now();
      o.log(`steady: ${round((Date.now() - t0) / 60_000, 1)} min, RSS ${round(rss / 1048576)} MB, ${schedules} schedules, ${commands} commands`);
    }
    await sleep(1000);
  }
  const h = await health();
  const endRss = sampleProc(o.server.pid)?.rssBytes ?? 0;
  const s0 = start ?? { rss: endRss, heap: heapMB(h) };
  return {
    minutes: o.minutes,
    schedules,
    commands,
    failures,
    telemetry: (h.counters.mqtt_telemetry_received ?? 0) - tel0,
    startRssMB: round(s0.rss / 1048576),
    endRssMB: round(endRss / 1048576),
    peakRssMB: round(Math.max(peak, endRss) / 1048576),
    growthPct: round(((endRss - s0.rss) / Math.max(1, s0.rss)) * 100, 1),
    startHeapMB: s0.heap,
    endHeapMB: heapMB(h),
  };
}

export function steadyRows(r: SteadyResult): Array<{ scenario: string; metric: string; loa: number | null; raw: number | null; ratio: number | null; target: string }> {
  const sc = `14 steady ${r.minutes} min, fleet up`;
  const row = (metric: string, loa: number | null, target = '') => ({ scenario: sc, metric, loa, raw: null, ratio: null, target });
  return [
    row('schedules created', r.schedules),
    row('commands created', r.commands),
    row('requests refused or failed', r.failures, '0'),
    row('heartbeats received', r.telemetry),
    row('server RSS after warm-up (MB)', r.startRssMB),
    row('server RSS at the end (MB)', r.endRssMB),
    row('server RSS peak (MB)', r.peakRssMB, '≤ 800'),
    row('server RSS growth (%)', r.growthPct, '< 10'),
    row('heap used after warm-up (MB)', r.startHeapMB),
    row('heap used at the end (MB)', r.endHeapMB),
  ];
}
