import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import ffmpeg from '@ffmpeg-installer/ffmpeg';
import ffprobe from '@ffprobe-installer/ffprobe';

const run = promisify(execFile);

/** Writes a sine tone of `seconds` to `path` via ffmpeg's lavfi source; the extension picks the format (.mp3, .wav). */
export async function makeTone(path: string, seconds: number, freq = 440): Promise<string> {
  await run(ffmpeg.path, [
    '-hide_banner',
    '-loglevel',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=${freq}:sample_rate=44100:duration=${seconds}`,
    '-ac',
    '1',
    path,
  ]);
  return path;
}

/** Duration in seconds as ffprobe measures it (container duration). */
export async function probeDuration(path: string): Promise<number> {
  const { stdout } = await run(ffprobe.path, ['-v', 'error', '-show_entries', 'format=duration', '-of', 'default=nw=1:nk=1', path]);
  const seconds = Number(stdout.trim());
  if (!Number.isFinite(seconds)) throw new Error(`ffprobe gave no duration for ${path}: ${JSON.stringify(stdout)}`);
  return seconds;
}
