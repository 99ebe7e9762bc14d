import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { within } from './wait.js';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * A child process whose stdout and stderr go straight to files (test-artifacts/…/<name>.stdout.log and
 * .stderr.log), so the logs survive a crashed test run and can be read while the process is running.
 */
export class ManagedProcess {
  readonly child: ChildProcess;
  readonly stdoutPath: string;
  readonly stderrPath: string;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ExitInfo>;
  private exitInfo: ExitInfo | null = null;
  private killedHard = false;
  /** Start order: teardown stops the newest first. */
  readonly seq = ++sequence;
  /** Stopped before the others at teardown (agents, so they leave cleanly before the server they talk to goes). */
  readonly stopFirst: boolean;

  constructor(
    readonly name: string,
    command: string,
    args: readonly string[],
    opts: { env: NodeJS.ProcessEnv; logDir: string; cwd?: string; stopFirst?: boolean },
  ) {
    this.stopFirst = opts.stopFirst ?? false;
    this.stdoutPath = path.join(opts.logDir, `${name}.stdout.log`);
    this.stderrPath = path.join(opts.logDir, `${name}.stderr.log`);
    const out = openSync(this.stdoutPath, 'w');
    const err = openSync(this.stderrPath, 'w');
    try {
      this.child = spawn(command, [...args], { env: opts.env, cwd: opts.cwd, stdio: ['ignore', out, err] });
    } finally {
      // The child holds its own copies of the descriptors.
      closeSync(out);
      closeSync(err);
    }
    this.exited = new Promise<ExitInfo>((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        running.delete(this);
        note(this.stderrPath, `[e2e] ${name} exited: code=${code} signal=${signal}${this.killedHard ? ' (SIGKILL after the grace period)' : ''}`);
        resolve(this.exitInfo);
      });
      this.child.once('error', () => {
        // spawn failure: 'exit' may never come
        this.exitInfo ??= { code: -1, signal: null };
        running.delete(this);
        resolve(this.exitInfo);
      });
    });
    running.add(this);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Null while running. */
  get exit(): ExitInfo | null {
    return this.exitInfo;
  }

  stdout(): string {
    return readOr(this.stdoutPath);
  }

  stderr(): string {
    return readOr(this.stderrPath);
  }

  /** The last lines of both logs, for error messages. */
  tail(lines = 30): string {
    const cut = (s: string) => s.trimEnd().split('\n').slice(-lines).join('\n');
    return `--- ${this.name} stderr (${this.stderrPath}) ---\n${cut(this.stderr())}\n--- ${this.name} stdout (${this.stdoutPath}) ---\n${cut(this.stdout())}`;
  }

  /** Asks politely (SIGTERM by default), then SIGKILLs after `graceMs`. Safe to call twice or after exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', graceMs = 8000): Promise<ExitInfo> {
    if (this.exitInfo) return this.exitInfo;
    this.child.kill(signal);
    const r = await within(this.exited, graceMs);
    if (r) return r;
    this.killedHard = true;
    this.child.kill('SIGKILL');
    return this.exited;
  }
}

let sequence = 0;
const running = new Set<ManagedProcess>();

/**
 * Stops every process started by this test file that is still running: agents first, then the rest, newest first
 * (so agents shut down cleanly while their server is still there). Call from afterAll; safe to call more than once.
 */
export async function stopAll(): Promise<void> {
  const order = [...running].sort((a, b) => Number(b.stopFirst) - Number(a.stopFirst) || b.seq - a.seq);
  for (const p of order) await p.stop();
}

function note(file: string, line: string): void {
  try {
    appendFileSync(file, `${line}\n`);
  } catch {
    /* the log is only for humans */
  }
}

// Last resort: if Jest tears the worker down without afterAll (or a test throws past it), nothing is left running.
process.once('exit', () => {
  for (const p of running) {
    try {
      p.child.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

function readOr(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
