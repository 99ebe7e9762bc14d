import { TestDomainEvents } from '../../test/support/domain-events.js';
import type { AreasService } from '../areas/areas.service.js';
import type { DeviceEntity } from './device.entity.js';
import { createLogger } from '../logging/logger.js';
import type { Materializer } from '../planning/materializer.js';
import type { DevicesRepository } from './devices.repository.js';
import { DevicesService } from './devices.service.js';

const device: DeviceEntity = {
  id: 'spk-1',
  name: 'Market',
  kind: 'speaker',
  areaCode: '00004',
  tags: ['market'],
  profileId: null,
  createdAt: 0,
  timelineVersion: 1,
  ackedTimelineVersion: 0,
} as unknown as DeviceEntity;

/** DevicesService with fakes of its ports; only what update() touches does anything. */
function setup() {
  let row = { ...device };
  const repo = {
    find: async () => ({ ...row }),
    update: async (_id: string, patch: Partial<DeviceEntity>) => void (row = { ...row, ...patch }),
    latestTelemetry: async () => new Map(),
    revocations: async () => new Map(),
  } as unknown as DevicesRepository;
  const areas = { get: async (code: string) => ({ code }) } as unknown as AreasService;
  const reconciled: string[][][] = [];
  const materializer = { reconcileDevices: async (ids: readonly string[], always: readonly string[]) => (reconciled.push([[...ids], [...always]]), []) } as unknown as Materializer;
  const events = new TestDomainEvents();
  const sut = new DevicesService(repo, areas, null as never, null as never, materializer, null as never, null as never, null as never, createLogger('silent'), events);
  return { sut, events, reconciled };
}

describe(`${DevicesService.name} announcing device changes`, () => {
  it('emits device.moved (from and to area) and device.updated when a device changes area, and clears no cache itself', async () => {
    const { sut, events } = setup();
    await sut.update('spk-1', { areaCode: '00005' });
    expect(events.emitted).toEqual([
      { name: 'device.moved', payload: { deviceId: 'spk-1', fromArea: '00004', toArea: '00005' } },
      { name: 'device.updated', payload: { deviceId: 'spk-1', moved: true, retagged: false, reprofiled: false } },
    ]);
  });

  it('emits only device.updated for a rename or new tags, and nothing when the patch changes nothing', async () => {
    const { sut, events } = setup();
    await sut.update('spk-1', { name: 'Market', tags: ['market'], areaCode: '00004' });
    expect(events.emitted).toEqual([]);
    await sut.update('spk-1', { name: 'Old market' });
    await sut.update('spk-1', { tags: ['market', 'school'] });
    expect(events.payloads('device.updated')).toEqual([
      { deviceId: 'spk-1', moved: false, retagged: false, reprofiled: false },
      { deviceId: 'spk-1', moved: false, retagged: true, reprofiled: false },
    ]);
    expect(events.payloads('device.moved')).toEqual([]);
  });
});
