import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ScopeService } from '../auth/area-scope.js';
import type { UserPrincipal } from '../auth/principal.js';
import { READERS } from '../auth/roles.js';
import { FanoutJobs, type FanoutHandler, type FanoutRun } from '../fanouts/fanout-jobs.js';
import { CommandsService } from './commands.service.js';
import { notFound } from '../common/loa-error.js';

/** Issue 14: a command's background fan-out (CommandsService.fanOut), and who may follow it (who may read the command). */
@Injectable()
export class CommandFanout implements FanoutHandler, OnModuleInit {
  constructor(
    private readonly fanouts: FanoutJobs,
    private readonly commands: CommandsService,
    private readonly scope: ScopeService,
  ) {}

  onModuleInit(): void {
    this.fanouts.register('command', this);
  }

  run(run: FanoutRun): Promise<void> {
    return this.commands.fanOut(run);
  }

  async checkReadable(user: UserPrincipal, commandId: string): Promise<void> {
    if (!READERS.includes(user.role)) throw notFound('command.not-found', { id: commandId });
    await this.commands.checkReadable(commandId, (await this.scope.of(user)).pathPattern);
  }
}
