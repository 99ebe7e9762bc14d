import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CorrectedClock, ManualClock, SkewedClock, SystemClock } from '../src/clock.js';
import { ClockSync, estimateOffset, sampleOf, type TimeFetchFn } from '../src/features/clock/clock-sync.js';
import { silentLogger, tempDir, waitFor } from './helpers.js';
import { startMediaServer, type MediaServer } from './media-server.js';

describe('clock offset estimation (pure)', () => {
  it('computes the NTP offset and round trip of one exchange', () => {
    // local clock 1000 ms behind the server, 20 ms each way, 2 ms server processing
    expect(sampleOf(5000, 6020, 6022, 5042)).toEqual({ offsetMs: 1000, rttMs: 40 });
  });

  it('trusts the exchanges with the smallest round trips', () => {
    const est = estimateOffset([
      { offsetMs: 1200, rttMs: 400 }, // queued on the way in: biased
      { offsetMs: 1001, rttMs: 10 },
      { offsetMs: 999, rttMs: 12 },
      { offsetMs: 800, rttMs: 350 },
      { offsetMs: 1000, rttMs: 11 },
      { offsetMs: 1300, rttMs: 500 },
    ]);
    expect(est).toEqual({ offsetMs: 1000.5, rttMs: 10 }); // median of the best third (rtt 10 and 11)
    expect(estimateOffset([])).toBeNull();
  });
});

describe('ClockSync against a real HTTP time endpoint', () => {
  let server: MediaServer;
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    server = await startMediaServer({ user: 'x', pass: 'y' });
  });
  afterAll(() => server.close());
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  afterEach(() => cleanup());

  it.each([-30_000, 7_000, 30_000])('measures a local clock skewed by %i ms to within half a round trip, and stores it', async (skew) => {
    const local = new SkewedClock(skew);
    const sync = new ClockSync({ serverUrl: server.url, local, logger: silentLogger(), dataDir: dir, sampleSpacingMs: 20 });
    await sync.load();
    expect(sync.source).toBe('local');
    expect(sync.offsetMs).toBe(0);
    const began = Date.now();
    const est = await sync.syncNow();
    // No exchange took longer than the whole measurement, and an NTP estimate is off by at most half its round trip:
    // a bound that holds however loaded the machine is (idle, the error is ~1 ms; `npm run bench` shows it).
    const bound = (Date.now() - began) / 2 + 1;
    expect(est?.samples).toBe(8);
    expect(Math.abs(sync.offsetMs + skew)).toBeLessThanOrEqual(bound);
    expect(sync.source).toBe('measured');
    const corrected = new CorrectedClock(local, (l) => sync.offsetAt(l));
    expect(Math.abs(corrected.now() - Date.now())).toBeLessThanOrEqual(bound + 1);

    const stored = JSON.parse(await readFile(join(dir, 'clock.json'), 'utf8')) as { offsetMs: number };
    expect(Math.abs(stored.offsetMs + skew)).toBeLessThanOrEqual(bound);
    // the next run starts on the stored offset, before any exchange
    const next = new ClockSync({ serverUrl: 'http://127.0.0.1:9', local, logger: silentLogger(), dataDir: dir });
    await next.load();
    expect(next.source).toBe('stored');
    expect(next.offsetMs).toBe(stored.offsetMs);
  });

  it('keeps running (on the local clock) when the server cannot be reached', async () => {
    const sync = new ClockSync({ serverUrl: 'http://127.0.0.1:9', local: new SystemClock(), logger: silentLogger(), dataDir: dir, samples: 2, sampleSpacingMs: 10 });
    await sync.load();
    expect(await sync.syncNow()).toBeNull();
    expect(sync.source).toBe('local');
    expect(sync.offsetMs).toBe(0);
  });

  it('discards a stored offset when the local clock went backwards since it was measured', async () => {
    await writeFile(join(dir, 'clock.json'), JSON.stringify({ offsetMs: 0, rttMs: 1, measuredAt: Date.now() + 86_400_000, serverAt: Date.now() + 86_400_000 }));
    const sync = new ClockSync({ serverUrl: server.url, local: new SystemClock(), logger: silentLogger(), dataDir: dir });
    await sync.load();
    expect(sync.source).toBe('local');
  });

  it('measures periodically and on request after a reconnect', async () => {
    const before = server.timeRequests;
    const sync = new ClockSync({ serverUrl: server.url, local: new SystemClock(), logger: silentLogger(), dataDir: dir, samples: 2, sampleSpacingMs: 5, intervalMs: 150 });
    await sync.load();
    sync.start();
    // Three rounds of two exchanges without anyone asking: the timer re-measures.
    await waitFor(() => server.timeRequests - before >= 6, 15_000, 'three rounds of measurement');
    sync.stop();
  });
});

