import { Global, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { Clock } from './clock.js';
import { Metrics } from './metrics.js';
import { InProcessNamedLocks, NamedLocks } from './named-locks.js';
import { StorageFull, StorageFullFilter } from './storage-full.filter.js';

@Global()
@Module({
  providers: [
    Clock,
    Metrics,
    StorageFull,
    { provide: NamedLocks, useClass: InProcessNamedLocks },
    { provide: APP_FILTER, useClass: StorageFullFilter },
  ],
  exports: [Clock, Metrics, StorageFull, NamedLocks],
})
export class CommonModule {}
