import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { Clock } from '../src/common/clock.js';
import { Metrics } from '../src/common/metrics.js';
import { StorageFull } from '../src/common/storage-full.filter.js';
import { AppConfig } from '../src/config/app-config.js';
import type { MediaEntity } from '../src/media/media.entity.js';
import { MediaJobService } from '../src/media/media-jobs.service.js';
import type { MediaPipeline, ProcessResult, SourceFile } from '../src/media/media-pipeline.js';
import { MediaRepository } from '../src/media/media.repository.js';
import { MediaStorage } from '../src/media/media.storage.js';
import { MediaRefusedException } from '../src/media/media-types.js';
import { openSqlite, type TestDatabase } from './support/databases.js';
import { TestDomainEvents } from './support/domain-events.js';

/** A pipeline the test finishes by hand. */
class ManualPipeline {
  readonly started: SourceFile[] = [];
  private readonly finishers: Array<(r: ProcessResult | Error) => void> = [];
  process(source: SourceFile, _by: string, ctx: { onProgress?: (f: number) => void }): Promise<ProcessResult> {
    this.started.push(source);
    ctx.onProgress?.(0.5);
    return new Promise((resolve, reject) => this.finishers.push((r) => (r instanceof Error ? reject(r) : resolve(r))));
  }
  finish(i: number, r: ProcessResult | Error): void {
    this.finishers[i]!(r);
  }
}

const media = (sha: string): MediaEntity => ({ sha256: sha, bytes: 1, mime: 'audio/mpeg', codec: 'mp3', durationMs: 1000, originalName: 'a', createdBy: 'u', createdAt: 0 });

describe(MediaJobService.name, () => {
  let root: string;
  let db: TestDatabase;
  let storage: MediaStorage;
  let pipeline: ManualPipeline;
  let events: TestDomainEvents;
  let sut: MediaJobService;

  beforeEach(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'loa-jobs-'));
    db = await openSqlite();
    const config = AppConfig.load({ LOA_DATA_DIR: root, LOA_MEDIA_CONCURRENCY: '1' });
    const logger = pino({ level: 'silent' });
    storage = new MediaStorage(config, logger, new Clock());
    await storage.onModuleInit();
    pipeline = new ManualPipeline();
    events = new TestDomainEvents();
    sut = new MediaJobService(new MediaRepository(db.dataSource), storage, pipeline as unknown as MediaPipeline, events, new Clock(), config, logger, new StorageFull(config, new Metrics(), logger));
    await sut.onApplicationBootstrap();
  });

  afterEach(async () => {
    await sut.onModuleDestroy();
    await db.close();
    rmSync(root, { recursive: true, force: true });
  });

  function staged(name: string) {
    const tempPath = storage.newTempPath();
    writeFileSync(tempPath, name);
    return { tempPath, bytes: name.length, sha256: name.padEnd(64, '0'), originalName: name };
  }

  it('runs one job at a time with LOA_MEDIA_CONCURRENCY=1, the next waiting queued', async () => {
    const a = await sut.submit(staged('a'), 'u');
    const b = await sut.submit(staged('b'), 'u');
    await new Promise((r) => setImmediate(r));
    expect(pipeline.started.map((s) => s.originalName)).toEqual(['a']);
    expect(await sut.get(a.job.id)).toMatchObject({ state: 'processing', progress: 0.5 });
    expect(await sut.get(b.job.id)).toMatchObject({ state: 'queued', progress: 0 });

    pipeline.finish(0, { media: media('1'.repeat(64)), created: true, audio: null });
    await expect(a.result).resolves.toMatchObject({ created: true, jobId: a.job.id });
    await new Promise((r) => setImmediate(r));
    expect(pipeline.started.map((s) => s.originalName)).toEqual(['a', 'b']);
    pipeline.finish(1, new MediaRefusedException('corrupt', 'the audio is damaged'));
    await expect(b.result).rejects.toThrow('the audio is damaged');

    expect(await sut.get(a.job.id)).toMatchObject({ state: 'done', progress: 1, mediaSha256: '1'.repeat(64) });
    expect(await sut.get(b.job.id)).toMatchObject({ state: 'failed', reason: 'corrupt', message: 'the audio is damaged' });
    // Sources are gone once their jobs ended.
    expect(readdirSync(storage.tmpDir)).toEqual([]);
    expect(events.payloads('media.jobChanged').map((e) => e.job).filter((j) => j.id === a.job.id).map((j) => j.state)).toEqual(['queued', 'processing', 'processing', 'done']);
    expect((await sut.list()).map((j) => j.id).sort()).toEqual([a.job.id, b.job.id].sort());
  });

  it('fails a receiving job with the upload error', async () => {
    const job = await sut.startReceiving('u');
    sut.receiving(job.id, 50, 100);
    expect((await sut.get(job.id)).progress).toBe(0.5);
    await sut.failReceiving(job.id, new Error('upload aborted by the client'));
    expect(await sut.get(job.id)).toMatchObject({ state: 'failed', reason: 'upload', message: 'upload aborted by the client' });
  });
});
