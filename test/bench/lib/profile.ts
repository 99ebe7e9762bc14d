import { readFileSync } from 'node:fs';
import { summariseByPhase, type PhaseRow } from './profile-summary.js';

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: CpuProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileSummary {
  totalS: number;
  idlePct: number;
  gcPct: number;
  topFunctions: { pct: number; selfS: number; fn: string; where: string }[];
  byModule: { pct: number; selfS: number; module: string }[];
  /** The whole run by phase (auth, ACL, persistence, presence, timeline…; see profile-summary.ts): in the JSON. */
  byPhase: PhaseRow[];
}

/** Where a frame's code lives: a package name, a Loa workspace file, or node internals. */
function moduleOf(url: string): string {
  if (!url) return '(native/vm)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1] ?? ''}` : (rest[0] ?? url);
  }
  if (url.startsWith('node:')) return 'node:internal';
  const m = /\/(server|agent|shared)\/dist\/(.*)$/.exec(url);
  if (m) return `loa/${m[1]}/${m[2]}`;
  return url.replace(/^file:\/\//, '');
}

/** Self time per function and per module from a V8 .cpuprofile (as written by node --cpu-prof). */
export function summariseProfile(file: string, top = 25): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i] ?? 0;
    self.set(id, (self.get(id) ?? 0) + (deltas[i] ?? 0));
  }
  const totalUs = Math.max(1, p.endTime - p.startTime);
  const fns = new Map<string, { us: number; fn: string; where: string }>();
  const mods = new Map<string, number>();
  let idle = 0;
  let gc = 0;
  for (const [id, us] of self) {
    const n = byId.get(id);
    if (!n) continue;
    const name = n.callFrame.functionName || '(anonymous)';
    if (name === '(idle)') {
      idle += us;
      continue;
    }
    if (name === '(garbage collector)') gc += us;
    const where = n.callFrame.url ? `${moduleOf(n.callFrame.url)}:${n.callFrame.lineNumber + 1}` : '';
    const key = `${name}@${where}`;
    const f = fns.get(key) ?? { us: 0, fn: name, where };
    f.us += us;
    fns.set(key, f);
    const mod = name.startsWith('(') ? name : moduleOf(n.callFrame.url).replace(/^loa\/(server|agent|shared)\/.*$/, 'loa/$1');
    mods.set(mod, (mods.get(mod) ?? 0) + us);
  }
  const pct = (us: number) => Math.round((us / totalUs) * 1000) / 10;
  return {
    totalS: Math.round(totalUs / 1e4) / 100,
    idlePct: pct(idle),
    gcPct: pct(gc),
    topFunctions: [...fns.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({ pct: pct(f.us), selfS: Math.round(f.us / 1e4) / 100, fn: f.fn, where: f.where })),
    byModule: [...mods.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([module, us]) => ({ pct: pct(us), selfS: Math.round(us / 1e4) / 100, module })),
    byPhase: summariseByPhase(file).rows,
  };
}
