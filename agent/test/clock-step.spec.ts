import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PlaybackEvent, Slot } from '@loa/shared';
import { CorrectedClock, ManualClock, STEP_DETECT_MS, SystemClock, type Clock, type TimeSources } from '../src/clock.js';
import { ClockSync, type TimeFetchFn } from '../src/features/clock/clock-sync.js';
import { Executor } from '../src/features/playback/executor.js';
import type { PlayResult } from '../src/features/playback/player.js';
import type { RunHandle, SlotRunner } from '../src/features/playback/runners.js';
import { OccurrenceLedger } from '../src/features/playback/occurrence-ledger.js';
import { silentLogger, tempDir, waitFor } from './helpers.js';

// The end-to-end proof (a real agent process on a libfaketime wall clock) is test/e2e/clock-step.e2e.ts; these pin
// down each part on injected clocks.

const T = 1_750_000_000_000;
const STEP = 600_000;

describe('SystemClock step detection', () => {
  function fakeHost(): { time: TimeSources; set: (wall: number, mono: number) => void } {
    let wall = T;
    let mono = 0;
    return { time: { wall: () => wall, mono: () => mono }, set: (w, m) => ((wall = w), (mono = m)) };
  }

  it('reports a step once, from inside the reading that first sees it, and absorbs slow drift', () => {
    const host = fakeHost();
    const clock = new SystemClock(host.time);
    const seen: Array<{ delta: number; during: number | null }> = [];
    let reading: number | null = null;
    const off = clock.onStep((delta) => seen.push({ delta, during: reading }));
    try {
      // A slow drift (an NTP slew: 0.4 ms between readings a second apart) is no step, however far it adds up.
      let wall = T;
      for (let i = 1; i <= 1000; i++) {
        wall += 1000.4;
        host.set(wall, i * 1000);
        reading = clock.now();
      }
      expect(seen).toEqual([]);
      expect(STEP_DETECT_MS).toBeLessThanOrEqual(1000);

      host.set(wall + STEP, 1_000_000);
      reading = null;
      reading = clock.now(); // the listener runs before this returns
      expect(reading).toBe(wall + STEP);
      expect(seen).toEqual([{ delta: STEP, during: null }]);
      clock.now();
      expect(seen).toHaveLength(1);

      host.set(wall, 1_000_000); // set back
      clock.now();
      expect(seen.map((s) => s.delta)).toEqual([STEP, -STEP]);
    } finally {
      off();
    }
  });

  it.each([
    ['forward', STEP],
    ['back', -STEP],
  ])('keeps precise timers on monotonic time when the wall clock is stepped %s', async (_, jump) => {
    let wallShift = 0;
    const clock = new SystemClock({ wall: () => Date.now() + wallShift, mono: () => performance.now() });
    const armedAt = performance.now();
    const firedAt = await new Promise<number>((resolve) => {
      clock.setPreciseTimer(() => resolve(performance.now()), 80);
      wallShift = jump; // stepped while the timer waits
    });
    // Never early (a forward step used to fire it at once); a step back used to spin for ten minutes instead.
    expect(firedAt - armedAt).toBeGreaterThanOrEqual(79);
  });
});

/** A server on the true time, and a device clock that a test can set: true time = local − jumped + offset. */
function deviceAgainstServer(trueOffset = 5000) {
  const local = new ManualClock(T);
  let jumped = 0;
  const serverNow = (): number => local.now() - jumped + trueOffset;
  let calls = 0;
  let duringCall: (() => void) | null = null;
  let offline = false;
  const fetch: TimeFetchFn = async () => {
    calls++;
    if (offline) throw new Error('connect ECONNREFUSED');
    const receivedAt = serverNow();
    const hook = duringCall;
    duringCall = null;
    hook?.(); // e.g. the clock is set while this exchange is on the wire
    return new Response(JSON.stringify({ receivedAt, sentAt: receivedAt }), { status: 200 });
  };
  return {
    local,
    serverNow,
    fetch,
    get calls() {
      return calls;
    },
    jump(delta: number) {
      jumped += delta;
      local.jump(delta);
    },
    onNextCall(fn: () => void) {
      duringCall = fn;
    },
    set offline(v: boolean) {
      offline = v;
    },
  };
}

/** Lets a ManualClock-driven round run to its end (its pauses are timers on that clock). */
async function drive<T>(local: ManualClock, p: Promise<T>): Promise<T> {
  let done = false;
  void p.finally(() => (done = true));
  while (!done) {
    local.advance(0);
    await new Promise((r) => setImmediate(r));
  }
  return p;
}

/** Fires what is due on the ManualClock (without moving it) until `cond` holds; rounds also wait on real disk writes. */
async function until(local: ManualClock, cond: () => boolean, what: string): Promise<void> {
  await waitFor(() => {
    local.advance(0);
    return cond();
  }, 10_000, what);
}

