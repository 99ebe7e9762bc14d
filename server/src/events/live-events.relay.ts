import { Inject, Injectable, type BeforeApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ClusterBus } from '../cluster/cluster-bus.js';
import { Clock } from '../common/clock.js';
import { Metrics } from '../common/metrics.js';
import type { AppLogger } from '../logging/logger.js';
import { LOGGER } from '../logging/logging.module.js';
import { EventBus, type EventRelay, type ServerEvent } from './event-bus.js';

/** A relay that listens says so this often; one not heard from for LISTENING_TTL_MS is taken to have no dashboard. */
const ANNOUNCE_EVERY_MS = 10_000;
const LISTENING_TTL_MS = 30_000;
/** Events wait at most this long to share a message, so a burst goes out in few NOTIFYs. */
const FLUSH_AFTER_MS = 20;
/** A batch's events, serialised; one message then fits one NOTIFY (a single larger event goes alone, in parts). */
const BATCH_BYTES = 7000;
/** Events waiting to be sent; beyond, the oldest are dropped (live events are a convenience over stored state). */
const MAX_WAITING = 5000;
const MAX_EVENTS_PER_MESSAGE = 1000;

const eventSchema = z.looseObject({ type: z.string().min(1).max(100), areaCode: z.string().max(100).optional() });
const messageSchema = z.discriminatedUnion('k', [
  z.object({ k: z.literal('events'), e: z.array(eventSchema).max(MAX_EVENTS_PER_MESSAGE) }),
  z.object({ k: z.literal('listening'), from: z.string().min(1).max(64), n: z.number().int().min(0) }),
  z.object({ k: z.literal('who') }),
]);

/**
 * Carries the dashboards' live events between instances (ClusterBus topic `live`), so a dashboard connected to any
 * instance sees what every instance produces: presence, deliveries, alarms, command results, fan-out progress, media
 * jobs, content states.
 *
 * An event is published on the instance that produced it (its own dashboards get it there, once) and forwarded to
 * the others in batches; they hand it to their own dashboards with `deliverRemote`, which never relays again, so
 * nothing is doubled or echoed. Nothing is sent while no other instance has a dashboard open: each relay announces
 * its listener count when it changes and every ANNOUNCE_EVERY_MS while non-zero, and answers `who` (sent at start and
 * after a gap). While another instance listens, `EventBus.listening` is true here, so features build their events.
 *
 * On SQLite (one process) it stays detached and the EventBus behaves as before.
 */
@Injectable()
export class LiveEventsRelay implements EventRelay, OnModuleInit, BeforeApplicationShutdown {
  private readonly id = randomBytes(6).toString('hex');
  /** Other relays with a dashboard open, and until when that holds without news. */
  private readonly others = new Map<string, number>();
  private waiting: Array<{ event: ServerEvent; bytes: number }> = [];
  private waitingBytes = 0;
  private flushTimer: NodeJS.Timeout | null = null;
  private announceTimer: NodeJS.Timeout | null = null;
  private localListeners = 0;
  private attached = false;
  private readonly log: AppLogger;

  constructor(
    private readonly events: EventBus,
    private readonly cluster: ClusterBus,
    private readonly clock: Clock,
    private readonly metrics: Metrics,
    @Inject(LOGGER) logger: AppLogger,
  ) {
    this.log = logger.child({ ctx: 'live-relay' });
  }

  onModuleInit(): void {
    if (!this.cluster.clustered || this.attached) return;
    this.attached = true;
    this.cluster.subscribe('live', (payload) => this.receive(payload));
    // Announcements may have been missed: ask who listens rather than wait for their next one.
    this.cluster.onGap(() => this.cluster.publish('live', { k: 'who' }));
    this.events.attach(this);
    this.cluster.publish('live', { k: 'who' });
  }

  /** After the gateway closed its sockets (this instance's "no listener" is sent), before the bus closes. */
  beforeApplicationShutdown(): void {
    this.flush();
    if (this.announceTimer) clearTimeout(this.announceTimer);
    this.announceTimer = null;
  }

  get othersListening(): boolean {
    if (this.others.size === 0) return false;
    const now = this.clock.now();
    for (const [id, until] of this.others) if (until <= now) this.others.delete(id);
    return this.others.size > 0;
  }

  forward(event: ServerEvent): void {
    if (!this.othersListening) return;
    const bytes = Buffer.byteLength(JSON.stringify(event));
    this.waiting.push({ event, bytes });
    this.waitingBytes += bytes;
    if (this.waiting.length > MAX_WAITING) {
      this.waitingBytes -= this.waiting.shift()!.bytes;
      this.metrics.inc('live_events_relay_dropped');
    }
    if (this.waitingBytes >= BATCH_BYTES) this.flush();
    else if (this.flushTimer === null) {
      this.flushTimer = setTimeout(() => this.flush(), FLUSH_AFTER_MS);
      this.flushTimer.unref();
    }
  }

  listenersChanged(count: number): void {
    const changed = (this.localListeners === 0) !== (count === 0);
    this.localListeners = count;
    if (changed) this.announce();
  }

  /** Sends what waits, in batches of about BATCH_BYTES. */
  flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    let batch: ServerEvent[] = [];
    let bytes = 0;
    for (const w of this.waiting) {
      if (batch.length > 0 && (bytes + w.bytes > BATCH_BYTES || batch.length >= MAX_EVENTS_PER_MESSAGE)) {
        this.send(batch);
        batch = [];
        bytes = 0;
      }
      batch.push(w.event);
      bytes += w.bytes;
    }
    if (batch.length > 0) this.send(batch);
    this.waiting = [];
    this.waitingBytes = 0;
  }

  private send(batch: ServerEvent[]): void {
    this.cluster.publish('live', { k: 'events', e: batch });
    this.metrics.inc('live_events_relayed', batch.length);
  }

  /** Tells the others how many listen here; repeated while some do, so a relay that restarts learns it in time. */
  private announce(): void {
    if (this.announceTimer) clearTimeout(this.announceTimer);
    this.announceTimer = null;
    this.cluster.publish('live', { k: 'listening', from: this.id, n: this.localListeners });
    if (this.localListeners === 0) return;
    this.announceTimer = setTimeout(() => this.announce(), ANNOUNCE_EVERY_MS);
    this.announceTimer.unref();
  }

  private receive(payload: unknown): void {
    const parsed = messageSchema.safeParse(payload);
    if (!parsed.success) {
      this.metrics.inc('live_events_relay_invalid');
      this.log.warn({ err: parsed.error.message }, 'ignored a malformed live event message');
      return;
    }
    const m = parsed.data;
    if (m.k === 'events') {
      for (const event of m.e) this.events.deliverRemote(event as ServerEvent);
    } else if (m.k === 'listening') {
      if (m.n > 0) this.others.set(m.from, this.clock.now() + LISTENING_TTL_MS);
      else this.others.delete(m.from);
    } else if (this.localListeners > 0) {
      this.announce();
    }
  }
}
