import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { telemetryMessageSchema, type ReportedLocation, type TelemetryMessage } from '@loa/shared';
import { SystemClock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { LOCATION_RESEND_MS, LocationSource, parseLocationFile, parseLocationSetting } from '../src/features/telemetry/location.js';
import { Telemetry } from '../src/features/telemetry/telemetry.js';
import { silentLogger, tempDir } from './helpers.js';

/** Issue 19: where the device stands, from its config or a GPS daemon's file, sent with telemetry when it matters. */
describe(LocationSource.name, () => {
  it('reads "latitude,longitude" settings and refuses anything else', () => {
    expect(parseLocationSetting('21.0285,105.8542')).toEqual({ latitude: 21.0285, longitude: 105.8542 });
    expect(parseLocationSetting(' -8.5 ; 115.2 ')).toEqual({ latitude: -8.5, longitude: 115.2 });
    expect([parseLocationSetting('91,10'), parseLocationSetting('21.0285'), parseLocationSetting('0,0'), parseLocationSetting('abc,def')]).toEqual([null, null, null, null]);
  });

  it('reads our JSON and gpsd names from a position file, and ignores no fix or garbage', () => {
    expect(parseLocationFile('{"latitude":21.2,"longitude":105.4,"accuracyM":5}')).toEqual({ latitude: 21.2, longitude: 105.4, accuracyM: 5 });
    expect(parseLocationFile('{"class":"TPV","mode":3,"lat":21.3,"lon":105.5,"eph":12.5}')).toEqual({ latitude: 21.3, longitude: 105.5, accuracyM: 12.5 });
    expect([parseLocationFile('{"lat":0,"lon":0}'), parseLocationFile('{"mode":1}'), parseLocationFile('not json'), parseLocationFile('{"lat":123,"lon":5}')]).toEqual([undefined, undefined, undefined, undefined]);
  });

  it('sends the position first, then only on a move or after an hour; the file wins over the setting and falls back to it', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const file = join(dir, 'location.json');
      const sut = new LocationSource({ fixed: { latitude: 21, longitude: 105 }, file });
      // No file yet: the configured position, once.
      expect(await sut.next(0)).toEqual({ latitude: 21, longitude: 105 });
      expect(await sut.next(60_000)).toBeUndefined();
      // The GPS daemon writes a fix a kilometre away: sent at once.
      await writeFile(file, JSON.stringify({ latitude: 21.01, longitude: 105 }));
      expect(await sut.next(120_000)).toEqual({ latitude: 21.01, longitude: 105 });
      // Jitter of a few metres is not a move.
      await writeFile(file, JSON.stringify({ latitude: 21.01003, longitude: 105.00002 }));
      expect(await sut.next(180_000)).toBeUndefined();
      // An hour after the last send it goes again (telemetry is QoS 0: a lost sample must not hide the device).
      expect(await sut.next(120_000 + LOCATION_RESEND_MS)).toEqual({ latitude: 21.01003, longitude: 105.00002 });
      // The file gone (daemon stopped): back to the setting, which is a move.
      await rm(file);
      expect(await sut.next(120_000 + LOCATION_RESEND_MS + 60_000)).toEqual({ latitude: 21, longitude: 105 });
    } finally {
      await cleanup();
    }
  });

  it('puts the position in a telemetry sample the server accepts, and nothing without one', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const source = new LocationSource({ fixed: { latitude: 21.2, longitude: 105.4 } });
      const make = (location?: (now: number) => Promise<ReportedLocation | undefined>) =>
        new Telemetry({
          clock: new SystemClock(),
          logger: silentLogger(),
          dataDir: dir,
          publish: async (_m: TelemetryMessage) => true,
          sample: () => ({ timelineVersion: 1, playing: null, outboxSize: 0 }),
          temperatureC: async () => undefined,
          ...(location ? { location } : {}),
        });
      const first = telemetryMessageSchema.parse(await make((now) => source.next(now)).sample());
      expect(first.location).toEqual({ latitude: 21.2, longitude: 105.4 });
      expect((await make().sample()).location).toBeUndefined();
    } finally {
      await cleanup();
    }
  });

  it('validates the location settings with the rest of the config', async () => {
    const base = ['--server-url=http://127.0.0.1:3000', '--mqtt-url=mqtt://127.0.0.1:1883', '--device-id=spk-01', '--secret=s', '--kind=speaker'];
    const key = ['--server-public-key', Buffer.alloc(32, 1).toString('base64')];
    const ok = await loadConfig({ argv: [...base, ...key, '--location=21.0285,105.8542', '--location-file=/run/loa/location.json'], env: {} }).catch((e: Error) => e);
    expect(ok).toMatchObject({ help: false, config: { location: '21.0285,105.8542', locationFile: '/run/loa/location.json' } });
    await expect(loadConfig({ argv: [...base, ...key, '--location=north of the market'], env: {} })).rejects.toThrow(/location \(--location \/ LOA_AGENT_LOCATION\): must be "latitude,longitude"/);
  });
});
