import type { DataSource } from 'typeorm';
import { Clock } from '../common/clock.js';
import { EventBus, type ServerEvent } from './event-bus.js';
import { LiveEvents, TELEMETRY_EVERY_MS, type TelemetrySample } from './live-events.js';

class ManualClock extends Clock {
  t = 1_000_000;
  override now(): number {
    return this.t;
  }
}

/** A DataSource that knows device → area and counts the lookups. */
function fakeDb(areas: Record<string, string>) {
  const lookups: string[][] = [];
  const db = {
    getRepository: () => ({
      find: async ({ where }: { where: { id: { value: string[] } } }) => {
        const ids = where.id.value;
        lookups.push(ids);
        return ids.filter((id) => id in areas).map((id) => ({ id, areaCode: areas[id] }));
      },
    }),
  } as unknown as DataSource;
  return { db, lookups };
}

const sample = (deviceId: string, at: number, volume: number): TelemetrySample => ({
  deviceId,
  at,
  volume,
  muted: false,
  playing: null,
  freeDiskBytes: 512 * 1024 * 1024,
  outputLevelLufs: -16,
  temperatureC: 41.5,
  rssBytes: 64 * 1024 * 1024,
});

describe(LiveEvents.name, () => {
  const setup = () => {
    const bus = new EventBus();
    const events: ServerEvent[] = [];
    bus.subscribe((e) => events.push(e));
    const clock = new ManualClock();
    const { db, lookups } = fakeDb({ 'spk-a': '00004', 'spk-b': '00005' });
    return { sut: new LiveEvents(bus, db, clock), events, clock, lookups };
  };

  it('forwards at most one telemetry sample per device per 10 s, the newest of a batch, with its area', async () => {
    const { sut, events, clock } = setup();
    await sut.telemetry([sample('spk-a', 1, 10), sample('spk-a', 3, 30), sample('spk-a', 2, 20), sample('spk-b', 1, 50)]);
    expect(events.map((e) => [e.deviceId, e.areaCode, e.volume])).toEqual([
      ['spk-a', '00004', 30],
      ['spk-b', '00005', 50],
    ]);
    expect(events[0]).toMatchObject({ type: 'device.telemetry', diskFreeMb: 512, rssMb: 64, temperatureC: 41.5, outputLevelLufs: -16 });
    clock.t += TELEMETRY_EVERY_MS - 1;
    await sut.telemetry([sample('spk-a', 4, 40)]);
    expect(events).toHaveLength(2);
    clock.t += 1;
    await sut.telemetry([sample('spk-a', 5, 41)]);
    expect(events.map((e) => e.volume)).toEqual([30, 50, 41]);
  });

  it('looks each device area up once per batch and then from its cache, and drops events of unknown devices', async () => {
    const { sut, events, lookups } = setup();
    const change = (deviceId: string) => ({ scheduleId: 's', occurrenceId: 's:1', deviceId, state: 'started' as const, reason: null, at: 5 });
    await sut.deliveries([change('spk-a'), change('spk-a'), change('ghost')]);
    await sut.deliveries([change('spk-a')]);
    expect(lookups).toEqual([['spk-a', 'ghost']]);
    expect(events.map((e) => [e.type, e.deviceId, e.areaCode, e.at])).toEqual([
      ['delivery.state', 'spk-a', '00004', new Date(5).toISOString()],
      ['delivery.state', 'spk-a', '00004', new Date(5).toISOString()],
      ['delivery.state', 'spk-a', '00004', new Date(5).toISOString()],
    ]);
    sut.forgetDevice('spk-a');
    await sut.presence([{ deviceId: 'spk-a', at: 7, state: 'offline', reason: 'will' }]);
    expect(lookups.at(-1)).toEqual(['spk-a']);
    expect(events.at(-1)).toEqual({ type: 'device.presence', deviceId: 'spk-a', areaCode: '00004', online: false, reason: 'will', at: new Date(7).toISOString() });
  });

  it('never throws into the publisher when the area lookup fails', async () => {
    const bus = new EventBus();
    const db = { getRepository: () => ({ find: async () => Promise.reject(new Error('db down')) }) } as unknown as DataSource;
    const sut = new LiveEvents(bus, db, new ManualClock());
    await expect(sut.presence([{ deviceId: 'x', at: 1, state: 'online', reason: 'connect' }])).resolves.toBeUndefined();
  });
});
