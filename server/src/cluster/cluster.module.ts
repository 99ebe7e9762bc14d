import { Global, Module } from '@nestjs/common';
import { Metrics } from '../common/metrics.js';
import { InProcessNamedLocks, NamedLocks } from '../common/named-locks.js';
import { AppConfig } from '../config/app-config.js';
import { JobLocks } from '../jobs/job-locks.js';
import { LeaderGate, SingleInstanceLeaderGate } from '../jobs/leader-gate.js';
import type { AppLogger } from '../logging/logger.js';
import { LOGGER } from '../logging/logging.module.js';
import { CacheInvalidation } from './cache-invalidation.js';
import { ClusterBus, InProcessClusterBus } from './cluster-bus.js';
import type { ClusterDatabase } from './pg-connection.js';
import { PostgresClusterBus } from './postgres-cluster-bus.js';
import { PostgresLeaderGate } from './postgres-leader-gate.js';
import { PostgresNamedLocks } from './postgres-named-locks.js';

/** The database other instances may share (PostgreSQL), or null for one process alone (SQLite). */
export function clusterDatabase(config: AppConfig): ClusterDatabase | null {
  return config.clustered && config.database.type === 'postgres' ? { url: config.database.url, instanceId: config.instanceId } : null;
}

const deps = [AppConfig, Metrics, LOGGER];

/**
 * How instances sharing one database coordinate, chosen by configuration: on PostgreSQL (AppConfig.clustered) an
 * elected leader (LeaderGate), locks across instances (NamedLocks), and a bus for cache invalidations and live
 * events (ClusterBus, CacheInvalidation); on SQLite, today's in-process classes, with no connection of their own.
 *
 * The ports belong to the ground floor (common/, jobs/), which cannot import this folder (it would be a cycle), so
 * the choice is made here and this global module provides them.
 */
@Global()
@Module({
  providers: [
    {
      provide: ClusterBus,
      inject: deps,
      useFactory: (config: AppConfig, metrics: Metrics, logger: AppLogger): ClusterBus => {
        const db = clusterDatabase(config);
        return db ? new PostgresClusterBus(db, metrics, logger) : new InProcessClusterBus();
      },
    },
    {
      provide: NamedLocks,
      inject: deps,
      useFactory: (config: AppConfig, metrics: Metrics, logger: AppLogger): NamedLocks => {
        const db = clusterDatabase(config);
        return db ? new PostgresNamedLocks(db, metrics, logger) : new InProcessNamedLocks();
      },
    },
    {
      // A pool apart from the features' NamedLocks: each running job holds a connection for its whole run.
      provide: JobLocks,
      inject: deps,
      useFactory: (config: AppConfig, metrics: Metrics, logger: AppLogger): JobLocks => {
        const db = clusterDatabase(config);
        return db ? new PostgresNamedLocks(db, metrics, logger, { maxConnections: 16 }) : new InProcessNamedLocks();
      },
    },
    {
      provide: LeaderGate,
      inject: deps,
      useFactory: (config: AppConfig, metrics: Metrics, logger: AppLogger): LeaderGate => {
        const db = clusterDatabase(config);
        return db ? new PostgresLeaderGate(db, metrics, logger) : new SingleInstanceLeaderGate();
      },
    },
    CacheInvalidation,
  ],
  exports: [ClusterBus, NamedLocks, JobLocks, LeaderGate, CacheInvalidation],
})
export class ClusterModule {}
