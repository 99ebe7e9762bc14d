import { Global, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { JobScheduler } from './job-scheduler.js';
import { LeaderGate, SingleInstanceLeaderGate } from './leader-gate.js';

/**
 * Fleet-wide periodic work, run by the leader instance only. Features keep their sweep methods and schedule them
 * from a small `*.job.ts` provider of their own. Per-process timers (the login rate limiter's window sweep, the
 * dashboard socket pinger) stay local on purpose: every instance has that state.
 */
@Global()
@Module({
  imports: [ScheduleModule.forRoot()],
  providers: [JobScheduler, { provide: LeaderGate, useClass: SingleInstanceLeaderGate }],
  exports: [JobScheduler, LeaderGate],
})
export class JobsModule {}
