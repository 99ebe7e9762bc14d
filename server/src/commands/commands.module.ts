import { Module } from '@nestjs/common';
import { CommandSweeper } from './command-sweeper.js';
import { CommandsController, DeviceCommandsController } from './commands.controller.js';
import { CommandsMqttHandler } from './commands.mqtt.js';
import { CommandsRepository } from './commands.repository.js';
import { CommandsService } from './commands.service.js';

@Module({
  controllers: [CommandsController, DeviceCommandsController],
  providers: [CommandsRepository, CommandsService, CommandsMqttHandler, CommandSweeper],
  exports: [CommandsService],
})
export class CommandsModule {}
