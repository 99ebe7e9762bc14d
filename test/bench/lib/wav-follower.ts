// A tone-onset detector following a WAV file as it is written: the ear of the live-voice latency measurements (the
// bench's `live` scenario and test/e2e/live.e2e.ts).
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';

/** Onset when a 512-sample block's RMS passes ON; a sound is over after 100 ms below OFF. */
const ON = 0.02;
const OFF = 0.005;
const BLOCK = 512;

export interface Onset {
  at: number;
  freq: number;
}

/** Which candidate frequency dominates a block (Goertzel power at each). */
export function dominant(x: readonly number[], rate: number, freqs: readonly number[]): number {
  let best = freqs[0] ?? 0;
  let bestPower = -1;
  for (const f of freqs) {
    const coeff = 2 * Math.cos((2 * Math.PI * f) / rate);
    let s1 = 0;
    let s2 = 0;
    for (const v of x) {
      const s0 = v + coeff * s1 - s2;
      s2 = s1;
      s1 = s0;
    }
    const power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    if (power > bestPower) [best, bestPower] = [f, power];
  }
  return best;
}

/**
 * Follows a WAV file as the agent's ffmpeg writes it (every packet flushed, as a sound card takes it): every 20 ms, the
 * new samples; a sound's onset is stamped with the read time less the duration of the samples written after it (they
 * came at stream pace, up to the read). Shared by the bench's `live` scenario and test/e2e/live.e2e.ts.
 */
export class WavFollower {
  readonly onsets: Onset[] = [];
  private fd: number | null = null;
  private offset = 0;
  private dataStart = -1;
  private rate = 48_000;
  private channels = 1;
  private pending: number[] = [];
  private inSound = false;
  private quiet = 0;
  /** Stamped at the onset block; the frequency is read from the next block, which the tone fills. */
  private onsetAt: number | null = null;
  private timer: NodeJS.Timeout | null = null;
  private samples = 0;

  constructor(
    private readonly file: string,
    private readonly freqs: readonly number[],
  ) {}

  start(): void {
    this.timer = setInterval(() => this.poll(), 20);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }

  private poll(): void {
    const now = Date.now();
    if (this.fd === null) {
      if (!existsSync(this.file)) return;
      this.fd = openSync(this.file, 'r');
    }
    const size = statSync(this.file).size;
    if (size <= this.offset) return;
    const buf = Buffer.alloc(size - this.offset);
    readSync(this.fd, buf, 0, buf.length, this.offset);
    if (this.dataStart < 0) {
      // The header: the fmt chunk gives the layout, the data chunk (its size unknown while written) the start.
      const fmt = buf.indexOf('fmt ');
      const data = buf.indexOf('data');
      if (fmt < 0 || data < 0 || buf.length < data + 8) return;
      this.channels = buf.readUInt16LE(fmt + 10);
      this.rate = buf.readUInt32LE(fmt + 12);
      this.dataStart = data + 8;
      this.offset = size;
      this.consume(buf.subarray(this.dataStart), now);
      return;
    }
    this.offset = size;
    this.consume(buf, now);
  }

  private consume(bytes: Buffer, now: number): void {
    const frameBytes = 2 * this.channels;
    const whole = bytes.length - (bytes.length % frameBytes);
    this.offset -= bytes.length - whole; // a partial frame is read again next time
    const fresh: number[] = [];
    for (let i = 0; i < whole; i += frameBytes) fresh.push(bytes.readInt16LE(i) / 32768);
    const all = this.pending.concat(fresh);
    const end = this.samples + fresh.length; // index just past the newest sample
    const firstIndex = end - all.length;
    let used = 0;
    for (; used + BLOCK <= all.length; used += BLOCK) {
      const x = all.slice(used, used + BLOCK);
      const rms = Math.sqrt(x.reduce((s, v) => s + v * v, 0) / x.length);
      if (this.onsetAt !== null) {
        this.onsets.push({ at: this.onsetAt, freq: dominant(x, this.rate, this.freqs) });
        this.onsetAt = null;
      }
      if (!this.inSound && rms > ON) {
        this.inSound = true;
        this.quiet = 0;
        this.onsetAt = now - ((end - (firstIndex + used)) / this.rate) * 1000;
      } else if (this.inSound && rms < OFF) {
        this.quiet += x.length;
        if (this.quiet > this.rate * 0.1) this.inSound = false;
      } else if (this.inSound) this.quiet = 0;
    }
    this.pending = all.slice(used);
    this.samples = end;
  }
}
