import type { OnApplicationShutdown } from '@nestjs/common';
import pg from 'pg';
import type { Metrics } from '../common/metrics.js';
import { InProcessNamedLocks, NamedLocks } from '../common/named-locks.js';
import type { AppLogger } from '../logging/logger.js';
import { advisoryKey, NAMED_LOCK_PREFIX } from './advisory-key.js';
import { clusterClientConfig, type ClusterDatabase } from './pg-connection.js';

export interface NamedLocksOptions {
  /**
   * Connections held at once (one per name held or awaited by this process). Must exceed the number of lock names
   * taken inside another (today three: the schedule save takes planning, planning takes the timeline recompile, a
   * command fan-out takes the send lock): otherwise every connection could be held by a holder waiting for one more.
   */
  maxConnections?: number;
  /** Waiting longer than this for a free connection fails the caller instead of hanging it (ms). */
  connectionWaitMs?: number;
}

/**
 * NamedLocks across instances: a PostgreSQL session advisory lock per name, held on a connection of a small pool of
 * its own (never the TypeORM pool, whose connections the holder's own queries need) for the duration of `fn`.
 *
 * Callers in this process first queue on the in-process chain of the name, so a process has at most one connection
 * per name however many of its callers wait, and keeps their call order; only the head of the chain waits in
 * PostgreSQL, whose queue is first come, first served between instances.
 *
 * The lock never outlives `fn`: it is released in `finally`, and a connection whose release failed (or whose session
 * is in doubt) is destroyed, never returned to the pool, so the server ends the session and the lock with it. If the
 * connection dies while `fn` runs, the lock is gone: that is logged and counted (`cluster_lock_lost`); `fn` is not
 * interrupted (it cannot be, safely), and its own transaction decides what is committed.
 */
export class PostgresNamedLocks extends NamedLocks implements OnApplicationShutdown {
  private readonly chains = new InProcessNamedLocks();
  private readonly pool: pg.Pool;
  private readonly log: AppLogger;

  constructor(
    db: ClusterDatabase,
    private readonly metrics: Metrics,
    logger: AppLogger,
    options: NamedLocksOptions = {},
  ) {
    super();
    this.log = logger.child({ ctx: 'locks', instance: db.instanceId });
    this.pool = new pg.Pool({
      ...clusterClientConfig(db, 'locks'),
      max: options.maxConnections ?? 8,
      idleTimeoutMillis: 10_000,
      connectionTimeoutMillis: options.connectionWaitMs ?? 60_000,
    });
    // An idle connection that fails is dropped by the pool; without a listener the error would crash the process.
    this.pool.on('error', (err) => this.log.warn({ err: err.message }, 'idle lock connection failed; the pool replaces it'));
  }

  run<T>(name: string, fn: () => Promise<T>): Promise<T> {
    return this.chains.run(name, () => this.hold(name, fn));
  }

  /** Connections currently open (held or idle), for tests and health. */
  get connections(): number {
    return this.pool.totalCount;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.close();
  }

  /**
   * Closes the pool once its connections are back (every holder ran in the modules' stop hooks, before this one). A
   * caller still waiting in PostgreSQL is not waited for beyond `graceMs`: the process is leaving, and its sessions end
   * with it.
   */
  async close(graceMs = 5000): Promise<void> {
    if (this.pool.ended) return;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
      timer.unref();
    });
    await Promise.race([this.pool.end(), late]);
    clearTimeout(timer);
  }

  private async hold<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const key = advisoryKey(NAMED_LOCK_PREFIX + name);
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw new Error(`cannot take the cluster lock "${name}": no database connection (${(err as Error).message})`);
    }
    let lost: string | null = null;
    const onError = (err: Error): void => {
      lost = err.message;
    };
    // A checked-out client that fails emits 'error'; unheard, that would crash the process.
    client.on('error', onError);
    try {
      await client.query('SELECT pg_advisory_lock($1::bigint)', [key]);
    } catch (err) {
      client.off('error', onError);
      client.release(err as Error);
      throw new Error(`cannot take the cluster lock "${name}": ${(err as Error).message}`);
    }
    try {
      return await fn();
    } finally {
      await this.release(client, name, key, onError);
      if (lost !== null) {
        this.metrics.inc('cluster_lock_lost');
        this.log.error({ lock: name, err: lost }, 'the connection holding a cluster lock failed while its holder ran: another instance may have entered');
      }
    }
  }

  private async release(client: pg.PoolClient, name: string, key: string, onError: (err: Error) => void): Promise<void> {
    try {
      const { rows } = await client.query<{ released: boolean }>('SELECT pg_advisory_unlock($1::bigint) AS released', [key]);
      if (rows[0]?.released !== true) throw new Error('the session no longer held it');
      client.off('error', onError);
      client.release();
    } catch (err) {
      client.off('error', onError);
      // Destroying the connection ends its session, and any lock still in it.
      client.release(err as Error);
      this.log.warn({ lock: name, err: (err as Error).message }, 'cluster lock release failed; its connection was closed instead');
    }
  }
}
