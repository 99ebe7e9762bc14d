import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  timelineDigest,
  timelineMessageSchema,
  timelineUpdateSchema,
  type DeviceChannel,
  type Slot,
  type TimelineChannel,
  type TimelineMessage,
  type TimelinePatchMessage,
  type TimelineUpdate,
} from '@loa/shared';
import { EventBus } from '../src/core/bus.js';
import { SerialQueue } from '../src/core/serial-queue.js';
import { TimelineFeature } from '../src/features/timeline/timeline.feature.js';
import type { TimelineChannelChooser } from '../src/features/mqtt/uplink.js';
import type { MessageRouter } from '../src/router/message-router.js';
import { silentLogger, tempDir, waitFor } from './helpers.js';

const DEVICE = 'spk-feature-01';

const slot = (id: string, startAt: number, title = 'Bản tin'): Slot => ({
  type: 'text',
  occurrenceId: id,
  scheduleId: 's-1',
  contentId: 'c-1',
  title,
  priority: 'normal',
  startAt,
  durationMs: 60_000,
  onPreempt: 'resume',
  text: `Thông báo ${id}`,
});

const timeline = (version: number, areaCodes: string[] = ['42', '4201'], slots: Slot[] = []): TimelineMessage => ({
  v: 1,
  deviceId: DEVICE,
  version,
  generatedAt: 1_700_000_000_000 + version,
  areaCodes,
  slots,
});

/** A patch as the server builds it: the changes, and the digest of the timeline they must give. */
const patchOf = (base: TimelineMessage, next: TimelineMessage, over: Partial<TimelinePatchMessage> = {}): TimelinePatchMessage => ({
  v: 1,
  deviceId: DEVICE,
  base: base.version,
  version: next.version,
  generatedAt: next.generatedAt,
  remove: base.slots.filter((s) => !next.slots.some((n) => n.occurrenceId === s.occurrenceId)).map((s) => s.occurrenceId),
  upsert: next.slots.filter((s) => JSON.stringify(base.slots.find((b) => b.occurrenceId === s.occurrenceId)) !== JSON.stringify(s)),
  digest: timelineDigest(next),
  ...over,
});

