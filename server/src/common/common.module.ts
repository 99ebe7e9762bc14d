import { Global, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { Clock } from './clock.js';
import { Metrics } from './metrics.js';
import { StorageFull, StorageFullFilter } from './storage-full.filter.js';

/**
 * Clock, metrics and the storage-full answer. NamedLocks (named-locks.ts) is provided by the ClusterModule, which
 * picks the in-process chain (SQLite) or PostgreSQL advisory locks (several instances).
 */
@Global()
@Module({
  providers: [Clock, Metrics, StorageFull, { provide: APP_FILTER, useClass: StorageFullFilter }],
  exports: [Clock, Metrics, StorageFull],
})
export class CommonModule {}
