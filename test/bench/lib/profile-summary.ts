// `node test/bench/dist/lib/profile-summary.js FILE.cpuprofile [--from S --to S] [--stacks PHASE]`
// A server CPU profile (node --cpu-prof, as `npm run bench -- --cpu-prof --keep` writes it) summarised by PHASE —
// which part of Loa or of the broker the time was spent for (authentication, ACL, persistence, presence, timeline…) —
// and by KIND — what the CPU was doing there (zod, JSON, SQLite, TypeORM, signing, logging, mqtt-packet, GC…).
// Self time of functions says where the CPU was; it does not say for whom: zod's time belongs to whichever
// handler parsed. Here each sample is charged to the innermost frame of its stack that names a phase.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

type Rule = [phase: string, url: RegExp, fn?: RegExp];

/**
 * Checked from the sample's leaf towards the root; the first frame that matches any rule names the phase (rules in
 * order for each frame). Loa's own files are specific; the broker's internals come after, so Loa work inside an aedes
 * hook is charged to the hook's phase.
 */
const PHASES: Rule[] = [
  ['auth (login)', /\/server\/dist\/(device-auth|broker-auth)\//],
  ['auth (login)', /\/server\/dist\/broker\/embedded-broker\.js/, /^authenticate$/],
  ['ACL (publish/subscribe)', /\/server\/dist\/broker\/embedded-broker\.js/, /^authorize(Publish|Subscribe)$/],
  ['ACL (publish/subscribe)', /\/shared\/dist\/.*(acl|topics)/i, /mayDevice|parse(Area|Device)Topic|topicAcl/],
  ['persistence (subscriptions, retained)', /\/server\/dist\/broker\/indexed-persistence\.js/],
  ['persistence (subscriptions, retained)', /node_modules\/aedes-persistence\//],
  ['presence', /\/server\/dist\/devices\/(presence|devices\.service|devices\.repository|devices\.mqtt)/],
  ['timeline (compile, store)', /\/server\/dist\/(timelines|planning|schedules)\//],
  ['timeline (compile, store)', /\/shared\/dist\/.*timeline/],
  ['signing', /\/server\/dist\/signing\//],
  ['signing', /\/shared\/dist\/.*sign/],
  ['device gateway (publish to devices)', /\/server\/dist\/device-gateway\//],
  ['alerts', /\/server\/dist\/alerts\//],
  ['alarms', /\/server\/dist\/alarms\//],
  ['telemetry', /\/server\/dist\/telemetry\//],
  ['commands', /\/server\/dist\/commands\//],
  ['deliveries / reports', /\/server\/dist\/(deliveries|events-ingestion)\//],
  ['live events (dashboard)', /\/server\/dist\/events\//],
  ['fan-out jobs', /\/server\/dist\/fanouts\//],
  ['audit', /\/server\/dist\/audit\//],
  ['HTTP (REST, health)', /\/server\/dist\/(health|.*\.controller\.js)/],
  ['HTTP (REST, health)', /node_modules\/(express|@nestjs\/platform-express|body-parser|router)\//],
  ['device message routing (parse, validate)', /\/server\/dist\/broker\/(device-message-router|in-flight-handlers)\.js/],
  ['logging', /node_modules\/(pino|pino-std-serializers|sonic-boom|thread-stream)\//],
  ['logging', /\/server\/dist\/logging\//],
  ['aedes: connect/session', /node_modules\/aedes\/lib\/(handlers\/connect|client)\.js/, /connect|Connect|init|Client|_keepalive|setKeepalive|handleConnect/],
  ['aedes: subscribe', /node_modules\/aedes\/lib\/handlers\/(subscribe|unsubscribe)\.js/],
  ['aedes: publish in', /node_modules\/aedes\/lib\/handlers\/(publish|puback|pubrec|pubrel|pubcomp)\.js/],
  ['aedes: deliver out', /node_modules\/aedes\/lib\/(client|write)\.js/],
  ['aedes: routing (mqemitter)', /node_modules\/(mqemitter|qlobber)\//],
  ['aedes: routing (mqemitter)', /\/server\/dist\/broker\/exact-topic-matcher\.js/],
  ['aedes: other', /node_modules\/aedes\//],
  ['MQTT packets (parse, generate)', /node_modules\/(mqtt-packet|bl|readable-stream)\//],
  ['database (other callers)', /node_modules\/(typeorm|better-sqlite3|pg)\//],
  ['database (other callers)', /\/server\/dist\/database\//],
];

/** What the leaf frame was doing, whoever it did it for. */
const KINDS: Rule[] = [
  ['zod', /node_modules\/zod\//],
  ['JSON', /^$/, /^JSON\.|^(parse|stringify)$/],
  ['SQLite (native)', /node_modules\/better-sqlite3\//],
  ['SQLite (native)', /^$/, /^(run|all|get|prepare|exec|iterate|raw)$/],
  ['TypeORM', /node_modules\/typeorm\//],
  ['pg', /node_modules\/pg(-protocol)?\//],
  ['crypto', /^node:internal\/crypto|^node:crypto/],
  ['crypto', /^$/, /^(sign|verify|Sign|Verify|timingSafeEqual|pbkdf2|scrypt|createHash|digest|update)$/],
  ['pino', /node_modules\/(pino|sonic-boom|thread-stream|pino-std-serializers)\//],
  ['mqtt-packet', /node_modules\/(mqtt-packet|bl)\//],
  ['aedes', /node_modules\/(aedes|aedes-persistence|mqemitter|qlobber|fastfall|fastparallel|fastseries|reusify|hyperid)\//],
  ['streams', /^node:internal\/streams|node_modules\/readable-stream\//],
  ['net/tls', /^node:(net|tls|internal\/(net|tls|stream_base_commons))/],
  ['timers/promises', /^node:internal\/(timers|process\/task_queues)/],
  ['events', /^node:(events|internal\/events)/],
  ['nest', /node_modules\/@nestjs\//],
  ['Loa', /\/(server|shared|agent)\/dist\//],
  ['node (other)', /^node:/],
];

const SPECIAL = new Set(['(garbage collector)', '(program)', '(idle)', '(root)']);

function classify(rules: Rule[], frame: CpuProfileNode['callFrame']): string | null {
  for (const [name, url, fn] of rules) {
    if (!url.test(frame.url)) continue;
    if (fn && !fn.test(frame.functionName)) continue;
    return name;
  }
  return null;
}

export interface PhaseRow {
  phase: string;
  cpuS: number;
  pct: number;
  kinds: Array<{ kind: string; cpuS: number }>;
}

export interface PhaseSummary {
  /** Busy CPU seconds in the window (idle excluded). */
  busyS: number;
  windowS: number;
  rows: PhaseRow[];
  /** For --stacks: the heaviest call paths (leaf last) charged to one phase. */
  stacks?: Array<{ cpuS: number; path: string }>;
  /** Busy CPU per second of the profile with its heaviest phase, to find a scenario's window. */
  seconds?: Array<{ at: number; busyS: number; top: string }>;
}

const short = (f: CpuProfileNode['callFrame']) => {
  const url = f.url.replace(/^file:\/\//, '').replace(/^.*node_modules\//, '').replace(/^.*\/(server|shared|agent)\/dist\//, '$1/');
  return `${f.functionName || '(anon)'}${url ? ` ${url}:${f.lineNumber + 1}` : ''}`;
};

/**
 * Summarises [fromS, toS) of the profile (seconds from its start) by phase and kind. `stacksOf`: also the heaviest
 * call paths charged to that phase.
 */
export function summariseByPhase(file: string, opts: { fromS?: number; toS?: number; stacksOf?: string; depth?: number } = {}): PhaseSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const phaseOf = new Map<number, string>();
  const kindOf = new Map<number, string>();
  const phaseFor = (id: number): string => {
    const known = phaseOf.get(id);
    if (known !== undefined) return known;
    const n = byId.get(id);
    let phase: string;
    if (!n) phase = 'unknown';
    else if (SPECIAL.has(n.callFrame.functionName)) phase = n.callFrame.functionName;
    else {
      const own = classify(PHASES, n.callFrame);
      const up = parent.get(id);
      phase = own ?? (up === undefined ? 'other (no phase on the stack)' : phaseFor(up));
      if (phase === '(root)') phase = 'other (no phase on the stack)';
    }
    phaseOf.set(id, phase);
    return phase;
  };
  const kindFor = (id: number): string => {
    const known = kindOf.get(id);
    if (known !== undefined) return known;
    const n = byId.get(id);
    const kind = !n ? 'unknown' : SPECIAL.has(n.callFrame.functionName) ? n.callFrame.functionName : (classify(KINDS, n.callFrame) ?? (n.callFrame.url ? 'other' : `native ${n.callFrame.functionName}`));
    kindOf.set(id, kind);
    return kind;
  };
  const from = (opts.fromS ?? 0) * 1e6;
  const to = (opts.toS ?? Number.POSITIVE_INFINITY) * 1e6;
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  const cells = new Map<string, Map<string, number>>();
  const perSecond = new Map<number, Map<string, number>>();
  const stacks = new Map<string, number>();
  let t = 0;
  let busy = 0;
  for (let i = 0; i < samples.length; i++) {
    // A sample's delta is the time since the previous one: the time up to this sample is charged to it.
    const d = deltas[i] ?? 0;
    t += d;
    if (t < from || t >= to) continue;
    const id = samples[i] ?? 0;
    const phase = phaseFor(id);
    if (phase === '(idle)') continue;
    busy += d;
    const sec = Math.floor(t / 1e6);
    const bucket = perSecond.get(sec) ?? new Map<string, number>();
    bucket.set(phase, (bucket.get(phase) ?? 0) + d);
    perSecond.set(sec, bucket);
    const kind = kindFor(id);
    const row = cells.get(phase) ?? new Map<string, number>();
    row.set(kind, (row.get(kind) ?? 0) + d);
    cells.set(phase, row);
    if (opts.stacksOf !== undefined && phase === opts.stacksOf) {
      const path: string[] = [];
      for (let at: number | undefined = id; at !== undefined && path.length < (opts.depth ?? 8); at = parent.get(at)) {
        const n = byId.get(at);
        if (n) path.unshift(short(n.callFrame));
      }
      const key = path.join(' > ');
      stacks.set(key, (stacks.get(key) ?? 0) + d);
    }
  }
  const s = (us: number) => Math.round(us / 1e4) / 100;
  const rows: PhaseRow[] = [...cells.entries()]
    .map(([phase, kinds]) => {
      const total = [...kinds.values()].reduce((a, b) => a + b, 0);
      return {
        phase,
        cpuS: s(total),
        pct: Math.round((total / Math.max(1, busy)) * 1000) / 10,
        kinds: [...kinds.entries()].sort((a, b) => b[1] - a[1]).map(([kind, us]) => ({ kind, cpuS: s(us) })),
      };
    })
    .sort((a, b) => b.cpuS - a.cpuS);
  const out: PhaseSummary = { busyS: s(busy), windowS: s(Math.min(to, t) - from), rows };
  out.seconds = [...perSecond.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([at, m]) => ({ at, busyS: s([...m.values()].reduce((a, b) => a + b, 0)), top: [...m.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '' }));
  if (opts.stacksOf !== undefined)
    out.stacks = [...stacks.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, 25)
      .map(([path, us]) => ({ cpuS: s(us), path }));
  return out;
}

export function formatPhaseSummary(sum: PhaseSummary, kindsPerRow = 5, perSecond = false): string {
  const lines = [`busy CPU ${sum.busyS} s over ${sum.windowS} s`, ''];
  if (perSecond) for (const x of sum.seconds ?? []) if (x.busyS >= 0.05) lines.push(`  t=${String(x.at).padStart(4)} s  busy ${x.busyS.toFixed(2)}  ${x.top}`);
  const width = Math.max(...sum.rows.map((r) => r.phase.length), 5);
  for (const r of sum.rows) {
    const kinds = r.kinds
      .slice(0, kindsPerRow)
      .map((k) => `${k.kind} ${k.cpuS}`)
      .join(', ');
    lines.push(`${r.phase.padEnd(width)}  ${String(r.cpuS).padStart(7)} s ${String(r.pct).padStart(5)}%   ${kinds}`);
  }
  for (const st of sum.stacks ?? []) lines.push(`${String(st.cpuS).padStart(7)} s  ${st.path}`);
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = process.argv.slice(2);
  const file = args.find((a) => !a.startsWith('--') && !/^\d/.test(a));
  const opt = (name: string) => {
    const at = args.indexOf(`--${name}`);
    return at >= 0 ? args[at + 1] : undefined;
  };
  if (!file) {
    process.stderr.write('usage: profile-summary FILE.cpuprofile [--from S] [--to S] [--stacks PHASE] [--depth N] [--seconds]\n');
    process.exit(2);
  }
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const stacksOf = opt('stacks');
  const sum = summariseByPhase(file, { fromS: num(opt('from')), toS: num(opt('to')), ...(stacksOf !== undefined ? { stacksOf } : {}), depth: num(opt('depth')) ?? 8 });
  process.stdout.write(`${formatPhaseSummary(sum, 5, args.includes('--seconds'))}\n`);
}
