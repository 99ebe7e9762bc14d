import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { deviceTopic, telemetryMessageSchema, type TimelineMessage } from '@loa/shared';
import { Backoff } from '../src/backoff.js';
import { agentConfigSchema } from '../src/config.js';
import { Controller } from '../src/controller.js';
import { startBroker, type TestBroker } from './broker.js';
import { silentLogger, waitFor } from './helpers.js';
import { startMediaServer, type MediaServer } from './media-server.js';
import { mountSmallDisk, type SmallDisk } from '../../test/support/small-disk.js';

const DEVICE = 'spk-disk-01';
const SECRET = 'pw-disk';
const MB = 1024 * 1024;

// Issue 12, item 3: an agent whose data directory is a real 8 MB file system is sent a 6 MB file (4 MB reserve).
describe('agent: media that does not fit', () => {
  let disk: SmallDisk;
  let broker: TestBroker;
  let media: MediaServer;
  let agent: Controller | null = null;

  beforeEach(async () => {
    disk = mountSmallDisk(8 * MB, 'loa-agent-lowdisk-');
    broker = await startBroker({ [DEVICE]: SECRET });
    media = await startMediaServer({ user: DEVICE, pass: SECRET });
  });
  afterEach(async () => {
    await agent?.stop();
    agent = null;
    await broker.close();
    await media.close();
    disk.close();
  });

  it('is refused before a byte is written and reported at once in telemetry, for the low-disk alarm', async () => {
    const data = randomBytes(6 * MB);
    const sha = media.add(data);
    const config = agentConfigSchema.parse({
      serverUrl: media.url,
      mqttUrl: broker.url,
      serverPublicKey: broker.publicKey,
      deviceId: DEVICE,
      secret: SECRET,
      kind: 'speaker',
      dataDir: join(disk.dir, 'agent'),
      audioOutput: 'null',
      mediaReserveMb: '4',
    });
    // No periodic sample during the test: the report must be the one the refusal sends.
    agent = new Controller(config, { logger: silentLogger(), reconnectBackoff: new Backoff({ baseMs: 100, capMs: 400 }), telemetryIntervalMs: 3_600_000 });
    await agent.start();
    const timeline: TimelineMessage = {
      v: 1,
      deviceId: DEVICE,
      version: 1,
      generatedAt: Date.now(),
      slots: [
        {
          type: 'audio',
          occurrenceId: 'occ-big',
          scheduleId: 'sch-1',
          contentId: 'cnt-1',
          title: 'Bản tin dài',
          priority: 'normal',
          startAt: Date.now() + 3_600_000,
          durationMs: 60_000,
          volume: 80,
          media: { sha256: sha, bytes: data.length, durationMs: 60_000, mime: 'audio/mpeg' },
        },
      ],
    };
    await broker.publish(deviceTopic(DEVICE, 'timeline'), timeline, { retain: true });

    const report = await waitFor(
      () =>
        broker.published
          .filter((p) => p.topic === deviceTopic(DEVICE, 'telemetry'))
          .map((p) => telemetryMessageSchema.parse(JSON.parse(p.payload.toString())))
          .find((t) => t.mediaBlockedBytes !== undefined),
      10_000,
      'telemetry reporting the refused download',
    );
    expect(report.mediaBlockedBytes).toBe(data.length);
    expect(report.freeDiskBytes).toBeGreaterThan(6 * MB); // the disk was never filled
    expect(media.requests.some((r) => r.status === 200)).toBe(true);
    expect((await readdir(join(disk.dir, 'agent', 'media'))).filter((n) => n.startsWith(sha))).toEqual([]);
  });
});
