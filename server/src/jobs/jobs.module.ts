import { Global, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { JobScheduler } from './job-scheduler.js';

/**
 * Fleet-wide periodic work, run by the leader instance only. Features keep their sweep methods and schedule them
 * from a small `*.job.ts` provider of their own. Per-process timers (the login rate limiter's window sweep, the
 * dashboard socket pinger) stay local on purpose: every instance has that state.
 *
 * The LeaderGate comes from the ClusterModule: always the leader on SQLite, an advisory lock election on PostgreSQL.
 */
@Global()
@Module({
  imports: [ScheduleModule.forRoot()],
  providers: [JobScheduler],
  exports: [JobScheduler],
})
export class JobsModule {}
