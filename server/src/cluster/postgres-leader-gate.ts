import type { BeforeApplicationShutdown, OnModuleInit } from '@nestjs/common';
import pg from 'pg';
import type { Metrics } from '../common/metrics.js';
import { LeaderGate, type LeadershipListener } from '../jobs/leader-gate.js';
import type { AppLogger } from '../logging/logger.js';
import { advisoryKey, LEADER_LOCK } from './advisory-key.js';
import { closeClient, clusterClientConfig, type ClusterDatabase } from './pg-connection.js';

export interface LeaderGateOptions {
  /** How often a follower tries to take the lock, and how often the leader checks its connection (ms). */
  retryMs?: number;
  /** A round trip slower than this counts as a lost connection (ms); must stay under the server's ~11 s detection. */
  queryTimeoutMs?: number;
  /** The lock's name (tests run several elections on one database). */
  lockName?: string;
}

export const DEFAULT_LEADER_RETRY_MS = 1000;
/** A leader stopping gracefully notifies here (payload: the lock key), so a follower tries at once. */
const RELEASED_CHANNEL = 'loa_leader_released';

/**
 * Leadership is a session-level advisory lock held on one dedicated connection (never a pooled one, which would be
 * handed to other work and keep the lock alive after we stopped caring): the server frees it the moment that session
 * ends, whether the process stopped, crashed or was cut off. Followers try `pg_try_advisory_lock` every `retryMs`, so
 * a SIGKILLed leader is replaced within about one period.
 *
 * Leadership is given up at once, before any further job tick, when the connection reports an error or its end, and
 * when the leader's periodic check fails or takes longer than `queryTimeoutMs`: a leader cut off from the database
 * steps down (about `retryMs + queryTimeoutMs`) before the server notices the dead session (keepalive, about 11 s)
 * and lets another instance in, so two instances never both believe they lead.
 *
 * A graceful stop, after every job run has finished (beforeApplicationShutdown), unlocks and notifies the followers,
 * which listen on their own election connection: the next instance takes over within a round trip, not a period.
 */
export class PostgresLeaderGate extends LeaderGate implements OnModuleInit, BeforeApplicationShutdown {
  private readonly key: string;
  private readonly retryMs: number;
  private readonly queryTimeoutMs: number;
  private readonly log: AppLogger;
  private readonly listeners = new Set<LeadershipListener>();
  private client: pg.Client | null = null;
  private leader = false;
  private stopped = true;
  private timer: NodeJS.Timeout | null = null;
  private round: Promise<void> | null = null;
  /** The last connection problem logged, so a database down for an hour is one line, not one per second. */
  private problem: string | null = null;

  constructor(
    private readonly db: ClusterDatabase,
    private readonly metrics: Metrics,
    logger: AppLogger,
    options: LeaderGateOptions = {},
  ) {
    super();
    this.key = advisoryKey(options.lockName ?? LEADER_LOCK);
    this.retryMs = options.retryMs ?? DEFAULT_LEADER_RETRY_MS;
    this.queryTimeoutMs = options.queryTimeoutMs ?? 3000;
    this.log = logger.child({ ctx: 'leader', instance: db.instanceId });
  }

  isLeader(): boolean {
    return this.leader;
  }

  override onChange(listener: LeadershipListener): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** The first round is awaited: a lone instance leads before its features schedule their jobs (bootstrap). */
  async onModuleInit(): Promise<void> {
    await this.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  /** Joins the election; resolves after the first try (leader or not). */
  start(): Promise<void> {
    if (!this.stopped) return this.round ?? Promise.resolve();
    this.stopped = false;
    return this.next();
  }

  /** Leaves the election: ends the connection, which frees the lock for the next instance at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.round;
    const client = this.client;
    this.client = null;
    if (client && this.leader) {
      // In one statement: the notification is delivered at its commit, after the unlock.
      await client
        .query('SELECT pg_advisory_unlock($1::bigint), pg_notify($2, $1::bigint::text)', [this.key, RELEASED_CHANNEL])
        .catch((err: Error) => this.log.warn({ err: err.message }, 'could not tell the followers; they take over at their next try'));
    }
    if (this.leader) this.become(false, 'this instance is stopping');
    if (client) await closeClient(client);
  }

  private next(): Promise<void> {
    this.timer = null;
    const round = this.campaign().finally(() => {
      this.round = null;
      if (this.stopped) return;
      this.timer = setTimeout(() => void this.next(), this.retryMs);
      this.timer.unref();
    });
    this.round = round;
    return round;
  }

  private async campaign(): Promise<void> {
    let client: pg.Client | null = this.client;
    try {
      client ??= await this.connect();
      if (this.stopped) return;
      if (this.leader) {
        await client.query('SELECT 1');
      } else {
        const { rows } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1::bigint) AS ok', [this.key]);
        // The connection may have failed while the answer travelled: only a lock on the live session counts.
        if (rows[0]?.ok === true && this.client === client && !this.stopped) this.become(true, 'took the leader lock');
      }
      this.resolved();
    } catch (err) {
      this.report((err as Error).message);
      if (client) this.lost(client, (err as Error).message);
    }
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client({ ...clusterClientConfig(this.db, 'leader'), query_timeout: this.queryTimeoutMs });
    // Registered before connecting: an error event without a listener would crash the process.
    client.on('error', (err: Error) => this.lost(client, err.message));
    client.on('end', () => this.lost(client, 'the connection ended'));
    client.on('notification', (msg) => {
      if (msg.channel === RELEASED_CHANNEL && msg.payload === this.key) this.tryNow();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${RELEASED_CHANNEL}`);
    } catch (err) {
      await closeClient(client);
      throw err;
    }
    this.client = client;
    return client;
  }

  /** The leader let go: try at once rather than at the end of the period (unless a try is already under way). */
  private tryNow(): void {
    if (this.leader || this.stopped || this.round !== null || this.timer === null) return;
    clearTimeout(this.timer);
    void this.next();
  }

  /** The connection failed or ended: leadership goes with it, synchronously, before any later tick asks. */
  private lost(client: pg.Client, reason: string): void {
    if (client !== this.client) return;
    this.client = null;
    void closeClient(client);
    if (this.leader) this.become(false, reason);
  }

  private become(leader: boolean, reason: string): void {
    if (this.leader === leader) return;
    this.leader = leader;
    this.metrics.inc(leader ? 'leader_elected' : 'leader_lost');
    if (leader) this.log.info({ reason }, 'this instance leads: it runs the periodic jobs');
    else if (this.stopped) this.log.info({ reason }, 'leadership released');
    else this.log.warn({ reason }, 'leadership lost: the periodic jobs stop here until the lock is taken again');
    for (const listener of this.listeners) {
      try {
        listener(leader);
      } catch (err) {
        this.log.error({ err: (err as Error).message }, 'leadership listener failed');
      }
    }
  }

  private report(problem: string): void {
    if (this.stopped || problem === this.problem) return;
    this.problem = problem;
    this.log.warn({ err: problem }, 'leader election cannot reach the database; retrying');
  }

  private resolved(): void {
    if (this.problem === null) return;
    this.problem = null;
    this.log.info('leader election reaches the database again');
  }
}
