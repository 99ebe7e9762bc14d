import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { Clock } from '../src/common/clock.js';
import { Metrics } from '../src/common/metrics.js';
import { StorageFull } from '../src/common/storage-full.filter.js';
import { AppConfig } from '../src/config/app-config.js';
import { AudioProcessingAborted } from '../src/media/audio-processor.js';
import type { MediaEntity } from '../src/media/media.entity.js';
import { MediaJobEntity } from '../src/media/media-job.entity.js';
import { MediaJobService, ORPHANED_JOB_MS } from '../src/media/media-jobs.service.js';
import type { MediaPipeline, ProcessResult, SourceFile } from '../src/media/media-pipeline.js';
import { MediaRepository } from '../src/media/media.repository.js';
import { MediaStorage } from '../src/media/media.storage.js';
import { openPostgres, type TestDatabase } from './support/databases.js';
import { TestDomainEvents } from './support/domain-events.js';

/** A pipeline the test finishes by hand; a shutdown aborts it as it aborts ffmpeg. */
class ManualPipeline {
  readonly started: SourceFile[] = [];
  private readonly finishers: Array<(r: ProcessResult) => void> = [];
  process(source: SourceFile, _by: string, ctx: { onProgress?: (f: number) => void; signal?: AbortSignal }): Promise<ProcessResult> {
    this.started.push(source);
    ctx.onProgress?.(0.5);
    return new Promise((resolve, reject) => {
      this.finishers.push(resolve);
      ctx.signal?.addEventListener('abort', () => reject(new AudioProcessingAborted('stopped')), { once: true });
    });
  }
  finish(i: number, r: ProcessResult): void {
    this.finishers[i]!(r);
  }
}

class ShiftedClock extends Clock {
  shiftMs = 0;
  override now(): number {
    return Date.now() + this.shiftMs;
  }
}

const media = (sha: string): MediaEntity => ({ sha256: sha, bytes: 1, mime: 'audio/mpeg', codec: 'mp3', durationMs: 1000, originalName: 'a', createdBy: 'u', createdAt: 0 });

