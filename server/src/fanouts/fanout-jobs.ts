import { Inject, Injectable, NotFoundException, type OnModuleDestroy } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import type { FanoutKind, FanoutState, FanoutView } from '@loa/shared/rest';
import type { UserPrincipal } from '../auth/principal.js';
import { Clock } from '../common/clock.js';
import { newId } from '../common/ids.js';
import { DomainEvents, type DomainEventMap } from '../domain-events/domain-events.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import type { FanoutEntity } from './fanout.entity.js';
import { FanoutsRepository } from './fanouts.repository.js';
import { notFound } from '../common/loa-error.js';

/** A run holds its job this long past its last sign of life; a lapsed lease means its process died. */
export const LEASE_MS = 30_000;
/** Runs of one job before it is marked failed (a crash during a run counts as one). */
export const MAX_ATTEMPTS = 3;
/** A run starts this long after its save, once the save's answer has left. */
const START_DELAY_MS = 25;
/** How long a stopping server waits for the fan-out steps in flight (each is one batch of devices). */
const STOP_WAIT_MS = 10_000;
/** Progress is written and announced at most this often (and at every change of state). */
const PROGRESS_EVERY_MS = 250;

export interface FanoutRequest {
  kind: FanoutKind;
  ref: string;
  /** Devices the job is expected to reach (the run may correct it). */
  total: number;
  createdBy: string;
  /** The subtree holding every device reached (live progress goes to the users who see it); null for none. */
  areaCode: string | null;
  params?: Record<string, unknown> | undefined;
}

/** What a handler's run sees of its job, and how it reports. */
export interface FanoutRun {
  readonly job: Readonly<FanoutEntity>;
  /** The server is stopping: the run should stop at its next step (FanoutStopped); the next start takes it up again. */
  readonly stopping: boolean;
  /** Throws FanoutStopped when the server is stopping. */
  checkpoint(): void;
  phase(state: 'materialising' | 'sending'): void;
  setTotal(total: number): void;
  /** `done` more devices handled, `deferred` of them offline (they get it when they connect). */
  advance(done: number, deferred?: number): void;
  /**
   * Inside the transaction committing the work it describes: the job's state (and the devices still to send to)
   * commit with it, so a run resumed after a crash knows where it was.
   */
  record(patch: { state?: 'materialising' | 'sending'; total?: number; devices?: string[] | null }): Promise<void>;
}

/** A feature's fan-out: how to run (and re-run) a job of its kind, and who may read it. */
export interface FanoutHandler {
  /** Idempotent: a run may be repeated after a crash, from the start or from what `record` committed. */
  run(run: FanoutRun): Promise<void>;
  /** Throws NotFoundException when the user may not read the resource `ref` (the job is scoped like it). */
  checkReadable(user: UserPrincipal, ref: string): Promise<void>;
}

/** Thrown by FanoutRun.checkpoint: the run stops where it is and is resumed at the next start. */
export class FanoutStopped extends Error {
  constructor() {
    super('server stopping');
  }
}

export const fanoutView = (j: FanoutEntity): FanoutView => ({
  id: j.id,
  kind: j.kind,
  ref: j.ref,
  state: j.state,
  total: j.total,
  done: Math.min(j.done, j.total),
  deferred: j.deferred,
  error: j.error,
  createdAt: new Date(j.createdAt).toISOString(),
  updatedAt: new Date(j.updatedAt).toISOString(),
  finishedAt: j.finishedAt === null ? null : new Date(j.finishedAt).toISOString(),
});

const FINAL: ReadonlySet<FanoutState> = new Set(['done', 'failed']);

