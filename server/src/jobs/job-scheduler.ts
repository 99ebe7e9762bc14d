import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { JobLocks, jobLockName } from './job-locks.js';
import { LeaderGate } from './leader-gate.js';

/** Periodic work that must run on one instance only (the leader): a sweep, a retention purge, the horizon roll. */
export interface PeriodicJob {
  /** Unique, "<feature>.<what>": names the timer in the SchedulerRegistry, the logs, and `runNow`. */
  name: string;
  intervalMs: number;
  /** Also run once as soon as scheduled (at start-up), not only after the first interval. */
  runAtStart: boolean;
  run: () => Promise<unknown>;
}

/**
 * What one run came to: `not-leader` (another instance does this work), `busy` (the previous run is still going;
 * runs never overlap), `failed` (logged; the next tick tries again), `done`.
 */
export type JobOutcome = 'done' | 'failed' | 'not-leader' | 'busy';

interface ScheduledJob {
  job: PeriodicJob;
  running: Promise<JobOutcome> | null;
}

/**
 * Runs named periodic jobs on the leader only. Every instance keeps the timers (leadership may move), and each tick
 * asks the LeaderGate first. A tick that finds the previous run still going is skipped; a failure is logged, never
 * thrown. Timers are unref'd (they never keep the process alive) and registered in @nestjs/schedule's
 * SchedulerRegistry under the job's name.
 *
 * Leadership may move while the instances run. Gaining it runs the `runAtStart` jobs at once (the catch-up a fresh
 * start would do: the previous leader may have died long before their next tick). Losing it stops later ticks; a run
 * already going is left to finish (a job cannot be cut safely halfway). So that the new leader's run never overlaps
 * it, every run holds the JobLocks lock `job:<name>` (across instances on PostgreSQL): the new leader's tick waits for
 * the old run to end, then asks the gate again before starting.
 *
 * Stop order: JobsModule is global, and Nest runs global modules' onModuleDestroy before every feature module's,
 * so all timers stop, and runs in progress finish, before any feature drains its batchers; the database closes
 * after Nest's hooks (bootstrap.ts).
 */
@Injectable()
export class JobScheduler implements OnModuleDestroy {
  private readonly jobs = new Map<string, ScheduledJob>();
  private readonly unsubscribeGate: () => void;

  constructor(
    private readonly registry: SchedulerRegistry,
    private readonly gate: LeaderGate,
    private readonly locks: JobLocks,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {
    this.unsubscribeGate = gate.onChange((leader) => {
      if (leader) for (const scheduled of this.jobs.values()) if (scheduled.job.runAtStart) void this.tick(scheduled);
    });
  }

  /** Starts the job's timer (and its first run when `runAtStart`). A name is scheduled once. */
  schedule(job: PeriodicJob): void {
    if (this.jobs.has(job.name)) throw new Error(`job ${job.name} is already scheduled`);
    const scheduled: ScheduledJob = { job, running: null };
    this.jobs.set(job.name, scheduled);
    const timer = setInterval(() => void this.tick(scheduled), job.intervalMs);
    timer.unref();
    this.registry.addInterval(job.name, timer);
    if (job.runAtStart) void this.tick(scheduled);
  }

  /** Runs the job now, as its timer would (leader only, never overlapping); resolves when that run ends. */
  runNow(name: string): Promise<JobOutcome> {
    const scheduled = this.jobs.get(name);
    if (!scheduled) return Promise.reject(new Error(`no job named ${name} is scheduled`));
    return this.tick(scheduled);
  }

  /** Names of the jobs scheduled, in the order they were. */
  names(): string[] {
    return [...this.jobs.keys()];
  }

  /** Stops every timer, then waits for the runs in progress. */
  async onModuleDestroy(): Promise<void> {
    this.unsubscribeGate();
    const running: Array<Promise<JobOutcome>> = [];
    for (const [name, scheduled] of this.jobs) {
      if (this.registry.doesExist('interval', name)) this.registry.deleteInterval(name);
      if (scheduled.running) running.push(scheduled.running);
    }
    this.jobs.clear();
    await Promise.all(running);
  }

  private tick(scheduled: ScheduledJob): Promise<JobOutcome> {
    if (!this.gate.isLeader()) return Promise.resolve('not-leader');
    if (scheduled.running) return Promise.resolve('busy');
    // Called synchronously: the run has started when schedule() or a timer tick returns.
    const run = this.execute(scheduled.job).finally(() => (scheduled.running = null));
    scheduled.running = run;
    return run;
  }

  private async execute(job: PeriodicJob): Promise<JobOutcome> {
    try {
      return await this.locks.run(jobLockName(job.name), async (): Promise<JobOutcome> => {
        // The lock may have been awaited while another instance ran the job, long enough for leadership to move.
        if (!this.gate.isLeader()) return 'not-leader';
        await job.run();
        return 'done';
      });
    } catch (err) {
      this.logger.error({ ctx: 'jobs', job: job.name, err: (err as Error).message }, 'periodic job failed');
      return 'failed';
    }
  }
}
