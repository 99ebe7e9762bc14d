import type { Player } from '../playback/player.js';

export interface SelfTestRequest {
  durationMs?: number | undefined;
  frequencyHz?: number | undefined;
}

export interface SelfTestResult {
  /** Loudest momentary level (LUFS) measured at the output while the tone played. */
  levelLufs: number;
  /** How long the tone really played. */
  durationMs: number;
  frequencyHz: number;
  /** Peak level of the generated tone (dBFS). */
  toneDbfs: number;
}

/** Peak of the test tone: −20 dBFS, a 1 kHz sine of which measures about −23 LUFS. */
export const TONE_DBFS = -20;

/**
 * Speaker self-test: a generated sine (ffmpeg lavfi) played through the configured output by a metering player,
 * which measures what really went out with ebur128. The tone is played at its own level, not the device volume,
 * so the result says whether the output chain works, not how loud it is set.
 */
export class ToneTest {
  constructor(private readonly player: Player) {}

  async run(req: SelfTestRequest = {}): Promise<SelfTestResult> {
    const durationMs = req.durationMs ?? 2000;
    const frequencyHz = req.frequencyHz ?? 1000;
    const amplitude = 10 ** (TONE_DBFS / 20);
    const source = `aevalsrc=${amplitude.toFixed(4)}*sin(2*PI*${frequencyHz}*t):s=48000:d=${(durationMs / 1000).toFixed(3)}`;
    const playback = await this.player.play({ file: source, inputArgs: ['-f', 'lavfi'], occurrenceId: `selftest-${Date.now()}` });
    const r = await playback.done;
    if (!r.ok) throw new Error(r.stopped ? 'self-test tone was stopped' : `self-test tone failed: ${r.reason}`);
    if (r.maxLevelLufs === undefined) throw new Error('self-test tone played but no output level was measured');
    return { levelLufs: r.maxLevelLufs, durationMs: r.playedMs, frequencyHz, toneDbfs: TONE_DBFS };
  }
}
