import { OnEvent } from '@nestjs/event-emitter';
import type { StatusMessage } from '@loa/shared';
import { TestDomainEvents } from '../../test/support/domain-events.js';
import type { AreasService } from '../areas/areas.service.js';
import type { DeviceEntity } from './device.entity.js';
import { createLogger } from '../logging/logger.js';
import type { DevicesRepository } from './devices.repository.js';
import { DevicesService } from './devices.service.js';
import type { PresenceWriter } from './presence-writer.js';
import type { Clock } from '../common/clock.js';

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

/** Stands for planning: finishes its reaction only after a later turn of the event loop. */
class SlowPlanner {
  constructor(private readonly order: string[]) {}

  @OnEvent('device.updated')
  async replan(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    this.order.push('replanned');
  }
}

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
  const events = new TestDomainEvents();
  const presence = { write: async () => undefined } as unknown as PresenceWriter;
  const clock = { now: () => 1_000 } as unknown as Clock;
  const sut = new DevicesService(repo, areas, null as never, presence, clock, null as never, createLogger('silent'), events);
  return { sut, events };
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

  it("waits for device.updated's listeners (planning) before answering", async () => {
    const { sut, events } = setup();
    const order: string[] = [];
    events.listen(new SlowPlanner(order));
    await sut.update('spk-1', { tags: ['school'] });
    order.push('answered');
    expect(order).toEqual(['replanned', 'answered']);
  });

  it('announces an online status with the timeline version the device holds, and nothing for offline', async () => {
    const { sut, events } = setup();
    await sut.handleStatus('spk-1', { state: 'online', timelineVersion: 3 } as StatusMessage);
    await sut.handleStatus('spk-1', { state: 'offline', reason: 'will' } as StatusMessage);
    expect(events.payloads('device.online')).toEqual([{ deviceId: 'spk-1', timelineVersion: 3 }]);
  });
});
