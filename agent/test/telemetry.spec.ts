import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { telemetryMessageSchema, type TelemetryMessage } from '@loa/shared';
import { SystemClock } from '../src/clock.js';
import { Telemetry, thermalZone } from '../src/features/telemetry/telemetry.js';
import { silentLogger, tempDir } from './helpers.js';

describe(Telemetry.name, () => {
  const make = (dir: string, temperatureC?: () => Promise<number | undefined>) =>
    new Telemetry({
      clock: new SystemClock(),
      logger: silentLogger(),
      dataDir: dir,
      publish: async (_m: TelemetryMessage) => true,
      sample: () => ({ timelineVersion: 3, playing: 'occ-1', outboxSize: 2, volume: 80, muted: false, outputLevelLufs: -250 }),
      ...(temperatureC ? { temperatureC } : {}),
    });

  it('measures disk and memory, clamps the level, and reads the SoC temperature where the hardware has one', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const zone = join(dir, 'temp');
      await writeFile(zone, '48512\n');
      const sut = make(dir, thermalZone(zone));
      const m = telemetryMessageSchema.parse(await sut.sample());
      expect(m).toMatchObject({ timelineVersion: 3, playing: 'occ-1', outboxSize: 2, volume: 80, muted: false, temperatureC: 48.5 });
      expect(m.freeDiskBytes).toBeGreaterThan(0);
      expect(m.rssBytes).toBeGreaterThan(0);
      expect(m.outputLevelLufs).toBeGreaterThanOrEqual(-200);
    } finally {
      await cleanup();
    }
  });

  it('leaves the temperature out when there is no sensor or it reads nonsense', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      expect((await make(dir, thermalZone(join(dir, 'missing'))).sample()).temperatureC).toBeUndefined();
      await writeFile(join(dir, 'bad'), 'n/a');
      expect((await make(dir, thermalZone(join(dir, 'bad'))).sample()).temperatureC).toBeUndefined();
    } finally {
      await cleanup();
    }
  });
});