/**
 * Issue 14: the background half of a save that reaches many devices. A save stores its resource and a job row in
 * one transaction (`add`), answers with the job, and `start`s it; the feature's handler then does the long part
 * (materialise, compile, publish, send), reporting progress that is written to the row and announced as
 * `fanout.changed` (live to the dashboard) at most every 250 ms.
 *
 * Nothing assumes one process: a job carries a lease that its run renews as it advances; the leader's
 * `fanouts.resume` job (at start-up and every few seconds) takes up jobs whose lease lapsed, i.e. whose process died
 * mid-way, and runs them again (handlers are idempotent). A run that fails is retried the same way, up to
 * MAX_ATTEMPTS, then marked failed.
 */
@Injectable()
export class FanoutJobs implements OnModuleDestroy {
  private readonly handlers = new Map<FanoutKind, FanoutHandler>();
  private readonly running = new Map<string, Promise<FanoutView>>();
  /** Progress of the runs in this process, for what other features report of them (`timelines.sent`). */
  private readonly progress = new Map<string, Progress>();
  private stopping = false;

  constructor(
    private readonly repo: FanoutsRepository,
    private readonly clock: Clock,
    private readonly events: DomainEvents,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  /** Called by each feature at module init. */
  register(kind: FanoutKind, handler: FanoutHandler): void {
    if (this.handlers.has(kind)) throw new Error(`a fan-out handler for ${kind} is already registered`);
    this.handlers.set(kind, handler);
  }

  /** Stores a job, joining the caller's transaction; `start` it once that committed. This process holds its lease. */
  async add(r: FanoutRequest): Promise<FanoutEntity> {
    const now = this.clock.now();
    const job: FanoutEntity = {
      id: newId(),
      kind: r.kind,
      ref: r.ref,
      state: 'queued',
      params: r.params ?? null,
      devices: null,
      total: r.total,
      done: 0,
      deferred: 0,
      areaCode: r.areaCode,
      error: null,
      attempts: 1,
      leaseUntil: now + LEASE_MS,
      createdBy: r.createdBy,
      createdAt: now,
      updatedAt: now,
      finishedAt: null,
    };
    await this.repo.insert(job);
    return job;
  }

  /**
   * Runs a job whose lease this process holds, in the background (after the current request's answer is written);
   * returns its view as of now. While the server stops, nothing starts: the next start takes the job up.
   */
  start(job: FanoutEntity): FanoutView {
    const copy = { ...job };
    if (!this.stopping && !this.running.has(job.id)) {
      const run = this.execute(copy);
      this.running.set(job.id, run);
      void run.finally(() => this.running.delete(job.id));
    }
    this.events.emit('fanout.changed', { job: fanoutView(copy), areaCode: copy.areaCode });
    return fanoutView(copy);
  }

  /**
   * Resolves with the job's view once its run in this process ends (at once when none runs here). What tests and
   * tools wait on instead of a sleep.
   */
  async settled(id: string): Promise<FanoutView> {
    const run = this.running.get(id);
    if (run) return run;
    const job = await this.repo.find(id);
    if (!job) throw notFound('fanout.not-found', { id });
    return fanoutView(job);
  }

  /** Every run in progress in this process has ended. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running.values()]);
  }

  /** GET /api/v1/fanouts/:id: 404 unless the user may read the schedule, command or alert it belongs to. */
  async get(id: string, user: UserPrincipal): Promise<FanoutView> {
    const job = await this.repo.find(id);
    const handler = job ? this.handlers.get(job.kind) : undefined;
    const hidden = () => notFound('fanout.not-found', { id });
    if (!job || !handler) throw hidden();
    // Refused as the job, not as its resource: the answer must not name a schedule or command the user cannot see.
    await handler.checkReadable(user, job.ref).catch((err: unknown) => Promise.reject(err instanceof NotFoundException ? hidden() : err));
    return fanoutView(job);
  }

  /** Dispatch published a batch of a job's timelines: the job's progress (a run in another process ignores it). */
  @OnEvent('timelines.sent')
  onTimelinesSent({ fanoutId, devices }: DomainEventMap['timelines.sent']): void {
    this.progress.get(fanoutId)?.advance(devices);
  }

  /** Resources of a kind whose job has not reached one of the given states yet. */
  openRefs(kind: FanoutKind, states: readonly FanoutState[]): Promise<string[]> {
    return this.repo.openRefs(kind, states);
  }

  /** The subtree holding every one of these areas and devices (see FanoutRequest.areaCode). */
  commonArea(areaCodes: readonly string[], deviceIds: readonly string[]): Promise<string | null> {
    return this.repo.commonArea(areaCodes, deviceIds);
  }

  /**
   * Takes up the jobs whose lease lapsed (their process died, or a run failed and waits for its retry) and runs
   * them here. The leader's periodic job; returns how many it started.
   */
  async resume(): Promise<number> {
    if (this.stopping) return 0;
    const now = this.clock.now();
    let started = 0;
    for (const job of await this.repo.lapsed(now, 100)) {
      if (this.running.has(job.id)) continue;
      if (job.attempts >= MAX_ATTEMPTS) {
        await this.repo.update(job.id, { state: 'failed', error: job.error ?? `gave up after ${job.attempts} attempts`, leaseUntil: null, finishedAt: now, updatedAt: now });
        this.events.emit('fanout.changed', { job: fanoutView({ ...job, state: 'failed', finishedAt: now, updatedAt: now }), areaCode: job.areaCode });
        continue;
      }
      if (!(await this.repo.takeOver(job.id, job.leaseUntil, now + LEASE_MS, now))) continue;
      this.logger.info({ ctx: 'fanouts', fanoutId: job.id, kind: job.kind, ref: job.ref, state: job.state, attempt: job.attempts + 1 }, 'fan-out taken up again');
      this.start({ ...job, done: 0, deferred: 0, leaseUntil: now + LEASE_MS, attempts: job.attempts + 1 });
      started++;
    }
    return started;
  }

  /**
   * Runs stop at their next step; their jobs stay open and the next start takes them up. The step in flight is
   * waited for, within STOP_WAIT_MS: a stop is never held up by a step that cannot end.
   */
  async onModuleDestroy(): Promise<void> {
    this.stopping = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_WAIT_MS)));
    await Promise.race([this.idle(), bound]);
    clearTimeout(timer);
  }

  private async execute(job: FanoutEntity): Promise<FanoutView> {
    // The save that started the job answers first: its answer is written (serialised, compressed, sent) over a few
    // turns of the event loop, which the run's work, and the devices' answers to it, would otherwise delay.
    await new Promise((resolve) => setTimeout(resolve, START_DELAY_MS));
    const progress = new Progress(job, this.repo, this.clock, this.events, () => this.stopping);
    this.progress.set(job.id, progress);
    const started = this.clock.now();
    try {
      const handler = this.handlers.get(job.kind);
      if (!handler) throw new Error(`no fan-out handler for ${job.kind}`);
      progress.checkpoint();
      await handler.run(progress);
      await progress.finish();
      this.logger.info({ ctx: 'fanouts', fanoutId: job.id, kind: job.kind, ref: job.ref, devices: job.total, ms: this.clock.now() - started }, 'fan-out done');
    } catch (err) {
      if (err instanceof FanoutStopped) {
        await progress.interrupted();
      } else {
        const message = (err as Error).message;
        this.logger.error({ ctx: 'fanouts', fanoutId: job.id, kind: job.kind, ref: job.ref, attempt: job.attempts, err: message }, 'fan-out run failed');
        await progress.failed(message, job.attempts >= MAX_ATTEMPTS).catch((e: unknown) => this.logger.error({ ctx: 'fanouts', fanoutId: job.id, err: (e as Error).message }, 'fan-out failure not recorded'));
      }
    } finally {
      this.progress.delete(job.id);
    }
    return fanoutView(job);
  }
}

