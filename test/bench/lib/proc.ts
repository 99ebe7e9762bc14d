import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let clkTck = 0;
function ticksPerSecond(): number {
  if (clkTck === 0) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

export interface ProcSample {
  at: number;
  /** CPU seconds (user + system) used so far. */
  cpuS: number;
  rssBytes: number;
  /** Peak RSS over the process' life (VmHWM). */
  hwmBytes: number;
}

/** Reads /proc/<pid>/stat and status (Linux); null when the process is gone. */
export function sampleProc(pid: number): ProcSample | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { at: Date.now(), cpuS: (utime + stime) / ticksPerSecond(), rssBytes: kb('VmRSS'), hwmBytes: kb('VmHWM') };
  } catch {
    return null;
  }
}

/** CPU and memory of one process over a scenario: sampled at each poll, summarised at the end. */
export class ProcMeter {
  private first: ProcSample | null;
  private last: ProcSample | null;
  private maxRss = 0;

  constructor(readonly pid: number) {
    this.first = sampleProc(pid);
    this.last = this.first;
    this.maxRss = this.first?.rssBytes ?? 0;
  }

  sample(): void {
    const s = sampleProc(this.pid);
    if (!s) return;
    this.last = s;
    this.maxRss = Math.max(this.maxRss, s.rssBytes);
  }

  result(): { cpuS: number; cpuPct: number; rssMB: number; peakRssMB: number } {
    this.sample();
    const a = this.first;
    const b = this.last;
    const cpuS = a && b ? b.cpuS - a.cpuS : 0;
    const wallS = a && b ? Math.max(0.001, (b.at - a.at) / 1000) : 1;
    return { cpuS: round(cpuS, 2), cpuPct: round((cpuS / wallS) * 100, 0), rssMB: round((b?.rssBytes ?? 0) / 1048576, 0), peakRssMB: round(this.maxRss / 1048576, 0) };
  }
}

export const round = (n: number, digits = 0): number => {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
};

/** Nearest-rank percentile of a sorted array (0 for an empty one). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? 0;
}
