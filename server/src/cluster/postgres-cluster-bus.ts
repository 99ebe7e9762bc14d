import type { OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Metrics } from '../common/metrics.js';
import type { AppLogger } from '../logging/logger.js';
import { ClusterBus, type ClusterHandler, type ClusterTopic } from './cluster-bus.js';
import { encodeMessage, NotifyDecoder } from './notify-codec.js';
import { closeClient, clusterClientConfig, type ClusterDatabase } from './pg-connection.js';

/** The NOTIFY channel; channels, like advisory locks, belong to one database, so deployments never hear each other. */
export const CLUSTER_CHANNEL = 'loa_cluster';
/** Internal topic: "I had to drop messages meant for you" (see publish). */
const GAP_TOPIC = '_gap';

export interface ClusterBusOptions {
  /** Outgoing messages kept while the database is unreachable; beyond, the oldest are dropped (and a gap announced). */
  maxQueued?: number;
  /** First and longest wait between reconnection attempts (ms). */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
}

/** Messages sent in one statement (one transaction): few round trips when events come in bursts. */
const MESSAGES_PER_STATEMENT = 100;

/**
 * The ClusterBus over PostgreSQL LISTEN/NOTIFY, on two connections of its own: a listener, reconnected with
 * back-off (doubling from `reconnectMinMs` to `reconnectMaxMs`), after which listeners are told of the gap; and a
 * one-connection pool that publishes with `pg_notify`, in order, retrying (same back-off) while the database is
 * unreachable.
 *
 * Every message carries this process's origin (LOA_INSTANCE_ID plus a random suffix, so two instances misconfigured
 * with one id still hear each other), and a receiver drops its own. Payloads over NOTIFY's 8000-byte limit are sent
 * in parts (notify-codec.ts).
 */
export class PostgresClusterBus extends ClusterBus implements OnModuleInit, OnApplicationShutdown {
  readonly clustered = true;
  readonly origin: string;
  private readonly log: AppLogger;
  private readonly decoder: NotifyDecoder;
  private readonly handlers = new Map<string, Set<ClusterHandler>>();
  private readonly gapHandlers = new Set<() => void>();
  private readonly publisher: pg.Pool;
  private readonly maxQueued: number;
  private readonly reconnectMinMs: number;
  private readonly reconnectMaxMs: number;
  private listener: pg.Client | null = null;
  private listening = false;
  private reconnectDelay: number;
  private reconnectTimer: NodeJS.Timeout | null = null;
  /** Whether the listener has been up before: a later LISTEN follows a gap. */
  private listenedOnce = false;
  private seq = 0;
  /** Each entry is one message's NOTIFY payloads (several for a message sent in parts). */
  private readonly queue: string[][] = [];
  private dropped = false;
  private sending: Promise<void> | null = null;
  private retryTimer: NodeJS.Timeout | null = null;
  private retryDelay: number;
  private publishProblem: string | null = null;
  private closed = false;

  constructor(
    private readonly db: ClusterDatabase,
    private readonly metrics: Metrics,
    logger: AppLogger,
    options: ClusterBusOptions = {},
  ) {
    super();
    this.origin = `${db.instanceId}/${randomBytes(4).toString('hex')}`;
    this.log = logger.child({ ctx: 'cluster-bus', instance: db.instanceId });
    this.decoder = new NotifyDecoder(this.origin);
    this.maxQueued = options.maxQueued ?? 10_000;
    this.reconnectMinMs = options.reconnectMinMs ?? 100;
    this.reconnectMaxMs = options.reconnectMaxMs ?? 5000;
    this.reconnectDelay = this.reconnectMinMs;
    this.retryDelay = this.reconnectMinMs;
    this.publisher = new pg.Pool({ ...clusterClientConfig(db, 'bus-publish'), max: 1, idleTimeoutMillis: 30_000 });
    this.publisher.on('error', (err) => this.log.warn({ err: err.message }, 'idle publishing connection failed; it is replaced'));
  }