describe('ClockSync corrections: step when idle or far off, slew while playing', () => {
  const T = 1_750_000_000_000;
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  afterEach(() => cleanup());

  function setup(busy: { value: boolean }) {
    const local = new ManualClock(T);
    const truth = { offset: 5000 };
    const fetch: TimeFetchFn = async () => {
      const at = local.now() + truth.offset;
      return new Response(JSON.stringify({ receivedAt: at, sentAt: at }), { status: 200 });
    };
    const steps: number[] = [];
    const sync = new ClockSync({ serverUrl: 'http://server', local, logger: silentLogger(), dataDir: dir, fetch, samples: 1, isBusy: () => busy.value, onStep: (d) => steps.push(d) });
    return { local, truth, sync, steps, clock: new CorrectedClock(local, (l) => sync.offsetAt(l)) };
  }

  it('slews a small correction while busy, monotonically, and steps a large one', async () => {
    const busy = { value: true };
    const { local, truth, sync, steps, clock } = setup(busy);
    await sync.syncNow();
    expect(sync.offsetMs).toBe(5000); // the first estimate is applied at once, even while busy
    expect(steps).toEqual([5000]);

    truth.offset = 5200;
    await sync.syncNow();
    expect(sync.offsetMs).toBe(5000);
    expect(steps).toHaveLength(1);
    let prev = clock.now();
    for (let i = 0; i < 10; i++) {
      local.advance(200);
      const now = clock.now();
      expect(now).toBeGreaterThan(prev); // never runs backwards, never jumps
      expect(now - prev).toBeLessThanOrEqual(200 * 1.05 + 1);
      prev = now;
    }
    expect(sync.offsetMs).toBe(5100); // 2 s at 50 ms/s
    local.advance(2000);
    expect(sync.offsetMs).toBe(5200);

    truth.offset = 2000; // far off: stepped even while busy
    await sync.syncNow();
    expect(sync.offsetMs).toBe(2000);
    expect(steps.at(-1)).toBe(-3200);

    busy.value = false;
    truth.offset = 2030; // idle: stepped
    await sync.syncNow();
    expect(sync.offsetMs).toBe(2030);
    expect(steps.at(-1)).toBe(30);
  });

  it('timers of the corrected clock follow a slew', async () => {
    const busy = { value: true };
    const { local, truth, sync, clock } = setup(busy);
    await sync.syncNow();
    const firedAt: number[] = [];
    clock.setTimer(() => firedAt.push(clock.now()), 10_000);
    truth.offset = 5500; // the corrected clock will run 500 ms ahead over the next 10 s
    await sync.syncNow();
    local.advance(20_000);
    expect(firedAt).toHaveLength(1);
    expect(Math.abs(firedAt[0]! - (T + 5000 + 10_000))).toBeLessThanOrEqual(10);
  });
});

describe('precise timers', () => {
  // How late they fire (typically 0–1 ms) is a speed figure for `npm run bench`; here: never early, and on the
  // corrected clock (a timer on the device's own clock would be off by the whole skew).
  it('never fire before the due instant of a skewed, corrected clock', async () => {
    const local = new SkewedClock(-12_345);
    const clock = new CorrectedClock(local, () => 12_345);
    const lateness: number[] = [];
    for (let i = 0; i < 5; i++) {
      const due = clock.now() + 120 + i * 37;
      await new Promise<void>((resolve) =>
        clock.setPreciseTimer(() => {
          lateness.push(Date.now() - due);
          resolve();
        }, due - clock.now()),
      );
    }
    expect(lateness).toHaveLength(5);
    for (const l of lateness) {
      expect(l).toBeGreaterThanOrEqual(0);
      expect(l).toBeLessThan(12_345 / 2);
    }
  });
});

