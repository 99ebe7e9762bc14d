import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import ffmpeg from '@ffmpeg-installer/ffmpeg';
import ffprobe from '@ffprobe-installer/ffprobe';

const run = promisify(execFile);

/** Writes a sine tone of `seconds` to `path` (format from the extension). */
export async function makeTone(path: string, seconds: number, freq = 440): Promise<void> {
  await run(ffmpeg.path, ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', `sine=frequency=${freq}:duration=${seconds}`, path]);
}

/** Duration in seconds as ffprobe measures it. */
export async function probeDuration(path: string): Promise<number> {
  const { stdout } = await run(ffprobe.path, ['-v', 'error', '-show_entries', 'format=duration', '-of', 'default=nw=1:nk=1', path]);
  return Number(stdout.trim());
}
