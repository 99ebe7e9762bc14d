import { join } from 'node:path';
import type { DeviceKind, Slot, TimelineMessage } from '@loa/shared';
import type { Logger } from 'pino';
import type { Clock } from '../../clock.js';
import type { EventBus } from '../../core/bus.js';
import { Subscriptions, type Feature } from '../../core/feature.js';
import { MediaCache, type FetchFn } from './media-cache.js';

export interface MediaFeatureOptions {
  kind: DeviceKind;
  dir: string;
  serverUrl: string;
  deviceId: string;
  secret: string;
  /** Free space every download must leave. */
  reserveBytes: number;
  /** How far ahead upcoming media is downloaded. */
  prefetchLeadMs: number;
  clock: Clock;
  logger: Logger;
  bus: EventBus;
  /** The timeline whose upcoming media is fetched ahead. */
  timeline: { readonly current: TimelineMessage | null };
  fetch?: FetchFn;
}

/** The media cache: downloads ahead what the timeline and the alerts will play (audio on a speaker, images on a board). */
export class MediaFeature implements Feature {
  readonly name = 'media';
  private media: MediaCache | null = null;
  private stopping = false;
  private readonly subscriptions = new Subscriptions();

  constructor(private readonly opts: MediaFeatureOptions) {}

  get cache(): MediaCache {
    if (!this.media) throw new Error('media feature not started');
    return this.media;
  }

  get blockedBytes(): number {
    return this.media?.blockedBytes ?? 0;
  }

  async start(): Promise<void> {
    const { opts } = this;
    this.stopping = false;
    this.media = new MediaCache({
      dir: opts.dir,
      serverUrl: opts.serverUrl,
      deviceId: opts.deviceId,
      secret: opts.secret,
      clock: opts.clock,
      logger: opts.logger,
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
      reserveBytes: opts.reserveBytes,
      onDiskShort: () => opts.bus.emit('media.disk-short'),
    });
    this.subscriptions.add(
      opts.bus.on('agent.stopping', () => (this.stopping = true)),
      opts.bus.on('timeline.updated', () => {
        if (!this.stopping) this.prefetch();
      }),
      opts.bus.on('alert.changed', ({ alert }) => {
        if (alert.media && opts.kind === 'speaker') this.media?.prefetch(alert.media.sha256, () => undefined);
      }),
      opts.bus.on('telemetry.tick', () => this.prefetch()),
    );
    this.prefetch();
  }

  async stop(): Promise<void> {
    this.subscriptions.clear();
    this.media?.stop();
  }

  /** Makes a slot playable on this device (downloads and verifies its media). */
  async prepare(slot: Slot): Promise<void> {
    const { kind } = this.opts;
    if ((slot.type === 'audio' && kind === 'speaker') || (slot.type === 'image' && kind === 'board')) await this.cache.ensure(slot.media.sha256);
  }

  /** Downloads every upcoming audio file (speaker) or image (board) within the prefetch horizon (deduplicated by the cache). */
  private prefetch(): void {
    const t = this.opts.timeline.current;
    const cache = this.media;
    if (!t || !cache) return;
    const wanted = this.opts.kind === 'speaker' ? 'audio' : 'image';
    const now = this.opts.clock.now();
    const horizon = now + this.opts.prefetchLeadMs;
    const seen = new Set<string>();
    for (const s of t.slots) {
      if ((s.type !== 'audio' && s.type !== 'image') || s.type !== wanted || s.startAt + s.durationMs <= now || s.startAt > horizon || seen.has(s.media.sha256)) continue;
      seen.add(s.media.sha256);
      cache.prefetch(s.media.sha256, (path) => this.opts.bus.emit('media.ready', { sha256: s.media.sha256, path }));
    }
  }
}
