import { artifactsDir } from './paths.js';
import { ManagedProcess, type ExitInfo } from './processes.js';

export interface SupervisorOptions {
  suite: string;
  /** Log base name; each start gets its own pair of logs, `<name>.<n>.stdout.log`. */
  name: string;
  command: string;
  args: readonly string[];
  env: NodeJS.ProcessEnv;
  /** systemd's RestartSec (default 200 ms here; the .deb's unit waits longer). */
  restartDelayMs?: number;
}

/**
 * What systemd does for the agent's unit (`Restart=always`): starts the command again whenever it exits, whatever
 * the exit code, until told to stop. An agent updating itself exits to be restarted into the new release, and a
 * release that crashes is started again until boot.mjs rolls it back.
 */
export class Supervisor {
  /** Every start, oldest first; the last one is running unless stopped. */
  readonly runs: ManagedProcess[] = [];
  readonly exits: ExitInfo[] = [];
  private stopped = false;
  private restartTimer: NodeJS.Timeout | null = null;

  constructor(private readonly opts: SupervisorOptions) {
    this.launch();
  }

  get current(): ManagedProcess {
    const p = this.runs[this.runs.length - 1];
    if (!p) throw new Error('never started');
    return p;
  }

  /** How many times the command was started. */
  get starts(): number {
    return this.runs.length;
  }

  /** The stdout of every start so far, in order. */
  stdout(): string {
    return this.runs.map((p) => p.stdout()).join('');
  }

  /** The logs of the last start, for error messages. */
  tail(lines = 30): string {
    return this.current.tail(lines);
  }

  /** Stops supervising, then stops the running process (SIGTERM, SIGKILL after the grace). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    await this.runs[this.runs.length - 1]?.stop();
  }

  private launch(): void {
    const { opts } = this;
    const proc = new ManagedProcess(`${opts.name}.${this.runs.length + 1}`, opts.command, opts.args, { env: opts.env, logDir: artifactsDir(opts.suite), stopFirst: true });
    this.runs.push(proc);
    void proc.exited.then((exit) => {
      this.exits.push(exit);
      if (this.stopped) return;
      this.restartTimer = setTimeout(() => {
        this.restartTimer = null;
        if (!this.stopped) this.launch();
      }, opts.restartDelayMs ?? 200);
    });
  }
}
