import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FfmpegPlayer, ffmpegArgs } from '../src/features/playback/player.js';
import { makeTone, probeDuration } from './audio.js';
import { tempDir, waitFor } from './helpers.js';

describe('FfmpegPlayer', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let tone: string;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    tone = join(dir, 'tone.wav');
    await makeTone(tone, 2);
  });
  afterAll(() => cleanup());

  it('plays in real time to a file', async () => {
    const player = new FfmpegPlayer({ output: { kind: 'file', path: join(dir, 'out-{occurrenceId}.wav') } });
    const t0 = Date.now();
    const pb = await player.play({ file: tone, occurrenceId: 'occ-1', volume: 50 });
    const r = await pb.done;
    const wall = Date.now() - t0;
    expect(r).toMatchObject({ ok: true });
    expect(wall).toBeGreaterThan(1800); // -re: decoding took real time
    expect(r.playedMs).toBeGreaterThan(1800);
    expect(await probeDuration(join(dir, 'out-occ-1.wav'))).toBeCloseTo(2, 1);
  });

  it('plays to the null sink', async () => {
    const player = new FfmpegPlayer({ output: { kind: 'null' } });
    const r = await (await player.play({ file: tone, occurrenceId: 'n' })).done;
    expect(r.ok).toBe(true);
    expect(r.playedMs).toBeGreaterThan(1800);
  });

  it('stop() interrupts playback', async () => {
    // A long input, so however slow the machine, the stop lands while it plays.
    const long = join(dir, 'long.wav');
    await makeTone(long, 20);
    const out = join(dir, 'stopped.wav');
    const player = new FfmpegPlayer({ output: { kind: 'file', path: out } });
    const pb = await player.play({ file: long, occurrenceId: 's' });
    // Playing: real-time output has reached the file (past its 44-byte header).
    await waitFor(() => stat(out).then((st) => st.size > 44 + 8000, () => false), 15_000, 'output to start');
    pb.stop();
    const r = await pb.done;
    expect(r).toMatchObject({ ok: false, stopped: true });
    // The file holds what was output before the stop: some of the tone, not all of it.
    const heard = await probeDuration(out);
    expect(heard).toBeGreaterThan(0);
    expect(heard).toBeLessThan(19);
    expect(r.playedMs).toBeGreaterThan(0);
  });

  it('reports a corrupt input as a failure with the exit code and stderr', async () => {
    const bad = join(dir, 'corrupt.wav');
    await writeFile(bad, Buffer.from('RIFF this is not audio at all'));
    const player = new FfmpegPlayer({ output: { kind: 'null' } });
    const r = await (await player.play({ file: bad, occurrenceId: 'c' })).done;
    expect(r.ok).toBe(false);
    if (r.ok || r.stopped) throw new Error('expected a failure');
    expect(r.reason).toMatch(/ffmpeg exited with [1-9]/);
    expect(r.reason.length).toBeGreaterThan('ffmpeg exited with 1: '.length);
  });

  it('reports a missing ffmpeg binary', async () => {
    const player = new FfmpegPlayer({ output: { kind: 'null' }, ffmpegPath: join(dir, 'no-such-ffmpeg') });
    const r = await (await player.play({ file: tone, occurrenceId: 'x' })).done;
    expect(r).toMatchObject({ ok: false, stopped: false });
  });

  it('builds output arguments for each sink', () => {
    const req = { file: 'in.wav', occurrenceId: 'o1', volume: 80 };
    expect(ffmpegArgs(req, { kind: 'null' }).args.slice(-3)).toEqual(['-f', 'null', '-']);
    expect(ffmpegArgs(req, { kind: 'alsa', device: 'default' }).args.slice(-3)).toEqual(['-f', 'alsa', 'default']);
    expect(ffmpegArgs(req, { kind: 'file', path: '/x/{occurrenceId}.mp3' }).args.slice(-2)).toEqual(['-y', '/x/o1.mp3']);
    expect(ffmpegArgs(req, { kind: 'null' }).args).toEqual(expect.arrayContaining(['-re', '-nostdin', '-af', 'volume=0.80']));
  });
});
