import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Issue 20: promtool and the Prometheus text format, for the metrics and monitoring specs. */
const PROMTOOL = '/usr/bin/promtool';

/** promtool from Debian's prometheus package; the suite fails (never skips) without it. */
export function requirePromtool(): string {
  if (!existsSync(PROMTOOL)) throw new Error(`${PROMTOOL} is missing: install Debian's "prometheus" package (apt-get install prometheus)`);
  return PROMTOOL;
}

/** Runs promtool with `input` on stdin; resolves with its exit code and output. */
export function promtool(args: string[], input?: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(requirePromtool(), args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, out }));
    child.stdin.end(input ?? '');
  });
}

/** One sample's value from the exposition text, by name and exact label set; undefined when absent. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got: Record<string, string> = {};
    for (const l of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) got[l[1]!] = l[2]!;
    const want = Object.entries(labels);
    if (want.length === Object.keys(got).length && want.every(([k, v]) => got[k] === v)) return Number(m[4]);
  }
  return undefined;
}