describe('ClockSync across a local clock step', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  afterEach(() => cleanup());

  it.each([
    ['forward', STEP],
    ['back', -STEP],
  ])('holds the corrected time continuous over a step %s and re-measures at once', async (_, delta) => {
    const dev = deviceAgainstServer();
    const stepped: number[] = [];
    const sync = new ClockSync({ serverUrl: 'http://server', local: dev.local, logger: silentLogger(), dataDir: dir, fetch: dev.fetch, samples: 1, onStep: (d) => stepped.push(d) });
    const clock = new CorrectedClock(dev.local, (l) => sync.offsetAt(l));
    await sync.load();
    sync.start(); // default interval: the next periodic round is 300 s away
    await until(dev.local, () => sync.lastEstimate !== null, 'the first measurement');
    expect(clock.now()).toBe(dev.serverNow());
    stepped.length = 0;
    let fired: number | null = null;
    clock.setTimer(() => (fired = clock.now()), 8000);

    const callsBefore = dev.calls;
    const before = clock.now();
    dev.jump(delta);
    expect(clock.now()).toBe(before); // no time passed: the corrected clock did not move
    await until(dev.local, () => dev.calls > callsBefore, 'a new exchange with the server'); // without waiting the 300 s interval
    await drive(dev.local, sync.syncNow()); // the round in flight (or one more) has measured and stored
    expect(sync.offsetMs).toBe(5000 - delta);
    expect(clock.now()).toBe(dev.serverNow());
    expect(stepped).toEqual([]); // the server confirmed the held time: nothing to correct
    // What a restart would start from is the held offset, not the one of the old wall clock.
    const stored = JSON.parse(await readFile(join(dir, 'clock.json'), 'utf8')) as { offsetMs: number };
    expect(stored.offsetMs).toBe(5000 - delta);

    dev.local.advance(7999);
    expect(fired).toBeNull();
    dev.local.advance(1);
    expect(fired).toBe(before + 8000);
    sync.stop();
  });

  it('throws away a round that straddles a step and measures again', async () => {
    const dev = deviceAgainstServer();
    const sync = new ClockSync({ serverUrl: 'http://server', local: dev.local, logger: silentLogger(), dataDir: dir, fetch: dev.fetch, samples: 3, sampleSpacingMs: 0 });
    await sync.load();
    await drive(dev.local, sync.syncNow());
    expect(sync.offsetMs).toBe(5000);
    // Stepped back while the first exchange is on the wire: that sample alone would look perfect (round trip 0)
    // and put the offset halfway between the two clocks.
    dev.onNextCall(() => dev.jump(-STEP));
    const est = await drive(dev.local, sync.syncNow());
    expect(est?.offsetMs).toBe(5000 + STEP);
    expect(sync.offsetMs).toBe(5000 + STEP);
    sync.stop();
  });
});

/** "Plays" a slot's media on the injected clock. */
class TimedRunner implements SlotRunner {
  constructor(private readonly clock: Clock) {}
  async run(slot: Slot): Promise<RunHandle> {
    const len = slot.type === 'audio' ? slot.media.durationMs : slot.durationMs;
    let settle!: (r: PlayResult) => void;
    const done = new Promise<PlayResult>((r) => (settle = r));
    const t = this.clock.setTimer(() => settle({ ok: true, playedMs: len }), len);
    return {
      done,
      stop: () => {
        this.clock.clearTimer(t);
        settle({ ok: false, stopped: true, playedMs: 0 });
      },
    };
  }
}

describe('Executor on the corrected clock across a local clock step', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  afterEach(() => cleanup());

  it.each([
    ['forward', STEP],
    ['back', -STEP],
  ])('plays a slot on time when the wall clock is stepped %s 8 s before it, even with the server unreachable', async (_, delta) => {
    const dev = deviceAgainstServer(0);
    const sync = new ClockSync({ serverUrl: 'http://server', local: dev.local, logger: silentLogger(), dataDir: dir, fetch: dev.fetch, samples: 1 });
    const clock = new CorrectedClock(dev.local, (l) => sync.offsetAt(l));
    await sync.load();
    await drive(dev.local, sync.syncNow());
    sync.start();
    const ledger = new OccurrenceLedger(dir);
    await ledger.load();
    const events: PlaybackEvent[] = [];
    const ex = new Executor({ clock, ledger, runner: new TimedRunner(clock), logger: silentLogger(), emit: async (e) => void events.push(e) });
    const slot = {
      type: 'audio',
      occurrenceId: 'occ-1',
      scheduleId: 'sch',
      contentId: 'c',
      title: 'Bản tin',
      priority: 'normal',
      startAt: T + 20_000,
      durationMs: 3000,
      media: { sha256: 'a'.repeat(64), bytes: 1000, durationMs: 3000, mime: 'audio/mpeg' },
    } as Slot;
    ex.start([slot]);
    dev.local.advance(12_000);
    dev.offline = true; // only the agent's own step detection can keep the slot
    dev.jump(delta);
    for (let i = 0; i < 200 && !events.some((e) => e.type !== 'delivered' && e.type !== 'started'); i++) {
      dev.local.advance(100);
      await new Promise((r) => setImmediate(r));
      await ex.flush(); // reports are persisted (real disk) before they are emitted
    }
    await ex.stop();
    sync.stop();
    expect(events.map((e) => [e.type, e.at - T])).toEqual([
      ['delivered', 0],
      ['started', 20_000],
      ['finished', 23_000],
    ]);
  });
});
