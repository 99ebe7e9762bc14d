// Times API answers from a process of its own. Below 5,000 devices the simulated fleet runs inside the bench process:
// an answer arriving while it verifies and acks thousands of timelines would be read late, and the figure would be
// the simulator's, not the server's. The child does nothing but the request.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

interface Ask {
  id: number;
  url: string;
  method: string;
  token: string;
  body?: unknown;
}
interface Answer {
  id: number;
  status: number;
  text: string;
  ms: number;
  error?: string;
}

/** One request, timed from sending it to its whole body read. */
export interface Timed {
  status: number;
  text: string;
  ms: number;
}

export class TimedRequests {
  private nextId = 1;
  private readonly waiting = new Map<number, (a: Answer) => void>();

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (a: Answer) => {
      this.waiting.get(a.id)?.(a);
      this.waiting.delete(a.id);
    });
  }

  static start(track: (c: ChildProcess) => void): TimedRequests {
    const child = fork(fileURLToPath(import.meta.url), ['--child'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    track(child);
    return new TimedRequests(child);
  }

  async request(baseUrl: string, token: string, method: string, path: string, body?: unknown): Promise<Timed> {
    const id = this.nextId++;
    const answer = await new Promise<Answer>((resolve) => {
      this.waiting.set(id, resolve);
      this.child.send({ id, url: `${baseUrl}${path}`, method, token, ...(body === undefined ? {} : { body }) } satisfies Ask);
    });
    if (answer.error) throw new Error(`${method} ${path}: ${answer.error}`);
    return { status: answer.status, text: answer.text, ms: answer.ms };
  }

  stop(): void {
    this.child.kill('SIGTERM');
  }
}

if (process.argv.includes('--child')) {
  process.on('message', (ask: Ask) => {
    void (async () => {
      const headers: Record<string, string> = { accept: 'application/json', authorization: `Bearer ${ask.token}` };
      if (ask.body !== undefined) headers['content-type'] = 'application/json';
      const t0 = performance.now();
      try {
        const res = await fetch(ask.url, { method: ask.method, headers, ...(ask.body === undefined ? {} : { body: JSON.stringify(ask.body) }), signal: AbortSignal.timeout(300_000) });
        const text = await res.text();
        process.send?.({ id: ask.id, status: res.status, text, ms: Math.round(performance.now() - t0) } satisfies Answer);
      } catch (err) {
        process.send?.({ id: ask.id, status: 0, text: '', ms: Math.round(performance.now() - t0), error: (err as Error).message } satisfies Answer);
      }
    })();
  });
  process.on('disconnect', () => process.exit(0));
}
