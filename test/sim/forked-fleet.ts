import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Fleet } from './fleet.js';
import { mergeStats, type FleetControl, type FleetOptions, type FleetStats, type InjectEventsOptions } from './types.js';

/** Fleet options that can cross a process boundary (no injected functions). */
export type PortableFleetOptions = Omit<FleetOptions, 'connect' | 'now' | 'random'>;

/** Parent → worker messages. */
export type WorkerRequest = { type: 'init'; options: PortableFleetOptions } | { type: 'call'; id: number; method: WorkerMethod; args: unknown[] };
/** Worker → parent messages. */
export type WorkerReply = { type: 'ready' } | { type: 'result'; id: number; ok: true; value: unknown } | { type: 'result'; id: number; ok: false; error: string };
export type WorkerMethod = 'start' | 'stop' | 'stats' | 'markTimelines' | 'expectAlert' | 'alertReceipts' | 'alertStarts' | 'injectEvents' | 'resetEventWindow';

const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));

class Worker {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    child.on('message', (m: WorkerReply) => {
      if (m.type !== 'result') return;
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (m.ok) w.resolve(m.value);
      else w.reject(new Error(m.error));
    });
    this.exited = new Promise((resolve) =>
      child.once('exit', (code) => {
        for (const w of this.waiting.values()) w.reject(new Error(`simulator worker ${child.pid} exited with ${code}`));
        this.waiting.clear();
        resolve(code);
      }),
    );
  }

  call<T>(method: WorkerMethod, ...args: unknown[]): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ type: 'call', id, method, args } satisfies WorkerRequest);
    });
  }
}

/**
 * The same fleet spread over K child processes (each under its own file-descriptor limit and on its own core),
 * driven through IPC; counters are summed and alert receipts concatenated.
 */
export class ForkedFleet implements FleetControl {
  private workers: Worker[] = [];

  constructor(
    private readonly opts: PortableFleetOptions,
    readonly processes: number,
    private readonly workerScript: string = WORKER,
  ) {}

  get pids(): number[] {
    return this.workers.map((w) => w.child.pid ?? 0);
  }

  async start(): Promise<void> {
    if (this.workers.length > 0) return;
    const k = Math.max(1, Math.min(this.processes, this.opts.devices.length || 1));
    const per = Math.ceil(this.opts.devices.length / k);
    const ready: Promise<void>[] = [];
    for (let i = 0; i < k; i++) {
      const devices = this.opts.devices.slice(i * per, (i + 1) * per);
      const child = fork(this.workerScript, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
      const worker = new Worker(child);
      this.workers.push(worker);
      ready.push(
        new Promise<void>((resolve, reject) => {
          child.once('error', reject);
          child.once('exit', (code) => reject(new Error(`simulator worker exited with ${code} before it was ready`)));
          const onReady = (m: WorkerReply) => {
            if (m.type !== 'ready') return;
            child.off('message', onReady);
            resolve();
          };
          child.on('message', onReady);
          child.send({ type: 'init', options: { ...this.opts, devices } } satisfies WorkerRequest);
        }),
      );
    }
    await Promise.all(ready);
    await this.all('start');
  }

  private all<T>(method: WorkerMethod, ...args: unknown[]): Promise<T[]> {
    return Promise.all(this.workers.map((w) => w.call<T>(method, ...args)));
  }

  async stop(opts: { graceful?: boolean } = {}): Promise<void> {
    const workers = this.workers;
    this.workers = [];
    await Promise.all(
      workers.map(async (w) => {
        await w.call('stop', opts).catch(() => undefined);
        w.child.disconnect();
        const timer = setTimeout(() => w.child.kill('SIGKILL'), 10_000);
        await w.exited;
        clearTimeout(timer);
      }),
    );
  }

  async stats(): Promise<FleetStats> {
    return mergeStats(await this.all<FleetStats>('stats'));
  }

  async markTimelines(): Promise<void> {
    await this.all('markTimelines');
  }

  async expectAlert(alertId: string | null): Promise<void> {
    await this.all('expectAlert', alertId);
  }

  async alertReceipts(alertId: string): Promise<number[]> {
    return (await this.all<number[]>('alertReceipts', alertId)).flat();
  }

  async alertStarts(alertId: string): Promise<number[]> {
    return (await this.all<number[]>('alertStarts', alertId)).flat();
  }

  async injectEvents(opts: InjectEventsOptions): Promise<number> {
    return (await this.all<number>('injectEvents', opts)).reduce((a, b) => a + b, 0);
  }

  async resetEventWindow(): Promise<void> {
    await this.all('resetEventWindow');
  }
}

/** One process for small fleets (and tests), K child processes when asked. */
export function createFleet(opts: PortableFleetOptions, processes = 1): FleetControl {
  return processes > 1 ? new ForkedFleet(opts, processes) : new Fleet(opts);
}
