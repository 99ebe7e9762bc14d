import { Injectable } from '@nestjs/common';
import type { DeviceKind } from '@loa/shared';
import { DevicesService, type NewDevice } from '../devices/devices.service.js';
import { PracticeDeviceSeeder } from '../practice/practice-device-seeder.js';

/** Device ids a seed gives: `vspk-<commune>-<n>`, `vbrd-<commune>-<n>` (the same on every retry, so it is idempotent). */
export const virtualDeviceId = (kind: DeviceKind, communeCode: string, n: number): string => `${kind === 'speaker' ? 'vspk' : 'vbrd'}-${communeCode.toLowerCase()}-${n}`;

/**
 * Issue 21: the devices a new sandbox gets, registered through the ordinary service in one batch; `device.registered`
 * then starts their virtual devices (VirtualDevicesService). A seed retried after a lost answer adds only what is
 * missing.
 */
@Injectable()
export class VirtualDeviceSeeder extends PracticeDeviceSeeder {
  constructor(private readonly devices: DevicesService) {
    super();
  }

  async seed(communeCodes: readonly string[], speakers: number, boards: number): Promise<number> {
    const existing = new Set((await this.devices.list()).map((d) => d.id));
    const wanted: NewDevice[] = [];
    for (const code of communeCodes) {
      for (let n = 1; n <= speakers; n++) wanted.push({ id: virtualDeviceId('speaker', code, n), name: `Loa ảo ${n}`, kind: 'speaker', areaCode: code, tags: ['practice'] });
      for (let n = 1; n <= boards; n++) wanted.push({ id: virtualDeviceId('board', code, n), name: `Bảng tin ảo ${n}`, kind: 'board', areaCode: code, tags: ['practice'] });
    }
    const missing = wanted.filter((d) => !existing.has(d.id));
    if (missing.length > 0) await this.devices.registerMany(missing);
    return missing.length;
  }
}
