import { readFile } from 'node:fs/promises';

/**
 * A test signal whose samples say where in the file they come from, so what a speaker output (a WAV written by the
 * `file:` output) can be measured independently of the agent: which parts of the item were heard, and how much
 * audio was output in all. Mono 16-bit PCM; every 10 ms block carries its index in the amplitude of a
 * Nyquist-rate square wave (audible to the level meter, unlike a DC offset), and a zero sample is silence.
 */
export const POSITION_RATE = 8000;
const BLOCK_SAMPLES = POSITION_RATE / 100;
const STEP = 8;

/** A WAV of `seconds` of position-coded audio. */
export function positionWav(seconds: number): Buffer {
  const samples = Math.round(seconds * POSITION_RATE);
  const data = Buffer.alloc(samples * 2);
  for (let n = 0; n < samples; n++) {
    const block = Math.floor(n / BLOCK_SAMPLES);
    data.writeInt16LE((block + 1) * STEP * (n % 2 === 0 ? 1 : -1), n * 2);
  }
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(POSITION_RATE, 24);
  header.writeUInt32LE(POSITION_RATE * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

export interface Measured {
  /** Everything written, silence included (ms). */
  outputMs: number;
  /** The 10 ms blocks of the source heard, by index. */
  blocks: Set<number>;
  /** First and last source position heard (ms), or -1 when nothing was. */
  firstMs: number;
  lastMs: number;
}

/** Reads a WAV written by ffmpeg (mono s16 at POSITION_RATE) and tells which source positions it holds. */
export async function measureWav(path: string): Promise<Measured> {
  const buf = await readFile(path);
  if (buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') throw new Error(`${path} is not a WAV file`);
  let off = 12;
  let rate = 0;
  let channels = 0;
  let bits = 0;
  for (;;) {
    if (off + 8 > buf.length) throw new Error(`${path} has no data chunk`);
    const id = buf.toString('ascii', off, off + 4);
    const size = buf.readUInt32LE(off + 4);
    if (id === 'fmt ') {
      channels = buf.readUInt16LE(off + 10);
      rate = buf.readUInt32LE(off + 12);
      bits = buf.readUInt16LE(off + 22);
    }
    if (id === 'data') {
      off += 8;
      break;
    }
    off += 8 + size + (size % 2);
  }
  if (rate !== POSITION_RATE || channels !== 1 || bits !== 16) throw new Error(`${path}: expected mono s16 at ${POSITION_RATE} Hz, got ${channels} ch ${bits} bit at ${rate} Hz`);
  // The data chunk runs to the end of the file (its size field may be a placeholder if ffmpeg was killed).
  const samples = Math.floor((buf.length - off) / 2);
  const blocks = new Set<number>();
  let first = -1;
  let last = -1;
  for (let i = 0; i < samples; i++) {
    const v = Math.abs(buf.readInt16LE(off + i * 2));
    if (v === 0) continue;
    const block = Math.round(v / STEP) - 1;
    blocks.add(block);
    if (first < 0) first = block;
    last = block;
  }
  return { outputMs: (samples * 1000) / POSITION_RATE, blocks, firstMs: first < 0 ? -1 : first * 10, lastMs: last < 0 ? -1 : last * 10 };
}