  /** Listens before any feature's bootstrap loads a cache, so nothing published after that load is missed. */
  async onModuleInit(): Promise<void> {
    await this.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  async start(): Promise<void> {
    await this.listen();
  }

  publish(topic: ClusterTopic, payload: unknown): void {
    this.send(topic, payload);
  }

  subscribe(topic: ClusterTopic, handler: ClusterHandler): () => void {
    const set = this.handlers.get(topic) ?? new Set<ClusterHandler>();
    this.handlers.set(topic, set.add(handler));
    return () => void set.delete(handler);
  }

  onGap(handler: () => void): () => void {
    this.gapHandlers.add(handler);
    return () => void this.gapHandlers.delete(handler);
  }

  /** The listening session's backend pid while connected (tests end it with pg_terminate_backend). */
  get listenerPid(): number | null {
    return this.listening ? ((this.listener as unknown as { processID?: number } | null)?.processID ?? null) : null;
  }

  /** Resolves once every message published so far has been handed to PostgreSQL (or dropped). */
  async flushed(): Promise<void> {
    while (this.sending || (this.queue.length > 0 && !this.closed)) {
      this.kick();
      await (this.sending ?? new Promise((resolve) => setTimeout(resolve, 20)));
    }
  }

  /** Sends what is queued (for at most `graceMs`), then closes both connections. */
  async close(graceMs = 2000): Promise<void> {
    if (this.closed) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.flushed(), new Promise((resolve) => (timer = setTimeout(resolve, graceMs)))]);
    clearTimeout(timer);
    this.closed = true;
    for (const t of [this.reconnectTimer, this.retryTimer]) if (t) clearTimeout(t);
    const listener = this.listener;
    this.listener = null;
    this.listening = false;
    if (listener) await closeClient(listener);
    await this.sending;
    if (!this.publisher.ended) await this.publisher.end();
  }

  private send(topic: string, payload: unknown): void {
    if (this.closed) return;
    let texts: string[];
    try {
      texts = encodeMessage(this.origin, ++this.seq, topic, payload);
    } catch (err) {
      this.metrics.inc('cluster_bus_refused');
      this.log.error({ topic, err: (err as Error).message }, 'cluster message not sent');
      return;
    }
    this.queue.push(texts);
    this.bound();
    this.kick();
  }

  /** The database has been unreachable for a while: keep the newest messages, and tell the others afterwards. */
  private bound(): void {
    const excess = this.queue.length - this.maxQueued;
    if (excess <= 0) return;
    this.queue.splice(0, excess);
    this.metrics.inc('cluster_bus_dropped', excess);
    this.dropped = true;
  }

  private kick(): void {
    if (this.sending || this.retryTimer || this.queue.length === 0 || this.closed) return;
    this.sending = this.drain().finally(() => (this.sending = null));
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      if (this.dropped) {
        this.dropped = false;
        this.queue.unshift(encodeMessage(this.origin, ++this.seq, GAP_TOPIC, null));
      }
      // Taken out while in flight, so dropping the oldest meanwhile (bound) never touches what is being sent.
      const batch = this.queue.splice(0, MESSAGES_PER_STATEMENT);
      try {
        await this.publisher.query('SELECT pg_notify($1, m) FROM unnest($2::text[]) AS m', [CLUSTER_CHANNEL, batch.flat()]);
      } catch (err) {
        this.queue.unshift(...batch);
        this.bound();
        this.publishFailed((err as Error).message);
        return;
      }
      this.metrics.inc('cluster_bus_sent', batch.length);
      this.retryDelay = this.reconnectMinMs;
      if (this.publishProblem !== null) {
        this.publishProblem = null;
        this.log.info('cluster messages are sent again');
      }
    }
  }

  private publishFailed(problem: string): void {
    if (problem !== this.publishProblem) this.log.warn({ err: problem, queued: this.queue.length }, 'cannot send cluster messages; retrying');
    this.publishProblem = problem;
    // A dead pooled connection is replaced at the next try: the first retry comes soon, later ones back off.
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.kick();
    }, this.retryDelay);
    this.retryTimer.unref();
    this.retryDelay = Math.min(this.retryDelay * 2, this.reconnectMaxMs);
  }

  private async listen(): Promise<void> {
    this.reconnectTimer = null;
    if (this.closed) return;
    const client = new pg.Client(clusterClientConfig(this.db, 'bus'));
    client.on('error', (err: Error) => this.lost(client, err.message));
    client.on('end', () => this.lost(client, 'the connection ended'));
    client.on('notification', (msg) => {
      if (msg.channel === CLUSTER_CHANNEL && msg.payload !== undefined) this.receive(msg.payload);
    });
    this.listener = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${CLUSTER_CHANNEL}`);
    } catch (err) {
      this.lost(client, (err as Error).message);
      return;
    }
    if (this.listener !== client || this.closed) return;
    this.listening = true;
    this.reconnectDelay = this.reconnectMinMs;
    if (this.listenedOnce) {
      this.metrics.inc('cluster_bus_reconnected');
      this.log.info('listening to the other instances again; caches drop what they may have missed');
      this.gap();
    }
    this.listenedOnce = true;
  }

  private lost(client: pg.Client, reason: string): void {
    if (client !== this.listener) return;
    const was = this.listening;
    this.listener = null;
    this.listening = false;
    void closeClient(client);
    if (this.closed) return;
    if (was) this.log.warn({ err: reason }, 'lost the connection listening to the other instances; reconnecting');
    // A first listen that failed still counts as a gap once it succeeds: caches may have loaded meanwhile.
    this.listenedOnce = true;
    this.reconnectTimer = setTimeout(() => void this.listen(), this.reconnectDelay);
    this.reconnectTimer.unref();
    this.reconnectDelay = Math.min(this.reconnectDelay * 2, this.reconnectMaxMs);
  }

  private receive(text: string): void {
    const decoded = this.decoder.decode(text);
    if (decoded.kind === 'invalid') {
      this.metrics.inc('cluster_bus_invalid');
      this.log.warn({ reason: decoded.reason }, 'ignored a message on the cluster channel');
      return;
    }
    if (decoded.kind !== 'message') return;
    this.metrics.inc('cluster_bus_received');
    const { topic, payload } = decoded.message;
    if (topic === GAP_TOPIC) return this.gap();
    for (const handler of this.handlers.get(topic) ?? []) {
      try {
        handler(payload);
      } catch (err) {
        this.log.error({ topic, err: (err as Error).message }, 'cluster message handler failed');
      }
    }
  }

  private gap(): void {
    for (const handler of this.gapHandlers) {
      try {
        handler();
      } catch (err) {
        this.log.error({ err: (err as Error).message }, 'cluster gap handler failed');
      }
    }
  }
}
