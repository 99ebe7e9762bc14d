import { Clock } from '../common/clock.js';
import { DeviceAreas } from '../devices/device-areas.js';
import { TestDomainEvents } from '../../test/support/domain-events.js';
import { EventBus, type ServerEvent } from './event-bus.js';
import { LiveEvents, TELEMETRY_EVERY_MS, type TelemetrySample } from './live-events.js';

class ManualClock extends Clock {
  t = 1_000_000;
  override now(): number {
    return this.t;
  }
}

/** Knows device → area and records the lookups. */
class FakeDeviceAreas extends DeviceAreas {
  readonly lookups: string[][] = [];
  constructor(private readonly areas: Record<string, string>) {
    super();
  }
  async of(ids: readonly string[]): Promise<Map<string, string>> {
    this.lookups.push([...ids]);
    return new Map(ids.filter((id) => id in this.areas).map((id) => [id, this.areas[id]!]));
  }
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
    const areas = new FakeDeviceAreas({ 'spk-a': '00004', 'spk-b': '00005' });
    return { sut: new LiveEvents(bus, areas, clock), events, clock, lookups: areas.lookups };
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
    const down = new (class extends DeviceAreas {
      of = async (): Promise<Map<string, string>> => Promise.reject(new Error('db down'));
    })();
    const sut = new LiveEvents(bus, down, new ManualClock());
    await expect(sut.presence([{ deviceId: 'x', at: 1, state: 'online', reason: 'connect' }])).resolves.toBeUndefined();
  });

  describe('as a listener of domain events', () => {
    /** LiveEvents subscribed to domain events as Nest does; `next()` resolves with the next dashboard event. */
    const wired = () => {
      const bus = new EventBus();
      const queue: ServerEvent[] = [];
      const waiting: Array<(e: ServerEvent) => void> = [];
      bus.subscribe((e) => (waiting.length > 0 ? waiting.shift()!(e) : queue.push(e)));
      const next = () => (queue.length > 0 ? Promise.resolve(queue.shift()!) : new Promise<ServerEvent>((resolve) => waiting.push(resolve)));
      const areas = new FakeDeviceAreas({ 'spk-a': '00004' });
      const events = new TestDomainEvents().listen(new LiveEvents(bus, areas, new ManualClock()));
      return { events, next, areas };
    };

    it('turns presence.changed into device.presence with the device area', async () => {
      const { events, next } = wired();
      events.emit('presence.changed', { changes: [{ deviceId: 'spk-a', at: 7, state: 'online', reason: 'connect' }] });
      expect(await next()).toEqual({ type: 'device.presence', deviceId: 'spk-a', areaCode: '00004', online: true, reason: 'connect', at: new Date(7).toISOString() });
    });

    it('turns deliveries, alarms, command results and content states into their dashboard events', async () => {
      const { events, next } = wired();
      events.emit('deliveries.changed', { changes: [{ scheduleId: 's', occurrenceId: 's:1', deviceId: 'spk-a', state: 'delivered', reason: null, at: 5 }] });
      expect(await next()).toEqual({ type: 'delivery.state', scheduleId: 's', occurrenceId: 's:1', deviceId: 'spk-a', areaCode: '00004', state: 'delivered', reason: null, at: new Date(5).toISOString() });
      const alarm = { id: 'al-1', deviceId: 'spk-a', kind: 'offline' as const, active: true, detail: 'd', raisedAt: '', clearedAt: null, clearedDetail: null, ackedAt: null, ackedBy: null, ackedByUserId: null };
      events.emit('alarm.raised', { alarms: [alarm] });
      expect(await next()).toEqual({ type: 'alarm.raised', alarm, areaCode: '00004' });
      events.emit('command.results', { results: [{ commandId: 'c-1', deviceId: 'spk-a', status: 'ok' }] });
      expect(await next()).toEqual({ type: 'command.result', commandId: 'c-1', deviceId: 'spk-a', areaCode: '00004', status: 'ok' });
      events.emit('content.stateChanged', { contentId: 'ct-1', state: 'approved', by: 'u-1' });
      expect(await next()).toEqual({ type: 'content.state', contentId: 'ct-1', state: 'approved', by: 'u-1' });
    });

    it('sends a fan-out job scoped to the area that holds its devices, and none that no one area holds', async () => {
      const { events, next } = wired();
      const job = { id: 'f-1', kind: 'schedule' as const, ref: 's-1', state: 'sending' as const, total: 10, done: 4, deferred: 0, error: null, createdAt: '', updatedAt: '', finishedAt: null };
      events.emit('fanout.changed', { job: { ...job, id: 'f-0' }, areaCode: null });
      events.emit('fanout.changed', { job, areaCode: '01' });
      // The unscoped one was never sent: an event without an area would reach every client.
      expect(await next()).toEqual({ type: 'fanout.progress', areaCode: '01', job });
    });

    it('relays a feedback item step scoped to its commune, without the resident', async () => {
      const { events, next } = wired();
      events.emit('feedback.changed', { itemId: 'fb-1', code: 'PA-7K3M9QXR', areaCode: '00004', state: 'answered', kind: 'answered', at: 9 });
      expect(await next()).toEqual({ type: 'feedback.changed', itemId: 'fb-1', code: 'PA-7K3M9QXR', areaCode: '00004', state: 'answered', kind: 'answered' });
    });

    it('looks a moved device area up again once device.moved was emitted', async () => {
      const { events, next, areas } = wired();
      const presence = (at: number) => events.emit('presence.changed', { changes: [{ deviceId: 'spk-a', at, state: 'online', reason: 'connect' }] });
      presence(1);
      await next();
      presence(2);
      await next();
      expect(areas.lookups).toEqual([['spk-a']]);
      events.emit('device.moved', { deviceId: 'spk-a', fromArea: '00004', toArea: '00005' });
      presence(3);
      await next();
      expect(areas.lookups).toEqual([['spk-a'], ['spk-a']]);
    });
  });
});
