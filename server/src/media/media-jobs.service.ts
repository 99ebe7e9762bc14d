import { Inject, Injectable, ServiceUnavailableException, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import path from 'node:path';
import { Clock } from '../common/clock.js';
import { StorageFull } from '../common/storage-full.filter.js';
import { InsufficientStorageException } from '../common/storage-full.js';
import { newId } from '../common/ids.js';
import { AppConfig } from '../config/app-config.js';
import type { MediaJobEntity, MediaJobState } from './media-job.entity.js';
import { DomainEvents } from '../domain-events/domain-events.js';
import type { AppLogger } from '../logging/logger.js';
import { LOGGER } from '../logging/logging.module.js';
import { AudioProcessingAborted } from './audio-processor.js';
import { MediaPipeline, type ProcessResult } from './media-pipeline.js';
import { MediaRepository } from './media.repository.js';
import { MediaStorage } from './media.storage.js';
import { MediaRefusedException, type IngestResult, type ReceivedUpload } from './media-types.js';
import type { MediaJobView } from '@loa/shared/rest';
import { notFound } from '../common/loa-error.js';
export type { MediaJobView } from '@loa/shared/rest';

/** `reason` of a job that failed because the data directory (or the database) had no room left. */
export const DISK_FULL = 'disk_full';

/** Progress events per job at most this often (state changes always go out at once). */
const PROGRESS_EVERY_MS = 200;
const LIST_LIMIT = 100;
/**
 * A job of another server instance untouched for this long is an orphan: that instance stopped and never came back
 * with its data directory (where the job's source was). No upload or processing takes anywhere near this long.
 */
export const ORPHANED_JOB_MS = 24 * 3_600_000;

interface Waiter {
  resolve(r: IngestResult): void;
  reject(err: unknown): void;
}

interface Pending {
  row: MediaJobEntity;
  lastEmit: number;
}

/**
 * Processing jobs: one per upload (or local file), persisted in `media_jobs`, processed by a queue with bounded
 * concurrency (LOA_MEDIA_CONCURRENCY), observable through the API and as `media.jobChanged` domain events.
 *
 * A job keeps its source at dataDir/tmp/job-<id>.src until it is done or failed. At shutdown running work is
 * stopped and left `processing`/`queued`; at start-up such jobs are resumed when their source is still there, and
 * marked failed (reason `interrupted`) otherwise — never lost silently.
 *
 * Several instances on one database (issue 15): a job belongs to the instance whose data directory holds its source
 * (every row names its source path from the start, receiving included), and only that instance resumes or fails it
 * at start-up — another instance starting must not fail an upload still arriving elsewhere, nor process it twice.
 * A job whose instance never came back is failed by whichever instance starts after ORPHANED_JOB_MS.
 */
@Injectable()
export class MediaJobService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly log: AppLogger;
  /** Jobs not yet done or failed, with their live progress. */
  private readonly pending = new Map<string, Pending>();
  private readonly waiters = new Map<string, Waiter[]>();
  private readonly queue: string[] = [];
  private readonly running = new Map<string, { abort: AbortController; done: Promise<void> }>();
  private readonly concurrency: number;
  private readonly clustered: boolean;
  private closing = false;

  constructor(
    private readonly repo: MediaRepository,
    private readonly storage: MediaStorage,
    private readonly pipeline: MediaPipeline,
    private readonly events: DomainEvents,
    private readonly clock: Clock,
    config: AppConfig,
    @Inject(LOGGER) logger: AppLogger,
    private readonly storageFull: StorageFull,
  ) {
    this.log = logger.child({ ctx: 'media-jobs' });
    this.concurrency = config.mediaConcurrency;
    this.clustered = config.clustered;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.resumeInterrupted();
  }

  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    for (const r of this.running.values()) r.abort.abort();
    await Promise.all([...this.running.values()].map((r) => r.done));
    for (const [id, list] of this.waiters) for (const w of list) w.reject(new ServiceUnavailableException(`the server is shutting down; job ${id} resumes when it starts again`));
    this.waiters.clear();
  }

  /** A job for an upload whose body is still arriving. */
  async startReceiving(createdBy: string): Promise<MediaJobView> {
    const row = this.newRow('receiving', createdBy, 'upload');
    await this.repo.insertJob(row);
    this.track(row);
    return this.emit(row);
  }

  receiving(id: string, bytes: number, expectedBytes: number | null): void {
    const p = this.pending.get(id);
    if (!p || p.row.state !== 'receiving') return;
    p.row.sourceBytes = bytes;
    if (expectedBytes && expectedBytes > 0) this.setProgress(p, Math.min(0.999, bytes / expectedBytes));
  }

  /** The upload never arrived whole (aborted, too large, malformed, no room): the job fails with the same message. */
  async failReceiving(id: string, err: unknown): Promise<void> {
    const p = this.pending.get(id);
    if (!p) return;
    const message = err instanceof Error ? err.message : String(err);
    const reason = err instanceof InsufficientStorageException ? DISK_FULL : 'upload';
    await this.finish(p.row, { state: 'failed', reason, message: message.slice(0, 1000), sourcePath: null });
  }

  /**
   * Queues a received upload (or staged local file). `tempPath` is taken over: moved to the job's source path and
   * removed when the job ends. `result` settles when the job is done (or fails: MediaRefusedException for a refusal).
   */
  async submit(upload: ReceivedUpload, createdBy: string, jobId?: string): Promise<{ job: MediaJobView; result: Promise<IngestResult> }> {
    if (this.closing) throw new ServiceUnavailableException('the server is shutting down');
    let p = jobId ? this.pending.get(jobId) : undefined;
    if (!p) {
      const row = this.newRow('queued', createdBy, upload.originalName);
      await this.repo.insertJob(row);
      p = this.track(row);
    }
    const row = p.row;
    let sourcePath: string;
    try {
      sourcePath = await this.storage.adoptAsJobSource(upload.tempPath, row.id);
    } catch (err) {
      await this.storage.removeTemp(upload.tempPath).catch(() => undefined);
      await this.finish(row, { state: 'failed', reason: 'error', message: 'the upload could not be kept for processing', sourcePath: null });
      throw err;
    }
    const result = this.waitFor(row.id);
    await this.update(row, { state: 'queued', progress: 0, originalName: upload.originalName, sourcePath, sourceSha256: upload.sha256, sourceBytes: upload.bytes });
    const job = this.view(row);
    this.queue.push(row.id);
    this.pump();
    return { job, result };
  }

  async get(id: string): Promise<MediaJobView> {
    const live = this.pending.get(id);
    if (live) return this.view(live.row);
    const row = await this.repo.findJob(id);
    if (!row) throw notFound('media-job.not-found', { id });
    return this.view(row);
  }

  /** Newest first, the last 100, with live progress. */
  async list(): Promise<MediaJobView[]> {
    return (await this.repo.listJobs(LIST_LIMIT)).map((r) => this.view(this.pending.get(r.id)?.row ?? r));
  }

  /** Waits for a job (running in this process) to end. */
  private waitFor(id: string): Promise<IngestResult> {
    const result = new Promise<IngestResult>((resolve, reject) => {
      const list = this.waiters.get(id) ?? [];
      list.push({ resolve, reject });
      this.waiters.set(id, list);
    });
    result.catch(() => undefined); // async uploads never read it
    return result;
  }

  private pump(): void {
    while (!this.closing && this.running.size < this.concurrency && this.queue.length > 0) {
      const id = this.queue.shift()!;
      const p = this.pending.get(id);
      if (!p) continue;
      const abort = new AbortController();
      const done = this.runJob(p, abort.signal).finally(() => {
        this.running.delete(id);
        this.pump();
      });
      this.running.set(id, { abort, done });
    }
  }

  private async runJob(p: Pending, signal: AbortSignal): Promise<void> {
    const row = p.row;
    const settle = (fn: (w: Waiter) => void) => {
      for (const w of this.waiters.get(row.id) ?? []) fn(w);
      this.waiters.delete(row.id);
    };
    try {
      await this.update(row, { state: 'processing', progress: 0 });
      const source = { path: row.sourcePath ?? '', bytes: row.sourceBytes ?? 0, sha256: row.sourceSha256 ?? '', originalName: row.originalName };
      const result: ProcessResult = await this.pipeline.process(source, row.createdBy, { signal, onProgress: (f) => this.setProgress(p, f) });
      await this.removeSource(row);
      await this.finish(row, { state: 'done', progress: 1, mediaSha256: result.media.sha256, created: result.created, sourcePath: null });
      settle((w) => w.resolve({ ...result, jobId: row.id }));
    } catch (err) {
      if (err instanceof AudioProcessingAborted || (signal.aborted && this.closing)) {
        // Shutdown: left as it is (source kept), resumed at the next start.
        this.log.info({ jobId: row.id }, 'media job interrupted by shutdown; it resumes at the next start');
        return;
      }
      const refused = err instanceof MediaRefusedException;
      // Transcoding onto a full disk fails inside ffmpeg: the job says so, not "processing failed".
      const full = refused ? null : this.storageFull.explain(err);
      await this.removeSource(row);
      await this.finish(row, {
        state: 'failed',
        reason: refused ? err.reason : full ? DISK_FULL : 'error',
        message: (refused ? err.message : full ? full.message : `processing failed: ${err instanceof Error ? err.message : String(err)}`).slice(0, 1000),
        sourcePath: null,
      }).catch((e: unknown) => this.log.error({ err: e, jobId: row.id }, 'could not record a failed media job'));
      settle((w) => w.reject(full ?? err));
    }
  }

  /** At start-up: jobs a stop or crash left behind are resumed (source still there) or failed with a reason. */
  private async resumeInterrupted(): Promise<void> {
    const rows = await this.repo.jobsIn(['receiving', 'queued', 'processing']);
    const keep = new Set<string>();
    const orphanedBefore = this.clock.now() - ORPHANED_JOB_MS;
    for (const row of rows) {
      if (!this.owns(row)) {
        if (row.updatedAt < orphanedBefore) await this.failOrphan(row);
        continue;
      }
      const p = this.track(row);
      if (row.state !== 'receiving' && row.sourcePath && (await this.storage.fileExists(row.sourcePath))) {
        keep.add(row.sourcePath);
        await this.update(row, { state: 'queued', progress: 0 });
        this.queue.push(row.id);
        this.log.warn({ jobId: row.id, originalName: row.originalName }, 'resuming a media job interrupted by a restart');
        continue;
      }
      const message =
        row.state === 'receiving'
          ? 'the server restarted while the file was being uploaded; upload it again'
          : 'the server restarted during processing and the uploaded file is gone; upload it again';
      await this.finish(p.row, { state: 'failed', reason: 'interrupted', message, sourcePath: null });
      this.log.warn({ jobId: row.id, state: row.state }, 'media job interrupted by a restart could not be resumed');
    }
    const removed = await this.storage.sweepJobSources(keep);
    if (removed > 0) this.log.info({ removed }, 'removed sources of media jobs that had ended');
    this.pump();
  }

  /**
   * Whether this instance took the job: its source lives in our temp directory. Alone on the database (SQLite),
   * every job is ours, as are rows written before jobs named their source from the start.
   */
  private owns(row: MediaJobEntity): boolean {
    if (!this.clustered) return true;
    return row.sourcePath !== null && path.dirname(row.sourcePath) === this.storage.tmpDir;
  }

  /** Another instance's job that it never finished: failed visibly (its source is on that instance's disk). */
  private async failOrphan(row: MediaJobEntity): Promise<void> {
    const message = 'the server instance that took this file stopped and did not come back; upload it again';
    await this.finish(row, { state: 'failed', reason: 'interrupted', message, sourcePath: null });
    this.log.warn({ jobId: row.id, state: row.state, sourcePath: row.sourcePath }, 'failed a media job orphaned by another server instance');
  }

  private newRow(state: MediaJobState, createdBy: string, originalName: string): MediaJobEntity {
    const now = this.clock.now();
    const id = newId();
    return {
      id,
      state,
      progress: 0,
      originalName,
      createdBy,
      // Where its source will be kept: named from the start, it marks the job as this instance's (see owns()).
      sourcePath: this.storage.jobSourcePath(id),
      sourceSha256: null,
      sourceBytes: null,
      mediaSha256: null,
      created: null,
      reason: null,
      message: null,
      createdAt: now,
      updatedAt: now,
    };
  }

  private track(row: MediaJobEntity): Pending {
    const p = { row, lastEmit: 0 };
    this.pending.set(row.id, p);
    return p;
  }

  private async update(row: MediaJobEntity, patch: Partial<MediaJobEntity>): Promise<void> {
    Object.assign(row, patch, { updatedAt: this.clock.now() });
    await this.repo.updateJob(row.id, { ...patch, updatedAt: row.updatedAt });
    this.emit(row);
  }

  private async finish(row: MediaJobEntity, patch: Partial<MediaJobEntity>): Promise<void> {
    this.pending.delete(row.id);
    this.queue.splice(0, this.queue.length, ...this.queue.filter((id) => id !== row.id));
    await this.update(row, patch);
  }

  private setProgress(p: Pending, fraction: number): void {
    const f = Math.round(Math.min(1, Math.max(0, fraction)) * 1000) / 1000;
    if (f <= p.row.progress) return;
    p.row.progress = f;
    const now = this.clock.now();
    if (now - p.lastEmit >= PROGRESS_EVERY_MS || f >= 1) {
      p.lastEmit = now;
      this.emit(p.row);
    }
  }

  private async removeSource(row: MediaJobEntity): Promise<void> {
    if (row.sourcePath) await this.storage.removeTemp(row.sourcePath).catch((err: unknown) => this.log.warn({ err, jobId: row.id }, 'could not remove a media job source'));
  }

  private emit(row: MediaJobEntity): MediaJobView {
    const job = this.view(row);
    this.events.emit('media.jobChanged', { job });
    return job;
  }

  private view(row: MediaJobEntity): MediaJobView {
    return {
      id: row.id,
      state: row.state,
      progress: row.progress,
      originalName: row.originalName,
      bytes: row.sourceBytes,
      sourceSha256: row.sourceSha256,
      mediaSha256: row.mediaSha256,
      created: row.created,
      reason: row.reason,
      message: row.message,
      createdBy: row.createdBy,
      createdAt: new Date(row.createdAt).toISOString(),
      updatedAt: new Date(row.updatedAt).toISOString(),
    };
  }
}
