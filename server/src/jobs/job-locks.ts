import { NamedLocks } from '../common/named-locks.js';

/**
 * The locks periodic jobs run under (`job:<name>`), so one job never runs twice at once across instances: at a
 * leader failover the old leader's run may still be going when the new leader's first tick comes. On PostgreSQL the
 * ClusterModule gives this port its own small advisory-lock pool, apart from the features' NamedLocks: every job
 * holds (or waits for) its lock for its whole run, and with the jobs' own locks taken inside, sharing one pool could
 * leave every connection held by a job waiting for one more. A lock held by an instance that died is released with
 * its connection. On SQLite the in-process version stands in (the scheduler already never overlaps a job with itself).
 */
export abstract class JobLocks extends NamedLocks {}

/** The lock name a job runs under. */
export const jobLockName = (jobName: string): string => `job:${jobName}`;
