import { Injectable } from '@nestjs/common';
import { DevicesRepository } from './devices.repository.js';

/** Which area each device is in, for features that scope per-device data by area (e.g. the live dashboard). */
export abstract class DeviceAreas {
  /** Area code of each known device, in one round trip per chunk; unknown devices are absent. */
  abstract of(deviceIds: readonly string[]): Promise<Map<string, string>>;
}

@Injectable()
export class RepositoryDeviceAreas extends DeviceAreas {
  constructor(private readonly repo: DevicesRepository) {
    super();
  }

  of(deviceIds: readonly string[]): Promise<Map<string, string>> {
    return this.repo.areaCodesOf(deviceIds);
  }
}