/** One run's progress: counted in memory, written and announced at most every PROGRESS_EVERY_MS. */
class Progress implements FanoutRun {
  private lastFlush = 0;
  private writes: Promise<void> = Promise.resolve();

  constructor(
    readonly job: FanoutEntity,
    private readonly repo: FanoutsRepository,
    private readonly clock: Clock,
    private readonly events: DomainEvents,
    private readonly isStopping: () => boolean,
  ) {}

  get stopping(): boolean {
    return this.isStopping();
  }

  checkpoint(): void {
    if (this.isStopping()) throw new FanoutStopped();
  }

  phase(state: 'materialising' | 'sending'): void {
    const changed = this.job.state !== state;
    this.job.state = state;
    this.flush(changed);
  }

  setTotal(total: number): void {
    this.job.total = total;
    this.flush(false);
  }

  advance(done: number, deferred = 0): void {
    this.job.done += done;
    this.job.deferred += deferred;
    this.flush(false);
  }

  async record(patch: { state?: 'materialising' | 'sending'; total?: number; devices?: string[] | null }): Promise<void> {
    const now = this.clock.now();
    if (patch.state !== undefined) this.job.state = patch.state;
    if (patch.total !== undefined) this.job.total = patch.total;
    if (patch.devices !== undefined) this.job.devices = patch.devices;
    this.job.updatedAt = now;
    this.job.leaseUntil = now + LEASE_MS;
    // After the progress writes already queued (an older state must never land over this one), in the caller's
    // transaction (the repository joins it: the continuation keeps the caller's context); announced by the next
    // phase/advance, after the commit.
    const write = this.writes.then(() => this.repo.update(this.job.id, { ...patch, done: this.job.done, deferred: this.job.deferred, updatedAt: now, leaseUntil: this.job.leaseUntil }));
    this.writes = write.catch(() => undefined);
    await write;
    this.lastFlush = 0;
  }

