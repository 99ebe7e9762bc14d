import { NotFoundException } from '@nestjs/common';
import { TestDomainEvents } from '../../test/support/domain-events.js';
import { memoryFanouts } from '../../test/support/fanouts.js';
import { FixedClock } from '../../test/support/fixtures.js';
import type { UserPrincipal } from '../auth/principal.js';
import { LEASE_MS, MAX_ATTEMPTS, type FanoutHandler, type FanoutRun } from './fanout-jobs.js';

const NOW = 1_000_000;
const admin: UserPrincipal = { type: 'user', userId: 'u-1', username: 'admin', role: 'admin', areaCode: null };

function setup() {
  const clock = new FixedClock(NOW);
  const events = new TestDomainEvents();
  const { fanouts, rows } = memoryFanouts(clock, events);
  const add = (ref = 'cmd-1', total = 3) => fanouts.add({ kind: 'command', ref, total, areaCode: '01', createdBy: 'u-1' });
  return { clock, events, fanouts, rows, add };
}

/** A handler whose runs the test drives: each run waits for `release`, then does `step`. */
function handler(step: (run: FanoutRun) => Promise<void>, readable: (ref: string) => boolean = () => true) {
  const runs: string[] = [];
  const h: FanoutHandler = {
    run: async (run) => {
      runs.push(run.job.id);
      await step(run);
    },
    checkReadable: async (_user, ref) => {
      if (!readable(ref)) throw new NotFoundException(`command ${ref} not found`);
    },
  };
  return { h, runs };
}

describe('FanoutJobs', () => {
  it('runs a job after the save answered, writes and announces its progress, and ends it done', async () => {
    const { fanouts, rows, events, add } = setup();
    const { h } = handler(async (run) => {
      run.phase('sending');
      run.advance(2, 1);
      run.advance(1);
    });
    fanouts.register('command', h);
    const job = await add();
    const answered = fanouts.start(job);
    // The answer carries the job as it was accepted; nothing ran yet (the run waits for the answer to go out).
    expect(answered).toMatchObject({ id: job.id, kind: 'command', ref: 'cmd-1', state: 'queued', total: 3, done: 0 });
    expect(await fanouts.settled(job.id)).toMatchObject({ state: 'done', total: 3, done: 3, deferred: 1, error: null });
    expect(rows.get(job.id)).toMatchObject({ state: 'done', done: 3, deferred: 1, leaseUntil: null, finishedAt: NOW });
    const announced = events.payloads('fanout.changed');
    expect(announced.map((e) => e.job.state)).toEqual(['queued', 'sending', 'done']);
    expect(announced.every((e) => e.areaCode === '01')).toBe(true);
    expect(await fanouts.get(job.id, admin)).toMatchObject({ state: 'done', done: 3 });
  });

  it('is read only by who may read its resource (404 otherwise, as for an unknown job)', async () => {
    const { fanouts, add } = setup();
    fanouts.register('command', handler(async () => undefined, (ref) => ref !== 'secret').h);
    const hidden = await add('secret');
    await expect(fanouts.get(hidden.id, admin)).rejects.toThrow(NotFoundException);
    await expect(fanouts.get('00000000-0000-4000-8000-000000000000', admin)).rejects.toThrow(NotFoundException);
  });

  it('retries a failed run once its lease lapses, and marks the job failed after the last attempt', async () => {
    const { fanouts, rows, clock, add } = setup();
    let failures = 1;
    fanouts.register(
      'command',
      handler(async (run) => {
        if (failures-- > 0) throw new Error('database gone');
        run.advance(3);
      }).h,
    );
    const job = await add();
    fanouts.start(job);
    expect(await fanouts.settled(job.id)).toMatchObject({ state: 'queued', error: 'database gone' });
    clock.t += 1;
    expect(await fanouts.resume()).toBe(1);
    await fanouts.idle();
    expect(rows.get(job.id)).toMatchObject({ state: 'done', attempts: 2, error: null });

    const { fanouts: f2, rows: rows2, clock: clock2, add: add2 } = setup();
    f2.register('command', handler(async () => Promise.reject(new Error('always'))).h);
    const doomed = await add2();
    f2.start(doomed);
    for (let i = 1; i < MAX_ATTEMPTS; i++) {
      await f2.idle();
      clock2.t += 1;
      expect(await f2.resume()).toBe(1);
    }
    await f2.idle();
    clock2.t += 1;
    expect(await f2.resume()).toBe(0);
    expect(rows2.get(doomed.id)).toMatchObject({ state: 'failed', error: 'always', attempts: MAX_ATTEMPTS });
  });

  it('takes up a job whose process died once its lease lapsed, never one still leased, and never twice at once', async () => {
    const { fanouts, clock, add } = setup();
    const { h, runs } = handler(async (run) => run.advance(3));
    fanouts.register('command', h);
    // Stored by a process that died before running it: this one does not start it.
    const orphan = await add();
    expect(await fanouts.resume()).toBe(0);
    clock.t += LEASE_MS + 1;
    expect(await fanouts.resume()).toBe(1);
    expect(await fanouts.resume()).toBe(0);
    await fanouts.idle();
    expect(runs).toEqual([orphan.id]);
    expect(await fanouts.settled(orphan.id)).toMatchObject({ state: 'done', done: 3 });
  });

  it('stops runs at their next step when the server stops, leaving the job open for the next start', async () => {
    const { fanouts, rows, clock, add } = setup();
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const running = new Promise<void>((resolve) => (started = resolve));
    let reached = false;
    fanouts.register(
      'command',
      handler(async (run) => {
        run.advance(1);
        started();
        await held;
        run.checkpoint();
        reached = true;
      }).h,
    );
    const job = await add();
    fanouts.start(job);
    await running;
    const stopping = fanouts.onModuleDestroy();
    release();
    await stopping;
    expect(reached).toBe(false);
    // The lease is given up: the next start takes the job up at once, not once a lease would have lapsed.
    expect(rows.get(job.id)).toMatchObject({ state: 'queued', done: 1, finishedAt: null, leaseUntil: NOW });
    // Nothing starts here while stopped; the next process (same table) takes it up and runs it to the end.
    clock.t += 1;
    expect(await fanouts.resume()).toBe(0);
    const next = memoryFanouts(clock, new TestDomainEvents(), rows).fanouts;
    next.register('command', handler(async (run) => run.advance(3)).h);
    expect(await next.resume()).toBe(1);
    await next.idle();
    expect(rows.get(job.id)).toMatchObject({ state: 'done', done: 3, attempts: 2 });
  });
});
