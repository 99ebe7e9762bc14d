import { ManualClock } from '../src/clock.js';
import { resolveFfmpeg } from '../src/features/playback/player.js';
import { HealthCheck, type HealthProbes } from '../src/features/ota/health.js';
import { silentLogger, waitFor } from './helpers.js';

const probes = (over: Partial<HealthProbes> = {}): HealthProbes => ({
  connected: async () => undefined,
  timeline: async () => undefined,
  canPlay: async () => undefined,
  ...over,
});

describe('health check of a release just installed', () => {
  it('is healthy once every probe passes in one round, retrying the ones that fail', async () => {
    const clock = new ManualClock(0);
    let plays = 0;
    const check = new HealthCheck({
      probes: probes({
        canPlay: async () => {
          if (++plays < 3) throw new Error('ffmpeg exited with 1');
        },
      }),
      localClock: clock,
      deadline: 60_000,
      logger: silentLogger(),
      retryMs: 1000,
    });
    const result = check.run();
    for (let i = 0; i < 2; i++) {
      await waitFor(() => plays > i && clock.pendingTimers > 0, 5000, 'retry timer');
      clock.advance(1000);
    }
    await expect(result).resolves.toEqual({ healthy: true });
    expect(plays).toBe(3);
  });

  it('gives up at the deadline with the last reason, and a stop ends a probe that waits for ever', async () => {
    const clock = new ManualClock(0);
    const late = new HealthCheck({ probes: probes({ timeline: async () => Promise.reject(new Error('not connected to the broker')) }), localClock: clock, deadline: 3000, logger: silentLogger(), retryMs: 1000 });
    const result = late.run();
    for (let t = 0; t < 3; t++) {
      await waitFor(() => clock.pendingTimers > 0, 5000, 'timer');
      clock.advance(1000);
    }
    await expect(result).resolves.toEqual({ healthy: false, reason: 'not healthy by the deadline: not connected to the broker' });

    const stuck = new HealthCheck({ probes: probes({ connected: () => new Promise<void>(() => undefined) }), localClock: new ManualClock(0), deadline: 3_600_000, logger: silentLogger() });
    const running = stuck.run();
    stuck.stop();
    await expect(running).resolves.toEqual({ stopped: true });
  });

  it('a release without node_modules plays with the system ffmpeg; an installed one wins', () => {
    expect(
      resolveFfmpeg(() => {
        throw new Error("Cannot find module '@ffmpeg-installer/ffmpeg'");
      }),
    ).toBe('ffmpeg');
    expect(resolveFfmpeg(() => '/opt/ffmpeg/bin/ffmpeg')).toBe('/opt/ffmpeg/bin/ffmpeg');
  });
});
