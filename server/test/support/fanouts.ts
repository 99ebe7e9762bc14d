import type { DataSource } from 'typeorm';
import type { FanoutView } from '@loa/shared/rest';
import type { Clock } from '../../src/common/clock.js';
import type { DomainEvents } from '../../src/domain-events/domain-events.js';
import { FanoutJobs } from '../../src/fanouts/fanout-jobs.js';
import type { FanoutEntity } from '../../src/fanouts/fanout.entity.js';
import { FanoutsRepository } from '../../src/fanouts/fanouts.repository.js';
import { TestDomainEvents } from './domain-events.js';
import { silentLogger } from './fixtures.js';

/** Fan-out jobs over a test database, as Nest wires them (handlers register themselves, or the test does). */
export function testFanouts(ds: DataSource, clock: Clock, events: DomainEvents = new TestDomainEvents()): FanoutJobs {
  return new FanoutJobs(new FanoutsRepository(ds), clock, events, silentLogger);
}

/**
 * Fan-out jobs over an in-memory table, for unit tests with fakes (no area scoping: `commonArea` is null). Pass the
 * `rows` of another to have a second process over the same table.
 */
export function memoryFanouts(clock: Clock, events: DomainEvents = new TestDomainEvents(), rows = new Map<string, FanoutEntity>()): { fanouts: FanoutJobs; rows: Map<string, FanoutEntity> } {
  const repo = {
    insert: async (job: FanoutEntity) => void rows.set(job.id, { ...job }),
    find: async (id: string) => (rows.has(id) ? { ...rows.get(id)! } : null),
    update: async (id: string, patch: Partial<FanoutEntity>) => void Object.assign(rows.get(id)!, patch),
    lapsed: async (now: number) => [...rows.values()].filter((r) => !['done', 'failed'].includes(r.state) && (r.leaseUntil ?? 0) < now).map((r) => ({ ...r })),
    takeOver: async (id: string, seen: number | null, leaseUntil: number) => {
      const r = rows.get(id);
      if (!r || r.leaseUntil !== seen) return false;
      Object.assign(r, { leaseUntil, attempts: r.attempts + 1 });
      return true;
    },
    openRefs: async (kind: string, states: readonly string[]) => [...rows.values()].filter((r) => r.kind === kind && states.includes(r.state)).map((r) => r.ref),
    commonArea: async () => null,
  } as unknown as FanoutsRepository;
  return { fanouts: new FanoutJobs(repo, clock, events, silentLogger), rows };
}

/**
 * A save's answer once its background fan-out has run: what a test waits on instead of assuming the devices have it
 * when the save answers. Answers without a job (dry run, held for approval) come back as they are.
 */
export async function settled<T>(fanouts: FanoutJobs, answer: T | Promise<T>): Promise<T> {
  const r = await answer;
  const job = (r as { fanout?: FanoutView | null } | null)?.fanout;
  if (job) {
    const done = await fanouts.settled(job.id);
    if (done.state !== 'done') throw new Error(`fan-out ${job.id} ended ${done.state}: ${done.error ?? ''}`);
  }
  return r;
}

type Api = <T>(method: string, url: string, body?: unknown) => Promise<{ status: number; body: T }>;

/**
 * Over HTTP: reads GET /api/v1/fanouts/:id until the job has ended, and returns it (what a dashboard does when its
 * live stream is down). Bounded: a job that never ends fails the test with its last state.
 */
export async function fanoutDone(api: Api, id: string, timeoutMs = 30_000): Promise<FanoutView> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const r = await api<FanoutView>('GET', `/api/v1/fanouts/${id}`);
    if (r.status !== 200) throw new Error(`GET /api/v1/fanouts/${id} answered ${r.status}`);
    if (r.body.state === 'done') return r.body;
    if (r.body.state === 'failed' || performance.now() > deadline) throw new Error(`fan-out ${id} did not finish: ${JSON.stringify(r.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
