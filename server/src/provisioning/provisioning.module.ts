import { Module } from '@nestjs/common';
import { AreasModule } from '../areas/areas.module.js';
import { DeviceAuthModule } from '../device-auth/device-auth.module.js';
import { DevicesModule } from '../devices/devices.module.js';
import { EnrollmentController } from './enrollment.controller.js';
import { EnrollmentService } from './enrollment.service.js';
import { ProvisioningKeysController } from './provisioning-keys.controller.js';
import { ProvisioningKeysService } from './provisioning-keys.service.js';
import { ProvisioningRepository } from './provisioning.repository.js';

@Module({
  imports: [AreasModule, DeviceAuthModule, DevicesModule],
  controllers: [ProvisioningKeysController, EnrollmentController],
  providers: [ProvisioningRepository, ProvisioningKeysService, EnrollmentService],
})
export class ProvisioningModule {}
