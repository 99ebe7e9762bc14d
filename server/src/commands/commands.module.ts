import { Module } from '@nestjs/common';
import { DevicesModule } from '../devices/devices.module.js';
import { FanoutsModule } from '../fanouts/fanouts.module.js';
import { TargetingModule } from '../targeting/targeting.module.js';
import { CommandFanout } from './command-fanout.js';
import { CommandSweeper } from './command-sweeper.js';
import { CommandsController, DeviceCommandsController } from './commands.controller.js';
import { CommandsMqttHandler } from './commands.mqtt.js';
import { CommandsRepository } from './commands.repository.js';
import { CommandsService } from './commands.service.js';

@Module({
  // For PresenceReader: which devices are online is the presence feature's to say.
  imports: [DevicesModule, TargetingModule, FanoutsModule],
  controllers: [CommandsController, DeviceCommandsController],
  providers: [CommandsRepository, CommandsService, CommandsMqttHandler, CommandSweeper, CommandFanout],
  exports: [CommandsService],
})
export class CommandsModule {}
