import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { timelineMessageSchema, type DeviceChannel, type TimelineMessage } from '@loa/shared';
import { EventBus } from '../src/core/bus.js';
import { SerialQueue } from '../src/core/serial-queue.js';
import { TimelineFeature } from '../src/features/timeline/timeline.feature.js';
import type { MessageRouter } from '../src/router/message-router.js';
import { silentLogger, tempDir, waitFor } from './helpers.js';

const DEVICE = 'spk-feature-01';

const timeline = (version: number, areaCodes: string[] = ['42', '4201']): TimelineMessage => ({ v: 1, deviceId: DEVICE, version, generatedAt: 1_700_000_000_000, areaCodes, slots: [] });

/** A feature starts and stops on its own: fakes stand in for the router, the uplink, the guard and the alerts. */
describe(`${TimelineFeature.name} alone`, () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let handler: ((t: TimelineMessage) => void) | null;
  let published: [DeviceChannel, unknown][];
  let rejected: string[];
  let retained: (readonly string[])[];
  let bus: EventBus;
  let feature: TimelineFeature;

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    handler = null;
    published = [];
    rejected = [];
    retained = [];
    bus = new EventBus();
    const router: Pick<MessageRouter, 'onDevice'> = {
      onDevice: (channel, schema, handle) => {
        expect([channel, schema]).toEqual(['timeline', timelineMessageSchema]);
        handler = handle as (t: TimelineMessage) => void;
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

    handler!(timeline(5));
    await waitFor(() => published.length === 1, 5000, 'ack');
    expect(published).toEqual([['timeline/ack', { v: 1, version: 5 }]]);
    expect(retained).toEqual([['42', '4201']]);
    expect(updated.map((t) => t.version)).toEqual([5]);
    expect(feature.version).toBe(5);
    expect(JSON.parse(await readFile(join(dir, 'timeline.json'), 'utf8'))).toMatchObject({ version: 5 });

    // An older version is a replay: refused and not stored.
    handler!(timeline(4));
    await feature.stop();
    expect(rejected).toEqual(['replay']);
    expect(feature.version).toBe(5);

    // Stopped: it no longer answers reconnections on the bus.
    bus.emit('mqtt.connected');
    expect(published).toHaveLength(1);
  });

  it('starts again from the stored timeline and re-acks it on a new connection', async () => {
    await feature.start();
    handler!(timeline(7));
    await waitFor(() => published.length === 1, 5000, 'ack');
    await feature.stop();

    await feature.start();
    expect(feature.version).toBe(7);
    bus.emit('mqtt.connected');
    expect(published.at(-1)).toEqual(['timeline/ack', { v: 1, version: 7 }]);
    await feature.stop();
  });
});
