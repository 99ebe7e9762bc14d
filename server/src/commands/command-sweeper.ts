import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { JobScheduler } from '../jobs/job-scheduler.js';
import { CommandsService } from './commands.service.js';

export const COMMAND_SWEEP_MS = 5000;
export const COMMAND_SWEEP_JOB = 'commands.sweep';

/** Every few seconds (on the leader): expires commands nobody answered in time, and sends again what online devices left unanswered. */
@Injectable()
export class CommandSweeper implements OnApplicationBootstrap {
  constructor(
    private readonly commands: CommandsService,
    private readonly jobs: JobScheduler,
  ) {}

  onApplicationBootstrap(): void {
    this.jobs.schedule({ name: COMMAND_SWEEP_JOB, intervalMs: COMMAND_SWEEP_MS, runAtStart: true, run: () => this.commands.sweep() });
  }
}
