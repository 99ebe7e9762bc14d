import { Injectable } from '@nestjs/common';
import type { UpdateCommand } from '@loa/shared';
import { CommandsService } from '../commands/commands.service.js';

/**
 * Where an update offer goes: the commands feature, so it is signed, queued for a device that drops offline (within
 * its TTL), resent when unanswered, and answered on `res` like any command. Tests replace it at this boundary.
 */
export abstract class OtaOffers {
  /** Sends `command` to one device; resolves with the command's id. */
  abstract offer(deviceId: string, command: UpdateCommand, ttlS: number, by: string): Promise<string>;
}

@Injectable()
export class CommandsOtaOffers extends OtaOffers {
  constructor(private readonly commands: CommandsService) {
    super();
  }

  async offer(deviceId: string, command: UpdateCommand, ttlS: number, by: string): Promise<string> {
    const created = await this.commands.create({ command, target: { deviceId }, ttlS }, by);
    return created.id;
  }
}
