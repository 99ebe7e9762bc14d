import { Module } from '@nestjs/common';
import { AreasModule } from '../areas/areas.module.js';
import { DeviceAuthModule } from '../device-auth/device-auth.module.js';
import { DeviceAreas, RepositoryDeviceAreas } from './device-areas.js';
import { DevicesController } from './devices.controller.js';
import { DeviceLocationsController } from './device-locations.controller.js';
import { DeviceLocationsListener } from './device-locations.listener.js';
import { DeviceLocationsRepository } from './device-locations.repository.js';
import { DeviceLocationsService } from './device-locations.service.js';
import { DevicesMqttHandler } from './devices.mqtt.js';
import { DevicesRepository } from './devices.repository.js';
import { DevicesService } from './devices.service.js';
import { DeviceListRepository } from './device-list.repository.js';
import { DeviceListService } from './device-list.service.js';
import { PresenceReader } from './presence-reader.js';
import { PresenceSweepJob } from './presence-sweep.job.js';
import { PresenceWriter } from './presence-writer.js';
import { PresenceService } from './presence.service.js';

@Module({
  imports: [AreasModule, DeviceAuthModule],
  controllers: [DevicesController, DeviceLocationsController],
  providers: [DevicesRepository, DevicesService, DeviceLocationsRepository, DeviceLocationsService, DeviceLocationsListener, DeviceListRepository, DeviceListService, DevicesMqttHandler, PresenceWriter, PresenceService, PresenceSweepJob, { provide: PresenceReader, useExisting: PresenceWriter }, { provide: DeviceAreas, useClass: RepositoryDeviceAreas }],
  exports: [DevicesService, PresenceService, PresenceReader, DeviceAreas],
})
export class DevicesModule {}
