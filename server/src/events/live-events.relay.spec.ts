import { jest } from '@jest/globals';
import { ClusterBus, type ClusterHandler, type ClusterTopic } from '../cluster/cluster-bus.js';
import { Clock } from '../common/clock.js';
import { Metrics } from '../common/metrics.js';
import { silentLogger } from '../../test/support/fixtures.js';
import { EventBus, type ServerEvent } from './event-bus.js';
import { LiveEventsRelay } from './live-events.relay.js';

class ManualClock extends Clock {
  t = 1_000_000;
  override now(): number {
    return this.t;
  }
}

/** Instances joined in memory: what one publishes reaches the others (never itself) through JSON, as over NOTIFY. */
class Network {
  readonly buses: LoopbackBus[] = [];
  readonly sent: Array<{ from: LoopbackBus; topic: ClusterTopic; payload: unknown }> = [];
  join(): LoopbackBus {
    const bus = new LoopbackBus(this);
    this.buses.push(bus);
    return bus;
  }
}

class LoopbackBus extends ClusterBus {
  readonly clustered = true;
  private readonly handlers = new Map<string, Set<ClusterHandler>>();
  private readonly gaps = new Set<() => void>();
  constructor(private readonly net: Network) {
    super();
  }
  publish(topic: ClusterTopic, payload: unknown): void {
    this.net.sent.push({ from: this, topic, payload });
    const text = JSON.stringify(payload);
    for (const bus of this.net.buses) if (bus !== this) for (const h of bus.handlers.get(topic) ?? []) h(JSON.parse(text));
  }
  subscribe(topic: ClusterTopic, handler: ClusterHandler): () => void {
    const set = this.handlers.get(topic) ?? new Set<ClusterHandler>();
    this.handlers.set(topic, set.add(handler));
    return () => void set.delete(handler);
  }
  onGap(handler: () => void): () => void {
    this.gaps.add(handler);
    return () => void this.gaps.delete(handler);
  }
  /** Delivers a raw payload as if another instance had sent it. */
  inject(topic: ClusterTopic, payload: unknown): void {
    for (const h of this.handlers.get(topic) ?? []) h(payload);
  }
  gap(): void {
    for (const g of this.gaps) g();
  }
}

describe(LiveEventsRelay.name, () => {
  const net = () => new Network();
  const instance = (network: Network, clock = new ManualClock()) => {
    const events = new EventBus();
    const bus = network.join();
    const metrics = new Metrics();
    const relay = new LiveEventsRelay(events, bus, clock, metrics, silentLogger);
    relay.onModuleInit();
    const got: ServerEvent[] = [];
    return { events, bus, relay, metrics, clock, got, listen: () => events.subscribe((e) => got.push(e)) };
  };
  const eventsSent = (n: Network) => n.sent.filter((s) => (s.payload as { k: string }).k === 'events');

  beforeEach(() => jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick', 'queueMicrotask'] }));
  afterEach(() => jest.useRealTimers());

  it('sends nothing while no other instance has a dashboard open, and features then skip building events', () => {
    const n = net();
    const one = instance(n);
    instance(n);
    expect(one.events.listening).toBe(false);
    one.events.publish({ type: 'x' });
    jest.advanceTimersByTime(100);
    expect(eventsSent(n)).toEqual([]);
  });

  it('carries events to the instance whose dashboard listens, once, and never relays them back', () => {
    const n = net();
    const one = instance(n);
    const two = instance(n);
    const oneGot = one.got;
    one.listen();
    const stop = two.listen();
    expect(one.relay.othersListening).toBe(true); // two announced its first listener
    expect(two.relay.othersListening).toBe(true);

    one.events.publish({ type: 'device.presence', deviceId: 'a', areaCode: '01' });
    one.events.publish({ type: 'alarm.raised', areaCode: '02' });
    jest.advanceTimersByTime(20);
    expect(two.got).toEqual([
      { type: 'device.presence', deviceId: 'a', areaCode: '01' },
      { type: 'alarm.raised', areaCode: '02' },
    ]);
    expect(oneGot.map((e) => e.type)).toEqual(['device.presence', 'alarm.raised']); // its own, delivered locally once
    expect(eventsSent(n)).toHaveLength(1); // one batch, from one only: two relayed nothing back

    stop();
    expect(one.relay.othersListening).toBe(false); // two said it has no listener left
  });

  it('batches by size: a burst goes out in messages of about 7 KB, in order', () => {
    const n = net();
    const one = instance(n);
    const two = instance(n);
    two.listen();
    for (let i = 0; i < 100; i++) one.events.publish({ type: 'device.telemetry', deviceId: `d-${i}`, pad: 'x'.repeat(200) });
    jest.advanceTimersByTime(20);
    const batches = eventsSent(n).map((s) => (s.payload as { e: unknown[] }).e.length);
    expect(batches.length).toBeGreaterThan(2);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(100);
    for (const s of eventsSent(n)) expect(Buffer.byteLength(JSON.stringify(s.payload))).toBeLessThan(7999);
    expect(two.got.map((e) => e.deviceId)).toEqual(Array.from({ length: 100 }, (_, i) => `d-${i}`));
  });

  it('forgets a listener not heard from within its time-to-live, and hears again when asked who listens', () => {
    const n = net();
    const clock = new ManualClock();
    const one = instance(n, clock);
    const two = instance(n);
    two.listen();
    expect(one.relay.othersListening).toBe(true);
    clock.t += 30_000;
    expect(one.relay.othersListening).toBe(false);
    // After a gap, one asks; two answers at once.
    one.bus.gap();
    expect(one.relay.othersListening).toBe(true);
  });

  it('keeps announcing while its dashboards stay, so others do not forget it', () => {
    const n = net();
    const clock = new ManualClock();
    const one = instance(n, clock);
    const two = instance(n);
    two.listen();
    clock.t += 25_000;
    jest.advanceTimersByTime(10_000);
    clock.t += 10_000;
    expect(one.relay.othersListening).toBe(true);
  });

  it('ignores malformed messages from the channel, counting them', () => {
    const n = net();
    const one = instance(n);
    one.listen();
    one.bus.inject('live', { k: 'events', e: [{ nope: 1 }] });
    one.bus.inject('live', 'garbage');
    one.bus.inject('live', { k: 'listening', from: '', n: -1 });
    expect(one.got).toEqual([]);
    expect(one.metrics.get('live_events_relay_invalid')).toBe(3);
  });
});
