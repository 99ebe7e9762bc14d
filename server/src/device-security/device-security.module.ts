import { Module } from '@nestjs/common';
import { DevicesModule } from '../devices/devices.module.js';
import { PresenceService } from '../devices/presence.service.js';
import { DeviceAuthModule } from '../device-auth/device-auth.module.js';
import { DevicePresence } from './device-presence.js';
import { DeviceSecurityController } from './device-security.controller.js';
import { DeviceSecurityRepository } from './device-security.repository.js';
import { DeviceSecurityService } from './device-security.service.js';

/** Operator actions on device credentials (rotate, revoke). Separate from DeviceAuthModule, which the broker imports. */
@Module({
  imports: [DeviceAuthModule, DevicesModule],
  controllers: [DeviceSecurityController],
  providers: [
    DeviceSecurityRepository,
    DeviceSecurityService,
    { provide: DevicePresence, useExisting: PresenceService },
  ],
  exports: [DeviceSecurityService],
})
export class DeviceSecurityModule {}
