// Child-process entry of ForkedFleet: one Fleet, driven over IPC.
import { Fleet } from './fleet.js';
import type { WorkerReply, WorkerRequest } from './forked-fleet.js';

let fleet: Fleet | null = null;

const reply = (m: WorkerReply): void => {
  if (process.connected) process.send?.(m);
};

process.on('message', (m: WorkerRequest) => {
  if (m.type === 'init') {
    fleet = new Fleet(m.options);
    reply({ type: 'ready' });
    return;
  }
  const f = fleet;
  if (!f) {
    reply({ type: 'result', id: m.id, ok: false, error: 'worker not initialised' });
    return;
  }
  const fn = (f[m.method] as (...a: unknown[]) => Promise<unknown>).bind(f);
  fn(...m.args).then(
    (value) => reply({ type: 'result', id: m.id, ok: true, value }),
    (err: unknown) => reply({ type: 'result', id: m.id, ok: false, error: err instanceof Error ? err.message : String(err) }),
  );
});

// The parent went away: leave at once (the broker publishes the last wills).
process.on('disconnect', () => {
  void fleet?.stop().finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 5000).unref();
});