interface Instance {
  dataDir: string;
  storage: MediaStorage;
  pipeline: ManualPipeline;
  jobs: MediaJobService;
  clock: ShiftedClock;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Issue 15: two server instances on one PostgreSQL database and one shared media directory, each with its own data
 * directory (where uploads and job sources wait). An instance starting must leave the other's jobs alone.
 */
describe('media jobs with two server instances', () => {
  let root: string;
  let mediaDir: string;
  let db: TestDatabase;
  const started: Instance[] = [];

  beforeEach(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'loa-media-instances-'));
    mediaDir = path.join(root, 'shared-media');
    db = await openPostgres();
  });

  afterEach(async () => {
    for (const i of started.splice(0)) await i.stop();
    await db.close();
    rmSync(root, { recursive: true, force: true });
  });

  function instance(name: string): Instance {
    const dataDir = path.join(root, name);
    // The URL only makes the configuration clustered (PostgreSQL); the services get the test's DataSource.
    const config = AppConfig.load({ LOA_DATA_DIR: dataDir, LOA_MEDIA_DIR: mediaDir, LOA_DATABASE_URL: 'postgres://postgres@127.0.0.1/unused', LOA_MEDIA_CONCURRENCY: '1' });
    expect(config.clustered).toBe(true);
    const logger = pino({ level: 'silent' });
    const clock = new ShiftedClock();
    const storage = new MediaStorage(config, logger, clock);
    const pipeline = new ManualPipeline();
    const jobs = new MediaJobService(new MediaRepository(db.dataSource), storage, pipeline as unknown as MediaPipeline, new TestDomainEvents(), clock, config, logger, new StorageFull(config, new Metrics(), logger));
    const it: Instance = {
      dataDir,
      storage,
      pipeline,
      jobs,
      clock,
      start: async () => {
        await storage.onModuleInit();
        await jobs.onApplicationBootstrap();
        started.push(it);
      },
      stop: () => jobs.onModuleDestroy(),
    };
    return it;
  }

  function staged(storage: MediaStorage, name: string) {
    const tempPath = storage.newTempPath();
    writeFileSync(tempPath, name);
    return { tempPath, bytes: name.length, sha256: name.padEnd(64, '0'), originalName: name };
  }

  const row = (id: string) => db.dataSource.getRepository(MediaJobEntity).findOneByOrFail({ id });

  it("a second instance starting leaves the first one's uploads and processing alone", async () => {
    const a = instance('a');
    await a.start();
    const receiving = await a.jobs.startReceiving('u');
    const processing = await a.jobs.submit(staged(a.storage, 'p'), 'u');
    const queued = await a.jobs.submit(staged(a.storage, 'q'), 'u');
    await until(() => a.pipeline.started.length > 0);
    expect(a.pipeline.started.map((s) => s.originalName)).toEqual(['p']);

    const b = instance('b');
    await b.start();
    // B neither failed nor took any of them: same states, sources still in A's data directory, nothing run by B.
    expect((await row(receiving.id)).state).toBe('receiving');
    expect((await row(processing.job.id)).state).toBe('processing');
    expect((await row(queued.job.id)).state).toBe('queued');
    expect(b.pipeline.started).toEqual([]);
    expect(readdirSync(a.storage.tmpDir).sort()).toEqual([`job-${processing.job.id}.src`, `job-${queued.job.id}.src`].sort());

    // A finishes its work as if B had never started.
    a.pipeline.finish(0, { media: media('1'.repeat(64)), created: true, audio: null });
    await expect(processing.result).resolves.toMatchObject({ jobId: processing.job.id });
    await until(() => a.pipeline.started.length === 2);
    a.pipeline.finish(1, { media: media('2'.repeat(64)), created: true, audio: null });
    await expect(queued.result).resolves.toMatchObject({ jobId: queued.job.id });
    expect(await b.jobs.get(queued.job.id)).toMatchObject({ state: 'done', mediaSha256: '2'.repeat(64) });
    expect(b.pipeline.started).toEqual([]);
  });

  it('an instance restarting resumes its own interrupted job, and only its own', async () => {
    const a = instance('a');
    const b = instance('b');
    await a.start();
    await b.start();
    const ofA = await a.jobs.submit(staged(a.storage, 'a'), 'u');
    const ofB = await b.jobs.submit(staged(b.storage, 'b'), 'u');
    await until(() => a.pipeline.started.length > 0 && b.pipeline.started.length > 0);
    await a.stop();
    await ofA.result.catch(() => undefined);
    started.splice(started.indexOf(a), 1);

    const again = instance('a');
    await again.start();
    await until(() => again.pipeline.started.length > 0);
    expect(again.pipeline.started.map((s) => s.originalName)).toEqual(['a']);
    expect((await row(ofB.job.id)).state).toBe('processing');
    again.pipeline.finish(0, { media: media('3'.repeat(64)), created: true, audio: null });
    b.pipeline.finish(0, { media: media('4'.repeat(64)), created: true, audio: null });
    await expect(ofB.result).resolves.toMatchObject({ jobId: ofB.job.id });
    await waitForState(ofA.job.id, 'done');
  });

  it("fails another instance's job once it is orphaned (that instance never came back)", async () => {
    const a = instance('a');
    await a.start();
    const receiving = await a.jobs.startReceiving('u');
    const processing = await a.jobs.submit(staged(a.storage, 'p'), 'u');
    await until(() => a.pipeline.started.length > 0);
    // A dies for good (its process is gone; nothing of it runs any more).
    await a.stop();
    await processing.result.catch(() => undefined);
    started.splice(0);

    const b = instance('b');
    b.clock.shiftMs = ORPHANED_JOB_MS + 60_000;
    await b.start();
    for (const id of [receiving.id, processing.job.id]) {
      expect(await row(id)).toMatchObject({ state: 'failed', reason: 'interrupted', sourcePath: null });
      expect((await row(id)).message).toMatch(/instance .* did not come back/);
    }
    expect(b.pipeline.started).toEqual([]);
  });

  it('sweeps a stale staging copy from the shared media directory and keeps a recent one', async () => {
    const a = instance('a');
    await a.start();
    const old = path.join(mediaDir, `.${'5'.repeat(64)}.abcd1234.part`);
    const recent = path.join(mediaDir, `.${'6'.repeat(64)}.abcd1234.part`);
    writeFileSync(old, 'x');
    writeFileSync(recent, 'y');
    const twoDaysAgo = (Date.now() - 48 * 3_600_000) / 1000;
    utimesSync(old, twoDaysAgo, twoDaysAgo);
    const b = instance('b');
    await b.start();
    expect(existsSync(old)).toBe(false);
    expect(existsSync(recent)).toBe(true);
  });

  async function waitForState(id: string, state: string): Promise<void> {
    await until(async () => (await row(id)).state === state, `job ${id} ${state}`);
  }

  async function until(done: () => boolean | Promise<boolean>, what = 'condition'): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (!(await done())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
});
