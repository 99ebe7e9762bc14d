import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PlaybackEvent, Slot } from '@loa/shared';
import { ManualClock } from '../src/clock.js';
import { deviceCommandHandlers, MAX_LOG_BYTES, type DeviceCommandDeps } from '../src/features/commands/command-handlers.js';
import { CommandRejectedError } from '../src/features/commands/commands.js';
import { Executor } from '../src/features/playback/executor.js';
import { createLogger, LogRing } from '../src/logger.js';
import { OutputControl } from '../src/features/playback/output.js';
import type { Playback, PlayRequest, PlayResult, Player } from '../src/features/playback/player.js';
import type { RunHandle, SlotRunner } from '../src/features/playback/runners.js';
import { OccurrenceLedger } from '../src/features/playback/occurrence-ledger.js';
import { silentLogger, tempDir } from './helpers.js';

const T0 = 1_770_000_000_000;

/** A playback the test ends by hand; records volume changes. */
class FakePlayback implements Playback {
  readonly volumes: number[] = [];
  private settle!: (r: PlayResult) => void;
  readonly done = new Promise<PlayResult>((r) => (this.settle = r));
  constructor(readonly req: PlayRequest) {}
  stop(): void {
    this.settle({ ok: false, stopped: true, playedMs: 100, maxLevelLufs: -30 });
  }
  end(r: PlayResult = { ok: true, playedMs: 1000, maxLevelLufs: -23 }): void {
    this.settle(r);
  }
  setVolume(v: number): boolean {
    this.volumes.push(v);
    return true;
  }
  levelLufs(): number | undefined {
    return -24;
  }
}

class FakePlayer implements Player {
  readonly playbacks: FakePlayback[] = [];
  async play(req: PlayRequest): Promise<Playback> {
    const p = new FakePlayback(req);
    this.playbacks.push(p);
    return p;
  }
}

const audio = (id: string, priority: Slot['priority'] = 'normal', over: Partial<Slot> = {}): Slot =>
  ({
    type: 'audio',
    occurrenceId: id,
    scheduleId: 'sch',
    contentId: 'c',
    title: id,
    priority,
    startAt: T0,
    durationMs: 60_000,
    media: { sha256: 'a'.repeat(64), bytes: 1000, durationMs: 60_000, mime: 'audio/wav' },
    ...over,
  }) as Slot;

