import type { AppConfig } from '../config/app-config.js';

/** What every delivered file is made into (from LOA_AUDIO_* and LOA_LOUDNESS_* settings). */
export interface AudioProfile {
  format: 'mp3' | 'opus';
  bitrateKbps: number;
  sampleRate: number;
  channels: number;
  targetLufs: number;
  truePeakDbtp: number;
  /** loudnorm's loudness-range target; sources within it are normalised with one gain (linear mode). */
  targetLra: number;
  trimSilence: boolean;
}

/** Silence detection for trimming: quieter than this for at least this long at the very start or end. */
export const SILENCE_THRESHOLD_DB = -50;
export const SILENCE_MIN_S = 0.3;
/** Silence kept before and after the audio when trimming, so a speaker's first syllable is not clipped. */
export const SILENCE_KEEP_S = 0.1;

export function audioProfileOf(config: AppConfig): AudioProfile {
  return { ...config.audio, targetLra: 11 };
}

/** A stable name for the delivery settings; (source sha256, profile key) is processed once. */
export function profileKey(p: AudioProfile): string {
  return `${p.format}/${p.bitrateKbps}k/${p.sampleRate}/${p.channels}ch/${p.targetLufs}LUFS/${p.truePeakDbtp}dBTP/${p.trimSilence ? 'trim' : 'notrim'}`;
}

export function deliveredMime(p: AudioProfile): string {
  return p.format === 'mp3' ? 'audio/mpeg' : 'audio/ogg';
}

export function deliveredCodec(p: AudioProfile): string {
  return p.format === 'mp3' ? 'mp3' : 'opus';
}

/** Loudness as EBU R128 measures it: integrated (LUFS), true peak (dBTP), loudness range (LU). */
export interface Loudness {
  integratedLufs: number | null;
  truePeakDbtp: number | null;
  lraLu: number | null;
}

/** First-pass measurement: what loudnorm needs for its second pass. */
export interface LoudnessMeasurement extends Loudness {
  /** Raw strings as loudnorm printed them, passed back verbatim. */
  raw: { input_i: string; input_tp: string; input_lra: string; input_thresh: string; target_offset: string };
  /** Leading and trailing silence found (seconds); null when trimming is off. */
  silence: { leadS: number; trailStartS: number | null } | null;
}

export interface RenderResult {
  output: Loudness;
  normalization: 'linear' | 'dynamic';
}

/** The section to keep when trimming (seconds), or null for all of it. */
export function trimWindow(
  silence: LoudnessMeasurement['silence'],
  durationS: number,
): { startS: number; endS: number } | null {
  if (!silence) return null;
  const startS = Math.max(0, silence.leadS - SILENCE_KEEP_S);
  const endS = silence.trailStartS === null ? durationS : Math.min(durationS, silence.trailStartS + SILENCE_KEEP_S);
  if (startS <= 0 && endS >= durationS) return null;
  return endS > startS ? { startS, endS } : null;
}

/** ffmpeg filters of both passes, in order. `measured` switches loudnorm to its second (applying) pass. */
export function filterChain(p: AudioProfile, opts: { measured?: LoudnessMeasurement; trim?: { startS: number; endS: number } | null; detectSilence?: boolean }): string {
  const f: string[] = [];
  if (opts.trim) f.push(`atrim=start=${opts.trim.startS.toFixed(3)}:end=${opts.trim.endS.toFixed(3)}`, 'asetpts=PTS-STARTPTS');
  f.push(`aformat=channel_layouts=${p.channels === 1 ? 'mono' : 'stereo'}`);
  if (opts.detectSilence) f.push(`silencedetect=noise=${SILENCE_THRESHOLD_DB}dB:d=${SILENCE_MIN_S}`);
  const ln = [`I=${p.targetLufs}`, `TP=${p.truePeakDbtp}`, `LRA=${p.targetLra}`];
  if (opts.measured) {
    const m = opts.measured.raw;
    ln.push(`measured_I=${m.input_i}`, `measured_TP=${m.input_tp}`, `measured_LRA=${m.input_lra}`, `measured_thresh=${m.input_thresh}`, `offset=${m.target_offset}`, 'linear=true');
  }
  ln.push('print_format=json');
  f.push(`loudnorm=${ln.join(':')}`);
  // loudnorm works (and outputs) at 192 kHz; back to the delivery rate with a good resampler.
  if (opts.measured) f.push(`aresample=${p.sampleRate}:resampler=soxr`);
  return f.join(',');
}

/** Encoder and muxer arguments of the delivered file. Bit-exact, so the same input always gives the same bytes. */
export function encoderArgs(p: AudioProfile): string[] {
  const common = ['-ar', String(p.sampleRate), '-ac', String(p.channels), '-map_metadata', '-1', '-fflags', '+bitexact', '-flags:a', '+bitexact'];
  return p.format === 'mp3'
    ? [...common, '-c:a', 'libmp3lame', '-b:a', `${p.bitrateKbps}k`, '-id3v2_version', '0', '-write_id3v1', '0', '-f', 'mp3']
    : [...common, '-c:a', 'libopus', '-b:a', `${p.bitrateKbps}k`, '-vbr', 'off', '-application', 'audio', '-f', 'ogg'];
}
