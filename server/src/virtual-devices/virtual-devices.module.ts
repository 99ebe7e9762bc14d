import { Module, type DynamicModule } from '@nestjs/common';
import { DevicesModule } from '../devices/devices.module.js';
import { DeviceSecurityModule } from '../device-security/device-security.module.js';
import { VirtualDevicesController } from './virtual-devices.controller.js';
import { VirtualDevicesService } from './virtual-devices.service.js';
import { ClockVirtualTimers, VirtualTimers } from './virtual-timers.js';
import { PracticeDeviceSeeder } from '../practice/practice-device-seeder.js';
import { VirtualDeviceSeeder } from './virtual-device-seeder.js';

/**
 * Issue 21: virtual speakers and boards, on a practice instance only. Off practice mode the module is empty: no
 * provider, no listener, no route (GET /api/v1/practice/devices answers 404), so nothing can connect a virtual
 * device to a broker real agents use. On, it is global for its PracticeDeviceSeeder: the practice seed (practice/)
 * finds it without importing this feature, which would be an arrow back up.
 */
@Module({})
export class VirtualDevicesModule {
  static forRoot(practiceMode: boolean): DynamicModule {
    if (!practiceMode) return { module: VirtualDevicesModule };
    return {
      module: VirtualDevicesModule,
      global: true,
      imports: [DevicesModule, DeviceSecurityModule],
      controllers: [VirtualDevicesController],
      providers: [VirtualDevicesService, { provide: VirtualTimers, useClass: ClockVirtualTimers }, { provide: PracticeDeviceSeeder, useClass: VirtualDeviceSeeder }],
      exports: [VirtualDevicesService, PracticeDeviceSeeder],
    };
  }
}