describe(deviceCommandHandlers.name, () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let clock: ManualClock;
  let player: FakePlayer;
  let output: OutputControl;
  let executor: Executor;
  let events: PlaybackEvent[];
  let deps: DeviceCommandDeps;
  let prepared: Slot[];
  let ledger: OccurrenceLedger;

  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
    clock = new ManualClock(T0);
    player = new FakePlayer();
    output = new OutputControl({ player, dataDir: dir, logger: silentLogger() });
    await output.load();
    events = [];
    prepared = [];
    ledger = new OccurrenceLedger(dir);
    await ledger.load();
    const runner: SlotRunner = {
      unsupported: (s) => (s.type === 'text' ? 'a speaker cannot show text' : null),
      run: (s) => output.play({ file: 'x.wav', occurrenceId: s.occurrenceId, ...(s.volume !== undefined ? { volume: s.volume } : {}) }) as Promise<RunHandle>,
    };
    executor = new Executor({ clock, ledger, runner, logger: silentLogger(), emit: async (e) => void events.push(e) });
    executor.start([]);
    deps = {
      kind: 'speaker',
      clock,
      executor,
      runner,
      output,
      prepare: async (s) => void prepared.push(s),
      resync: async () => 7,
      restart: () => undefined,
      logs: new LogRing(),
      toneTest: null,
    };
  });
  afterEach(async () => {
    for (const p of player.playbacks) p.end();
    await executor.stop();
    await ledger.prune(new Set(), 0); // queued after any write still under way: the directory can go
    await cleanup();
  });

  const sut = () => deviceCommandHandlers(deps);
  const settle = async () => {
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setImmediate(r));
      await executor.flush();
    }
  };
  const of = (id: string) => events.filter((e) => e.occurrenceId === id);

  describe('setVolume', () => {
    it('stores the setting atomically and plays every slot at slot volume × device volume', async () => {
      expect(await sut().setVolume({ type: 'setVolume', volume: 50 })).toEqual({ data: { volume: 50, muted: false } });
      expect(JSON.parse(await readFile(join(dir, 'output.json'), 'utf8'))).toEqual({ volume: 50, muted: false });
      executor.runNow(audio('occ-1', 'normal', { volume: 80 }));
      await settle();
      expect(player.playbacks[0]?.req.volume).toBe(40);
      // Survives a restart of the agent.
      const again = new OutputControl({ player, dataDir: dir, logger: silentLogger() });
      await again.load();
      expect(again.state).toEqual({ volume: 50, muted: false });
    });

    it('applies to what is playing at once, and muted means volume 0', async () => {
      executor.runNow(audio('occ-1', 'normal', { volume: 60 }));
      await settle();
      const playing = player.playbacks[0]!;
      expect(playing.req.volume).toBe(60);
      await sut().setVolume({ type: 'setVolume', muted: true });
      await sut().setVolume({ type: 'setVolume', volume: 50, muted: false });
      expect(playing.volumes).toEqual([0, 30]);
      expect(output.gain(100)).toBe(50);
    });

    it('is refused on a board', async () => {
      await expect(deviceCommandHandlers({ ...deps, kind: 'board', output: null }).setVolume({ type: 'setVolume', volume: 10 })).rejects.toThrow(CommandRejectedError);
    });
  });

  describe('stop', () => {
    it('stops the current item, which ends reported preempted with its measured level, and is not continued', async () => {
      executor.runNow(audio('occ-1'));
      await settle();
      expect(executor.playing).toBe('occ-1');
      expect(await sut().stop({ type: 'stop' })).toEqual({ data: { stopped: 'occ-1' } });
      await settle();
      expect(executor.playing).toBeNull();
      expect(of('occ-1').map((e) => e.type)).toEqual(['delivered', 'started', 'preempted']);
      expect(of('occ-1').at(-1)).toMatchObject({ reason: 'stopped by remote command', outputLevelLufs: -30 });
      clock.advance(1000);
      await settle();
      expect(player.playbacks).toHaveLength(1);
    });

    it('answers ok with nothing stopped when nothing plays', async () => {
      expect(await sut().stop({ type: 'stop' })).toEqual({ data: { stopped: null } });
    });
  });

  describe('playNow', () => {
    it('prepares the media, then plays the slot at once as a one-off, whatever start it was given', async () => {
      const slot = audio('cmd-1', 'priority', { startAt: T0 - 3_600_000 });
      expect(await sut().playNow({ type: 'playNow', slot })).toEqual({ data: { occurrenceId: 'cmd-1', startAt: T0 } });
      expect(prepared).toEqual([slot]);
      await settle();
      expect(executor.playing).toBe('cmd-1');
      player.playbacks[0]!.end();
      await settle();
      expect(of('cmd-1').map((e) => e.type)).toEqual(['delivered', 'started', 'finished']);
      // The final report carries the loudest level measured at the output.
      expect(of('cmd-1').at(-1)?.outputLevelLufs).toBe(-23);
    });

    it('keeps the one-off across a timeline change and preempts a lower priority item', async () => {
      executor.setSlots([audio('routine', 'normal')]);
      await settle();
      expect(executor.playing).toBe('routine');
      await sut().playNow({ type: 'playNow', slot: audio('cmd-2', 'emergency') });
      executor.setSlots([audio('routine', 'normal')]); // a new timeline arrives meanwhile
      await settle();
      expect(executor.playing).toBe('cmd-2');
      expect(executor.interrupted).toEqual(['routine']);
    });

    it('refuses what this kind of device cannot play, before preparing anything', async () => {
      const text = { ...audio('cmd-3'), type: 'text', text: 'Thông báo' } as unknown as Slot;
      await expect(sut().playNow({ type: 'playNow', slot: text })).rejects.toThrow(CommandRejectedError);
      expect(prepared).toEqual([]);
    });

    it('fails when the media cannot be made ready', async () => {
      deps.prepare = async () => {
        throw new Error('media download failed: 404');
      };
      await expect(sut().playNow({ type: 'playNow', slot: audio('cmd-4') })).rejects.toThrow(/404/);
      await settle();
      expect(of('cmd-4')).toEqual([]);
    });
  });

  describe('resync, restart, collectLogs, selfTest', () => {
    it('resync answers with the timeline version held after re-fetching', async () => {
      expect(await sut().resync({ type: 'resync' })).toEqual({ data: { timelineVersion: 7 } });
    });

    it('restart answers first and restarts after', async () => {
      let restarted = 0;
      deps.restart = () => void restarted++;
      const out = await sut().restart({ type: 'restart' });
      expect(restarted).toBe(0);
      expect(out.data).toEqual({ restarting: true });
      await out.after?.();
      expect(restarted).toBe(1);
    });

    it('collectLogs returns the last lines the agent logged, within the size limit', async () => {
      const ring = new LogRing(50);
      const logger = createLogger('info', { write: () => undefined } as never, ring);
      for (let i = 0; i < 80; i++) logger.info({ i, secret: 's3cr3t' }, `line ${i}`);
      logger.debug('not logged at info');
      deps.logs = ring;
      const out = await sut().collectLogs({ type: 'collectLogs', lines: 5 });
      const lines = (out.data?.lines as string[]).map((l) => JSON.parse(l) as { msg: string; secret: string });
      expect(lines.map((l) => l.msg)).toEqual(['line 75', 'line 76', 'line 77', 'line 78', 'line 79']);
      expect(lines[0]?.secret).toBe('[redacted]');
      // Never more than the ring holds, never more than fits.
      expect(((await sut().collectLogs({ type: 'collectLogs', lines: 2000 })).data?.lines as string[]).length).toBe(50);
      const big = new LogRing(2000, 2000);
      for (let i = 0; i < 2000; i++) big.write(`${'x'.repeat(1990)}\n`);
      deps.logs = big;
      const capped = await sut().collectLogs({ type: 'collectLogs', lines: 2000 });
      expect(capped.data?.truncated).toBe(true);
      expect(Buffer.byteLength(JSON.stringify(capped.data))).toBeLessThanOrEqual(MAX_LOG_BYTES + 100);
    });

    it('selfTest on a board answers ok without audio, and refuses to take a busy output', async () => {
      expect(await deviceCommandHandlers({ ...deps, kind: 'board', output: null }).selfTest({ type: 'selfTest' })).toEqual({ data: { board: 'ok' } });
      let ran = 0;
      deps.toneTest = { run: async () => (ran++, { levelLufs: -23, durationMs: 500, frequencyHz: 1000, toneDbfs: -20 }) };
      executor.runNow(audio('occ-busy'));
      await settle();
      await expect(sut().selfTest({ type: 'selfTest' })).rejects.toThrow(/busy/);
      expect(ran).toBe(0);
    });
  });
});
