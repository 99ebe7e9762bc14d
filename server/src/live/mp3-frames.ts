/**
 * Cuts an MPEG audio (Layer III) byte stream into whole frames, so a speaker joining a live stream is sent bytes
 * from a frame boundary: its ffmpeg then locks on at the first byte instead of hunting for a sync word (and never
 * decodes half a frame as noise). Only what the live encoder produces needs to parse; anything else is skipped
 * up to the next sync word.
 */
const BITRATES_V1 = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const BITRATES_V2 = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
const RATES_V1 = [44100, 48000, 32000];

/** Length in bytes of the Layer III frame whose header starts at `at`, or 0 when there is none. */
export function mp3FrameLength(buf: Buffer, at: number): number {
  if (at + 4 > buf.length) return 0;
  const b1 = buf[at + 1]!;
  const b2 = buf[at + 2]!;
  if (buf[at] !== 0xff || (b1 & 0xe0) !== 0xe0) return 0;
  const version = (b1 >> 3) & 0b11; // 3: MPEG-1, 2: MPEG-2, 0: MPEG-2.5, 1: reserved
  const layer = (b1 >> 1) & 0b11; // 1: Layer III
  const bitrateIndex = b2 >> 4;
  const rateIndex = (b2 >> 2) & 0b11;
  if (version === 1 || layer !== 1 || bitrateIndex === 0 || bitrateIndex === 15 || rateIndex === 3) return 0;
  const mpeg1 = version === 3;
  const kbps = (mpeg1 ? BITRATES_V1 : BITRATES_V2)[bitrateIndex]!;
  const rate = RATES_V1[rateIndex]! / (mpeg1 ? 1 : version === 2 ? 2 : 4);
  const padding = (b2 >> 1) & 1;
  return Math.floor(((mpeg1 ? 144 : 72) * kbps * 1000) / rate) + padding;
}

export class Mp3FrameSplitter {
  private rest: Buffer = Buffer.alloc(0);

  /** The whole frames completed by `chunk`, concatenated (empty when none); bytes between frames are dropped. */
  push(chunk: Buffer): Buffer {
    const buf = this.rest.length === 0 ? chunk : Buffer.concat([this.rest, chunk]);
    const frames: Buffer[] = [];
    let at = 0;
    while (at + 4 <= buf.length) {
      const len = mp3FrameLength(buf, at);
      if (len === 0) {
        at++; // an ID3 tag or garbage: skipped up to the next sync word
        continue;
      }
      if (at + len > buf.length) break;
      frames.push(buf.subarray(at, at + len));
      at += len;
    }
    this.rest = Buffer.from(buf.subarray(at));
    return frames.length === 1 ? Buffer.from(frames[0]!) : Buffer.concat(frames);
  }
}
