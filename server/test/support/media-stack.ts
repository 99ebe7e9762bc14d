import type { DataSource } from 'typeorm';
import { pino } from 'pino';
import { Clock } from '../../src/common/clock.js';
import { Metrics } from '../../src/common/metrics.js';
import { StorageFull } from '../../src/common/storage-full.filter.js';
import type { AppConfig } from '../../src/config/app-config.js';
import { EventBus, type ServerEvent } from '../../src/events/event-bus.js';
import { MediaJobsLiveListener } from '../../src/events/media-jobs.listener.js';
import { AudioProcessor } from '../../src/media/audio-processor.js';
import { MediaIngestService } from '../../src/media/media-ingest.service.js';
import { MediaJobService } from '../../src/media/media-jobs.service.js';
import { MediaPipeline } from '../../src/media/media-pipeline.js';
import { MediaProber } from '../../src/media/media.prober.js';
import { MediaRepository } from '../../src/media/media.repository.js';
import { MediaService } from '../../src/media/media.service.js';
import { ChildProcessMediaTools } from '../../src/media/media-tools.js';
import { MediaStorage } from '../../src/media/media.storage.js';
import { TestDomainEvents } from './domain-events.js';

/** The media feature wired by hand (as Nest would), real ffmpeg, on a given database and data dir. */
export interface MediaStack {
  storage: MediaStorage;
  repo: MediaRepository;
  metrics: Metrics;
  bus: EventBus;
  events: ServerEvent[];
  processor: AudioProcessor;
  pipeline: MediaPipeline;
  jobs: MediaJobService;
  ingest: MediaIngestService;
  service: MediaService;
  /** What Nest does at start-up: directories, temp sweep, resuming interrupted jobs. */
  start(): Promise<void>;
  /** What Nest does at shutdown: stop running jobs (left for the next start). */
  stop(): Promise<void>;
}

export function buildMediaStack(config: AppConfig, db: DataSource, opts: { processor?: AudioProcessor } = {}): MediaStack {
  const logger = pino({ level: 'silent' });
  const clock = new Clock();
  const tools = new ChildProcessMediaTools();
  const storage = new MediaStorage(config, logger, clock);
  const repo = new MediaRepository(db);
  const metrics = new Metrics();
  const bus = new EventBus();
  const events: ServerEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const domainEvents = new TestDomainEvents().listen(new MediaJobsLiveListener(bus));
  const processor = opts.processor ?? new AudioProcessor(tools);
  const pipeline = new MediaPipeline(repo, storage, new MediaProber(tools), processor, config, clock, metrics, logger);
  const jobs = new MediaJobService(repo, storage, pipeline, domainEvents, clock, config, logger, new StorageFull(config, metrics, logger));
  const ingest = new MediaIngestService(jobs, storage);
  const service = new MediaService(repo, storage, metrics, logger);
  return {
    storage,
    repo,
    metrics,
    bus,
    events,
    processor,
    pipeline,
    jobs,
    ingest,
    service,
    start: async () => {
      await storage.onModuleInit();
      await jobs.onApplicationBootstrap();
    },
    stop: () => jobs.onModuleDestroy(),
  };
}
