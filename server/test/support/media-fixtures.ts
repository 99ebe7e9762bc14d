import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Audio (good and broken) made on the spot with the real ffmpeg, so tests never depend on checked-in binaries. */
export interface MediaFixtures {
  /** 2 s, 440 Hz, MP3 64 kb/s (LAME writes a Xing header, so the duration is announced). */
  mp3: string;
  /** 2 s, 440 Hz, 16-bit mono WAV (~176 KB). */
  wav: string;
  /** 2 s, 660 Hz, Ogg Vorbis. */
  ogg: string;
  /** 5 s MP3 at 32 kb/s (~20 KB): longer than a 3 s audio limit, smaller than any upload limit. */
  longMp3: string;
  /** 4 s stereo WAV (~700 KB): larger than a 0.5 MB upload limit. */
  bigWav: string;
  /** The first 30% of `mp3`: the Xing header still announces 2 s. */
  truncatedMp3: string;
  /** `mp3` with 4 KB of noise written over its middle. */
  corruptMp3: string;
  /** 3000 pseudo-random (fixed seed) bytes named .mp3. */
  randomMp3: string;
  /** Plain text named .mp3. */
  textMp3: string;
  /** Zero bytes. */
  empty: string;
  /** A canonical 44-byte PCM WAV header whose data chunk is empty. */
  headerOnlyWav: string;
  /** A 1 s MP4 with a video stream and no audio. */
  videoOnlyMp4: string;
}

async function ffmpeg(args: string[]): Promise<void> {
  await run(ffmpegInstaller.path, ['-v', 'error', '-nostdin', '-y', ...args]);
}

export async function makeMediaFixtures(dir: string): Promise<MediaFixtures> {
  const f = (name: string) => path.join(dir, name);
  const fx: MediaFixtures = {
    mp3: f('sine.mp3'),
    wav: f('sine.wav'),
    ogg: f('sine.ogg'),
    longMp3: f('long.mp3'),
    bigWav: f('big.wav'),
    truncatedMp3: f('truncated.mp3'),
    corruptMp3: f('corrupt.mp3'),
    randomMp3: f('random.mp3'),
    textMp3: f('notes.mp3'),
    empty: f('empty.mp3'),
    headerOnlyWav: f('header-only.wav'),
    videoOnlyMp4: f('video-only.mp4'),
  };
  await Promise.all([
    ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=2', '-c:a', 'libmp3lame', '-b:a', '64k', fx.mp3]),
    ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=440:duration=2', '-c:a', 'pcm_s16le', fx.wav]),
    ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=660:duration=2', '-c:a', 'libvorbis', fx.ogg]),
    ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=330:duration=5', '-c:a', 'libmp3lame', '-b:a', '32k', fx.longMp3]),
    ffmpeg(['-f', 'lavfi', '-i', 'sine=frequency=550:duration=4', '-ac', '2', '-c:a', 'pcm_s16le', fx.bigWav]),
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc=duration=1:size=64x48:rate=10', '-c:v', 'mpeg4', '-an', fx.videoOnlyMp4]),
  ]);

  const mp3 = readFileSync(fx.mp3);
  writeFileSync(fx.truncatedMp3, mp3.subarray(0, Math.floor(mp3.length * 0.3)));
  const corrupt = Buffer.from(mp3);
  pseudoRandom(4000, 'corrupt').copy(corrupt, Math.floor(corrupt.length / 3));
  writeFileSync(fx.corruptMp3, corrupt);
  writeFileSync(fx.randomMp3, pseudoRandom(3000, 'random'));
  writeFileSync(fx.textMp3, 'Thông báo: họp tổ dân phố lúc 19 giờ.\nThis is a text file, not audio.\n');
  writeFileSync(fx.empty, Buffer.alloc(0));
  writeFileSync(fx.headerOnlyWav, wavHeader(0));
  return fx;
}

/** Deterministic bytes, so a "random" fixture behaves the same on every run. */
function pseudoRandom(length: number, seed: string): Buffer {
  const chunks: Buffer[] = [];
  let block = createHash('sha256').update(seed).digest();
  for (let n = 0; n < length; n += block.length) {
    chunks.push(block);
    block = createHash('sha256').update(block).digest();
  }
  return Buffer.concat(chunks).subarray(0, length);
}

/** RIFF/WAVE header for 44.1 kHz 16-bit mono PCM with `dataBytes` of samples announced. */
function wavHeader(dataBytes: number): Buffer {
  const b = Buffer.alloc(44);
  b.write('RIFF', 0, 'ascii');
  b.writeUInt32LE(36 + dataBytes, 4);
  b.write('WAVE', 8, 'ascii');
  b.write('fmt ', 12, 'ascii');
  b.writeUInt32LE(16, 16);
  b.writeUInt16LE(1, 20); // PCM
  b.writeUInt16LE(1, 22); // mono
  b.writeUInt32LE(44_100, 24);
  b.writeUInt32LE(88_200, 28);
  b.writeUInt16LE(2, 32);
  b.writeUInt16LE(16, 34);
  b.write('data', 36, 'ascii');
  b.writeUInt32LE(dataBytes, 40);
  return b;
}

export const sha256Of = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');
