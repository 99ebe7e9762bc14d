import type pg from 'pg';

/** What an instance's own PostgreSQL connections (leader, locks, bus) are opened with. */
export interface ClusterDatabase {
  /** The database URL (LOA_DATABASE_URL), so TLS and credentials are the application's own. */
  url: string;
  /** LOA_INSTANCE_ID: names the connections in pg_stat_activity (`loa-<role>:<instance>`). */
  instanceId: string;
}

const CONNECT_TIMEOUT_MS = 5000;

/**
 * Client settings for one of the cluster's connections. TCP keepalive on our side notices a dead server; the
 * server-side keepalive settings, sent with the startup packet, make the server notice a dead or cut-off instance
 * within about 11 s instead of the system default (two hours), so its advisory locks (leadership) are released in
 * bounded time (unless the URL sets its own `options`). PostgreSQL ignores them on Unix sockets, where the kernel
 * reports a dead peer at once.
 */
export function clusterClientConfig(db: ClusterDatabase, role: 'leader' | 'locks' | 'bus' | 'bus-publish'): pg.ClientConfig {
  return {
    connectionString: db.url,
    application_name: `loa-${role}:${db.instanceId}`.slice(0, 63),
    keepAlive: true,
    keepAliveInitialDelayMillis: 5000,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    options: '-c tcp_keepalives_idle=5 -c tcp_keepalives_interval=2 -c tcp_keepalives_count=3',
  };
}

/**
 * Ends a client without waiting on a dead peer: a connection cut off by the network never answers the goodbye, so
 * after a short grace its socket is destroyed (the server then ends the session, and frees its locks, on its own).
 */
export async function closeClient(client: pg.Client, graceMs = 1000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const ended = client.end().then(
    () => true,
    () => true,
  );
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), graceMs);
    timer.unref();
  });
  const clean = await Promise.race([ended, late]);
  clearTimeout(timer);
  if (!clean) (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}