/** A feature starts and stops on its own: fakes stand in for the router, the uplink, the guard and the alerts. */
describe(`${TimelineFeature.name} alone`, () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let handlers: Map<DeviceChannel, (m: unknown) => void>;
  let published: [DeviceChannel, unknown][];
  let rejected: string[];
  let retained: (readonly string[])[];
  let refreshes: number;
  let chooser: TimelineChannelChooser | null;
  let bus: EventBus;
  let feature: TimelineFeature;

  const full = (t: TimelineMessage) => handlers.get('timeline')!(timelineMessageSchema.parse(t));
  /** Through the live channel's schema, as the router would hand it over. */
  const live = (u: TimelineUpdate) => handlers.get('timeline/patch')!(timelineUpdateSchema.parse(u));
  const acks = () => published.filter(([c]) => c === 'timeline/ack').map(([, v]) => (v as { version: number }).version);
  const channels = (sessionPresent?: boolean): readonly TimelineChannel[] => chooser!(sessionPresent);

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    handlers = new Map();
    published = [];
    rejected = [];
    retained = [];
    refreshes = 0;
    chooser = null;
    bus = new EventBus();
    const router: Pick<MessageRouter, 'onDevice'> = {
      onDevice: (channel, schema, handle) => {
        expect([channel, schema]).toEqual(channel === 'timeline' ? ['timeline', timelineMessageSchema] : ['timeline/patch', timelineUpdateSchema]);
        handlers.set(channel, handle as (m: unknown) => void);
        return () => undefined;
      },
    };
    feature = new TimelineFeature({
      deviceId: DEVICE,
      dataDir: dir,
      logger: silentLogger(),
      bus,
      router,
      queue: new SerialQueue(silentLogger()),
      uplink: {
        publish: async (channel, value) => {
          published.push([channel, value]);
          return true;
        },
        resubscribe: async () => true,
        refreshAreas: async () => undefined,
        chooseTimelineChannels: (choose) => void (chooser = choose),
        refreshTimelineChannels: async () => void refreshes++,
      },
      guard: { reject: (_topic, reason) => void rejected.push(reason) },
      alerts: { retain: async (codes) => void retained.push(codes) },
    });
  });

  afterEach(() => cleanup());

  it('stores a newer timeline, drops other areas’ alerts, tells the bus and acks; stops cleanly', async () => {
    const updated: TimelineMessage[] = [];
    bus.on('timeline.updated', (t) => updated.push(t));
    await feature.start();
    expect(feature.version).toBeUndefined();

    full(timeline(5));
    await waitFor(() => published.length === 1, 5000, 'ack');
    expect(published).toEqual([['timeline/ack', { v: 1, version: 5 }]]);
    expect(retained).toEqual([['42', '4201']]);
    expect(updated.map((t) => t.version)).toEqual([5]);
    expect(feature.version).toBe(5);
    expect(JSON.parse(await readFile(join(dir, 'timeline.json'), 'utf8'))).toMatchObject({ version: 5 });

    // An older version is a replay: refused and not stored.
    full(timeline(4));
    await feature.stop();
    expect(rejected).toEqual(['replay']);
    expect(feature.version).toBe(5);

    // Stopped: it no longer answers reconnections on the bus.
    bus.emit('mqtt.connected');
    expect(published).toHaveLength(1);
  });

  it('starts again from the stored timeline and re-acks it on a new connection', async () => {
    await feature.start();
    full(timeline(7));
    await waitFor(() => published.length === 1, 5000, 'ack');
    await feature.stop();

    await feature.start();
    expect(feature.version).toBe(7);
    bus.emit('mqtt.connected');
    expect(published.at(-1)).toEqual(['timeline/ack', { v: 1, version: 7 }]);
    await feature.stop();
  });

  it('follows the retained channel while it holds nothing, then only the live one', async () => {
    await feature.start();
    expect(channels(false)).toEqual(['timeline']);
    full(timeline(3));
    await waitFor(() => acks().includes(3), 5000, 'ack of 3');
    // Told to re-read its channels once it holds a timeline, which now are the live one only.
    expect(refreshes).toBe(1);
    expect(channels()).toEqual(['timeline/patch']);
    expect(channels(true)).toEqual(['timeline/patch']);
    await feature.stop();
  });

  it('applies a patch of the held version: the result is stored, acked and announced as a whole timeline', async () => {
    const updated: TimelineMessage[] = [];
    bus.on('timeline.updated', (t) => updated.push(t));
    await feature.start();
    const v5 = timeline(5, ['42', '4201'], [slot('a', 1000), slot('b', 2000), slot('c', 3000)]);
    full(v5);
    await waitFor(() => acks().includes(5), 5000, 'ack of 5');

    // b removed, c changed, d added, the device moved to another commune.
    const v6 = timeline(6, ['42', '4202'], [slot('a', 1000), slot('d', 1500), slot('c', 3000, 'Bản tin (sửa)')]);
    const patch = patchOf(v5, v6, { areaCodes: ['42', '4202'] });
    expect(patch.upsert.map((s) => s.occurrenceId)).toEqual(['d', 'c']);
    live(patch);
    await waitFor(() => acks().includes(6), 5000, 'ack of 6');
    expect(feature.current).toEqual(timelineMessageSchema.parse(v6));
    expect(feature.slots.map((s) => s.occurrenceId)).toEqual(['a', 'd', 'c']);
    expect(updated.at(-1)).toEqual(feature.current);
    expect(retained.at(-1)).toEqual(['42', '4202']);
    expect(JSON.parse(await readFile(join(dir, 'timeline.json'), 'utf8'))).toEqual(feature.current);
    expect(channels()).toEqual(['timeline/patch']);
    await feature.stop();
  });

  it('fetches the whole timeline when a patch is of another version, and follows only the live channel again once it has it', async () => {
    await feature.start();
    const v5 = timeline(5, ['42'], [slot('a', 1000)]);
    full(v5);
    await waitFor(() => acks().includes(5), 5000, 'ack of 5');
    const refreshesBefore = refreshes;

    // Version 6 never arrived (say); the patch of 6 into 7 cannot apply to 5.
    const v6 = timeline(6, ['42'], [slot('a', 1000), slot('b', 2000)]);
    const v7 = timeline(7, ['42'], [slot('a', 1000), slot('b', 2000), slot('c', 3000)]);
    live(patchOf(v6, v7));
    await waitFor(() => refreshes > refreshesBefore, 5000, 'asked to follow the retained channel');
    expect(channels()).toEqual(['timeline', 'timeline/patch']);
    expect(feature.version).toBe(5);
    expect(acks()).not.toContain(7);

    // The retained copy (published before the patch) arrives on the channel now followed.
    full(v7);
    await waitFor(() => acks().includes(7), 5000, 'ack of 7');
    expect(feature.current).toEqual(timelineMessageSchema.parse(v7));
    expect(channels()).toEqual(['timeline/patch']);
    // A patch overtaken by the whole timeline changes nothing (the second one, re-acked, shows both were handled).
    live(patchOf(v5, v6));
    live(patchOf(v6, v7));
    await waitFor(() => acks().filter((v) => v === 7).length === 2, 5000, 'the overtaken patch of 7 re-acked');
    expect(feature.version).toBe(7);
    expect(rejected).toEqual([]);
    await feature.stop();
  });

  it('keeps the held timeline when a patch does not give what the server compiled, and fetches it whole', async () => {
    await feature.start();
    const v5 = timeline(5, ['42'], [slot('a', 1000)]);
    full(v5);
    await waitFor(() => acks().includes(5), 5000, 'ack of 5');
    const v6 = timeline(6, ['42'], [slot('a', 1000), slot('b', 2000)]);
    live(patchOf(v5, v6, { digest: timelineDigest(timeline(6, ['42'], [slot('a', 1000)])) }));
    await waitFor(() => channels().includes('timeline'), 5000, 'the retained channel wanted');
    expect(feature.version).toBe(5);
    expect(feature.slots.map((s) => s.occurrenceId)).toEqual(['a']);
    await feature.stop();
  });

  it('takes a whole timeline on the live channel, and refuses one for another device there too', async () => {
    await feature.start();
    full(timeline(5));
    await waitFor(() => acks().includes(5), 5000, 'ack of 5');
    live(timeline(8, ['42'], [slot('x', 1000)]));
    await waitFor(() => acks().includes(8), 5000, 'ack of 8');
    expect(feature.slots.map((s) => s.occurrenceId)).toEqual(['x']);
    live({ ...patchOf(timeline(8), timeline(9)), deviceId: 'spk-other-01' });
    live({ ...timeline(10), deviceId: 'spk-other-01' });
    await waitFor(() => rejected.length === 2, 5000, 'two refusals');
    expect(rejected).toEqual(['wrong-device', 'wrong-device']);
    expect(feature.version).toBe(8);
    await feature.stop();
  });

  it('checks what it holds against the retained copy after a connect without its old session', async () => {
    await feature.start();
    full(timeline(5));
    await waitFor(() => acks().includes(5), 5000, 'ack of 5');
    // The broker kept the session: whatever was published meanwhile is queued on the live channel.
    expect(channels(true)).toEqual(['timeline/patch']);
    // It did not (a restarted broker): the retained copy is fetched, and once it is in, dropped again.
    expect(channels(false)).toEqual(['timeline', 'timeline/patch']);
    full(timeline(5));
    await waitFor(() => acks().filter((v) => v === 5).length === 2, 5000, 'the retained copy re-acked');
    expect(channels()).toEqual(['timeline/patch']);
    await feature.stop();
  });
});