  async finish(): Promise<void> {
    const now = this.clock.now();
    Object.assign(this.job, { state: 'done' as const, done: this.job.total, devices: null, error: null, leaseUntil: null, finishedAt: now, updatedAt: now });
    await this.settle();
  }

  async failed(message: string, final: boolean): Promise<void> {
    const now = this.clock.now();
    // Not final: the lease lapses now, so the next `fanouts.resume` runs it again.
    Object.assign(this.job, final ? { state: 'failed' as const, leaseUntil: null, finishedAt: now } : { leaseUntil: now });
    Object.assign(this.job, { error: message.slice(0, 1000), updatedAt: now });
    await this.settle();
  }

  /** Stopped by the server's stop: the progress so far is kept and the lease given up, so the next start takes it. */
  async interrupted(): Promise<void> {
    await this.writes;
    const now = this.clock.now();
    const { state, total, done, deferred } = this.job;
    await this.repo.update(this.job.id, { state, total, done, deferred, updatedAt: now, leaseUntil: now });
  }

  private async settle(): Promise<void> {
    await this.writes;
    const { state, total, done, deferred, devices, error, leaseUntil, finishedAt, updatedAt } = this.job;
    await this.repo.update(this.job.id, { state, total, done, deferred, devices, error, leaseUntil, finishedAt, updatedAt });
    this.announce();
  }

  /** Written in order, one at a time, never awaited by the run: progress must not slow the fan-out down. */
  private flush(force: boolean): void {
    const now = this.clock.now();
    if (!force && now - this.lastFlush < PROGRESS_EVERY_MS) return;
    this.lastFlush = now;
    this.job.updatedAt = now;
    this.job.leaseUntil = now + LEASE_MS;
    const { state, total, done, deferred, updatedAt, leaseUntil } = this.job;
    this.writes = this.writes.then(() => this.repo.update(this.job.id, { state, total, done, deferred, updatedAt, leaseUntil })).catch(() => undefined);
    this.announce();
  }

  private announce(): void {
    this.events.emit('fanout.changed', { job: fanoutView(this.job), areaCode: this.job.areaCode });
  }
}