describe('ClockSync periodic rounds (issue 14: bytes on the wire)', () => {
  const T = 1_750_000_000_000;
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  afterEach(() => cleanup());

  /**
   * Runs what is due on the manual clock until the round in flight is over: its exchanges, pauses and stored
   * offset (real file I/O) are done once only the next round's timer is left, several checks in a row.
   */
  async function settle(local: ManualClock): Promise<void> {
    let quiet = 0;
    let seen = exchanges;
    for (let i = 0; i < 2000 && quiet < 5; i++) {
      local.advance(0);
      await new Promise((r) => setTimeout(r, 2));
      quiet = local.pendingTimers === 1 && exchanges === seen ? quiet + 1 : 0;
      seen = exchanges;
    }
    if (quiet < 5) throw new Error('the round did not settle');
  }
  let exchanges = 0;

  function setup() {
    const local = new ManualClock(T);
    const truth = { offset: 5000, rttMs: 10 };
    const rounds: number[] = [];
    let inRound = 0;
    const fetch: TimeFetchFn = async () => {
      inRound++;
      exchanges++;
      // Not inside the manual clock's own advance (a round's first exchange starts in a timer callback).
      await null;
      // Half the round trip each way: the server reads its clock at the midpoint.
      local.advance(truth.rttMs / 2);
      const at = local.now() + truth.offset;
      local.advance(truth.rttMs / 2);
      return new Response(JSON.stringify({ receivedAt: at, sentAt: at }), { status: 200 });
    };
    const endRound = () => {
      rounds.push(inRound);
      inRound = 0;
    };
    const sync = new ClockSync({ serverUrl: 'http://server', local, logger: silentLogger(), dataDir: dir, fetch, sampleSpacingMs: 0, intervalMs: 300_000 });
    return { local, truth, rounds, endRound, sync };
  }

  it('confirms a known offset with three exchanges, and spaces rounds out (up to 6× the interval) while the clock does not drift', async () => {
    const { local, rounds, endRound, sync } = setup();
    await sync.load();
    sync.start();
    await settle(local);
    endRound();
    expect(rounds).toEqual([8]); // the first round measures in full
    for (const wait of [300_000, 600_000, 1_200_000, 1_800_000, 1_800_000]) {
      // Not a moment early: the clock advanced by the round's own exchanges counts towards the wait.
      const started = rounds.length;
      local.advance(wait - 40);
      await settle(local);
      endRound();
      expect(rounds.slice(started)).toEqual([0]);
      rounds.pop();
      local.advance(40);
      await settle(local);
      endRound();
    }
    expect(rounds).toEqual([8, 3, 3, 3, 3, 3]);
    expect(sync.periodicIntervalMs).toBe(1_800_000);
    expect(sync.offsetMs).toBe(5000);
    sync.stop();
  });

  it('comes back to the base interval when a round finds the clock drifting, so the drift between rounds stays small', async () => {
    const { local, truth, endRound, sync } = setup();
    await sync.load();
    sync.start();
    await settle(local);
    for (const wait of [300_000, 600_000, 1_200_000]) {
      local.advance(wait);
      await settle(local);
      endRound();
    }
    expect(sync.periodicIntervalMs).toBe(1_800_000);
    // 30 ms over 30 min (≈17 ppm): rounds every 10 min keep it near 10 ms.
    truth.offset += 30;
    local.advance(1_800_000);
    await settle(local);
    expect(sync.offsetMs).toBe(5030);
    // (The round's own exchanges add a few ms to the 30 min the drift built up over.)
    expect(Math.abs(sync.periodicIntervalMs - 600_000)).toBeLessThan(100);
    // 50 ppm: 30 ms per 10 min; the base interval is the floor.
    truth.offset += 30;
    local.advance(sync.periodicIntervalMs);
    await settle(local);
    expect(sync.offsetMs).toBe(5060);
    expect(sync.periodicIntervalMs).toBe(300_000);
    sync.stop();
  });

  it('takes the full round when the link got slower than at the last estimate', async () => {
    const { local, truth, rounds, endRound, sync } = setup();
    await sync.load();
    sync.start();
    await settle(local);
    endRound();
    truth.rttMs = 400; // queueing on the way: three quick exchanges cannot be had
    local.advance(300_000);
    await settle(local);
    endRound();
    expect(rounds).toEqual([8, 8]);
    sync.stop();
  });
});
