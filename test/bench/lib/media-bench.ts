import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { round } from './proc.js';

const run = promisify(execFile);

export interface MediaBenchResult {
  audioS: number;
  /** Upload through POST /api/v1/media until the processed media is answered. */
  loaWallS: number;
  loaRealtime: number;
  /** The same work as one bare ffmpeg user would do it: loudnorm pass 1, then pass 2 + encode. */
  bareWallS: number;
  bareRealtime: number;
  /** Loa wall time / bare ffmpeg wall time (target ≤ 1.2). */
  ratio: number;
  status: number;
  outputLufs: number | null;
}

/** Speech-like test signal (buzz with harmonics and noise, modulated at syllable rate), as in the server tests. */
const speechLike = (seconds: number): string =>
  `aevalsrc='(0.5*sin(2*PI*200*t)+0.25*sin(2*PI*400*t)+0.12*sin(2*PI*800*t)+0.08*(random(0)-0.5))*(0.55+0.45*sin(2*PI*4*t))*(0.7+0.3*sin(2*PI*0.3*t))*0.3':s=44100:d=${seconds}`;

const ffmpeg = (args: string[]) => run(ffmpegInstaller.path, ['-hide_banner', '-nostdin', '-nostats', '-y', ...args], { maxBuffer: 16 * 1024 * 1024 });

/**
 * The audio pipeline against a real server: a 5-minute speech-like WAV uploaded and processed (transcode to
 * MP3 64k mono 44.1 kHz, two-pass EBU R128 loudnorm), compared with bare ffmpeg doing the same in the same run.
 */
export async function measureMediaPipeline(baseUrl: string, token: string, dir: string, seconds = 300): Promise<MediaBenchResult> {
  const wav = path.join(dir, 'bench-speech.wav');
  await ffmpeg(['-v', 'error', '-f', 'lavfi', '-i', speechLike(seconds), '-c:a', 'pcm_s16le', wav]);
  const body = readFileSync(wav);

  // Bare ffmpeg first (also warms the page cache and the binary for both).
  const t0 = Date.now();
  const pass1 = await ffmpeg(['-i', wav, '-af', 'aformat=channel_layouts=mono,loudnorm=I=-16:TP=-1.5:LRA=11:print_format=json', '-f', 'null', '-']);
  const m = JSON.parse(pass1.stderr.slice(pass1.stderr.lastIndexOf('{'), pass1.stderr.lastIndexOf('}') + 1)) as Record<string, string>;
  const out = path.join(dir, 'bench-bare.mp3');
  await ffmpeg([
    '-v', 'error', '-i', wav, '-af',
    `aformat=channel_layouts=mono,loudnorm=I=-16:TP=-1.5:LRA=11:measured_I=${m.input_i}:measured_TP=${m.input_tp}:measured_LRA=${m.input_lra}:measured_thresh=${m.input_thresh}:offset=${m.target_offset}:linear=true,aresample=44100:resampler=soxr`,
    '-ar', '44100', '-ac', '1', '-c:a', 'libmp3lame', '-b:a', '64k', out,
  ]);
  const bareWallS = (Date.now() - t0) / 1000;
  rmSync(out, { force: true });

  const form = new FormData();
  form.append('file', new Blob([body], { type: 'audio/wav' }), 'bench-speech.wav');
  const t1 = Date.now();
  const res = await fetch(`${baseUrl}/api/v1/media`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form, signal: AbortSignal.timeout(600_000) });
  const answer = (await res.json()) as { audio?: { loudnessAfter?: { integratedLufs?: number | null } } | null };
  const loaWallS = (Date.now() - t1) / 1000;
  rmSync(wav, { force: true });
  if (res.status !== 201 && res.status !== 200) throw new Error(`POST /api/v1/media → ${res.status}: ${JSON.stringify(answer).slice(0, 300)}`);
  return {
    audioS: seconds,
    loaWallS: round(loaWallS, 2),
    loaRealtime: round(seconds / loaWallS, 1),
    bareWallS: round(bareWallS, 2),
    bareRealtime: round(seconds / bareWallS, 1),
    ratio: round(loaWallS / bareWallS, 2),
    status: res.status,
    outputLufs: answer.audio?.loudnessAfter?.integratedLufs ?? null,
  };
}
