import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import ffprobeInstaller from '@ffprobe-installer/ffprobe';
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

async function ffmpeg(args: string[]): Promise<void> {
  await run(ffmpegInstaller.path, ['-v', 'error', '-nostdin', '-y', ...args]);
}

/** Speech-like test signal: a 200 Hz buzz with harmonics and noise, amplitude-modulated at syllable rate (4 Hz). */
export const speechLike = (seconds: number, gainDb = 0): string =>
  `aevalsrc='(0.5*sin(2*PI*200*t)+0.25*sin(2*PI*400*t)+0.12*sin(2*PI*800*t)+0.08*(random(0)-0.5))*(0.55+0.45*sin(2*PI*4*t))*(0.7+0.3*sin(2*PI*0.3*t))*${Math.pow(10, gainDb / 20).toFixed(5)}':s=44100:d=${seconds}`;

/** Good audio of every accepted kind, at different levels, made with the real ffmpeg. */
export interface AudioFixtures {
  /** 6 s speech-like at about −40 LUFS, 16-bit WAV. */
  quietWav: string;
  /** 6 s loud pink-ish noise near full scale, stereo WAV. */
  loudWav: string;
  /** The same speech-like audio in each container/codec. */
  mp3: string;
  m4a: string;
  oggOpus: string;
  flac: string;
  amr: string;
  webmOpus: string;
  /** 4 s of digital silence. */
  silenceWav: string;
  /** 1.5 s silence, 3 s tone, 2 s silence. */
  paddedWav: string;
}

export async function makeAudioFixtures(dir: string): Promise<AudioFixtures> {
  const f = (name: string) => path.join(dir, name);
  const fx: AudioFixtures = {
    quietWav: f('quiet.wav'),
    loudWav: f('loud.wav'),
    mp3: f('speech.mp3'),
    m4a: f('speech.m4a'),
    oggOpus: f('speech.opus.ogg'),
    flac: f('speech.flac'),
    amr: f('speech.amr'),
    webmOpus: f('speech.webm'),
    silenceWav: f('silence.wav'),
    paddedWav: f('padded.wav'),
  };
  const speech = ['-f', 'lavfi', '-i', speechLike(6, -6)];
  await Promise.all([
    ffmpeg(['-f', 'lavfi', '-i', speechLike(6, -30), '-c:a', 'pcm_s16le', fx.quietWav]),
    ffmpeg(['-f', 'lavfi', '-i', 'anoisesrc=color=pink:amplitude=0.9:duration=6:seed=7', '-ac', '2', '-c:a', 'pcm_s16le', fx.loudWav]),
    ffmpeg([...speech, '-c:a', 'libmp3lame', '-b:a', '128k', fx.mp3]),
    ffmpeg([...speech, '-c:a', 'aac', '-b:a', '96k', fx.m4a]),
    ffmpeg([...speech, '-ar', '48000', '-c:a', 'libopus', '-b:a', '48k', '-f', 'ogg', fx.oggOpus]),
    ffmpeg([...speech, '-c:a', 'flac', fx.flac]),
    ffmpeg([...speech, '-ar', '8000', '-ac', '1', '-c:a', 'libopencore_amrnb', '-b:a', '12.2k', fx.amr]),
    ffmpeg([...speech, '-ar', '48000', '-c:a', 'libopus', '-b:a', '48k', '-f', 'webm', fx.webmOpus]),
    ffmpeg(['-f', 'lavfi', '-i', 'anullsrc=r=44100:cl=mono', '-t', '4', '-c:a', 'pcm_s16le', fx.silenceWav]),
    ffmpeg([
      '-f', 'lavfi', '-t', '1.5', '-i', 'anullsrc=r=44100:cl=mono',
      '-f', 'lavfi', '-i', 'sine=frequency=500:duration=3:sample_rate=44100',
      '-f', 'lavfi', '-t', '2', '-i', 'anullsrc=r=44100:cl=mono',
      '-filter_complex', '[0][1][2]concat=n=3:v=0:a=1', '-c:a', 'pcm_s16le', fx.paddedWav,
    ]),
  ]);
  return fx;
}

export interface MeasuredLoudness {
  integratedLufs: number;
  truePeakDbtp: number;
}

/** EBU R128 as ffmpeg's ebur128 filter measures it: independent of loudnorm. */
export async function measureEbur128(file: string): Promise<MeasuredLoudness> {
  const { stderr } = await run(ffmpegInstaller.path, ['-nostdin', '-nostats', '-hide_banner', '-i', file, '-af', 'ebur128=peak=true', '-f', 'null', '-']);
  const summary = stderr.slice(stderr.lastIndexOf('Summary:'));
  const i = /I:\s+(-?[\d.]+|-inf) LUFS/.exec(summary)?.[1];
  const tp = /True peak:\s+Peak:\s+(-?[\d.]+|-inf) dBFS/.exec(summary)?.[1];
  return { integratedLufs: Number(i), truePeakDbtp: Number(tp) };
}

export interface ProbedFile {
  formatName: string;
  codecName: string;
  sampleRate: number;
  channels: number;
  bitRate: number;
  durationS: number;
}

export async function probeFile(file: string): Promise<ProbedFile> {
  const { stdout } = await run(ffprobeInstaller.path, ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file]);
  const j = JSON.parse(stdout) as { format: { format_name: string; duration: string; bit_rate: string }; streams: Array<{ codec_name: string; sample_rate: string; channels: number; bit_rate?: string }> };
  const s = j.streams[0]!;
  return {
    formatName: j.format.format_name,
    codecName: s.codec_name,
    sampleRate: Number(s.sample_rate),
    channels: s.channels,
    bitRate: Number(s.bit_rate ?? j.format.bit_rate),
    durationS: Number(j.format.duration),
  };
}

/** A mono 16-bit WAV of speech-like audio (long fixtures for progress and restart tests). */
export async function makeSpeechWav(file: string, seconds: number, gainDb = -6): Promise<string> {
  await ffmpeg(['-f', 'lavfi', '-i', speechLike(seconds, gainDb), '-c:a', 'pcm_s16le', file]);
  return file;
}
