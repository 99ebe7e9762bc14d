import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { commandResultMessageSchema, statusMessageSchema } from '@loa/shared';
import { DeviceMessageRouter } from '../broker/device-message-router.js';
import { CommandsService } from './commands.service.js';

/** Presence (to send what a device is owed when it comes online) and answers on `res`. */
@Injectable()
export class CommandsMqttHandler implements OnApplicationBootstrap {
  constructor(
    private readonly router: DeviceMessageRouter,
    private readonly commands: CommandsService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.router.on('status', statusMessageSchema, (id, msg) => this.commands.handleStatus(id, msg));
    await this.router.on('res', commandResultMessageSchema, (id, msg) => this.commands.handleResult(id, msg));
  }
}
