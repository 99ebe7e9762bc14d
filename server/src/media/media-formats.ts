/**
 * Demuxers ffprobe/ffmpeg may use on an upload. Anything else is refused before it is parsed: playlist and concat
 * demuxers (hls, concat, …) would otherwise let an uploaded text file make ffmpeg open other local files or URLs.
 * Names are ffmpeg demuxer names ("mov" covers mp4/m4a/3gp, "matroska" covers webm).
 */
export const ACCEPTED_DEMUXERS = ['mp3', 'wav', 'w64', 'ogg', 'flac', 'mov', 'matroska', 'amr', 'aac', 'asf', 'aiff'] as const;

/** What operators are told they may upload. */
export const ACCEPTED_FORMATS_LABEL = 'MP3, WAV, OGG/Opus, FLAC, M4A/MP4/AAC, WebM, AMR, WMA, AIFF';

/** `format_name` as ffprobe reports it ("mov,mp4,m4a,3gp,3g2,mj2") → MIME type of the stored file. */
export function mimeForFormat(formatName: string): string {
  const names = new Set(formatName.split(',').map((n) => n.trim().toLowerCase()));
  if (names.has('mp3')) return 'audio/mpeg';
  if (names.has('wav') || names.has('w64')) return 'audio/wav';
  if (names.has('ogg')) return 'audio/ogg';
  if (names.has('flac')) return 'audio/flac';
  if (names.has('m4a') || names.has('mov') || names.has('mp4')) return 'audio/mp4';
  if (names.has('webm')) return 'audio/webm';
  if (names.has('amr')) return 'audio/amr';
  if (names.has('aac')) return 'audio/aac';
  if (names.has('asf')) return 'audio/x-ms-wma';
  if (names.has('aiff')) return 'audio/aiff';
  return 'application/octet-stream';
}

/** "4.2 s", "12 min 05 s", "2 h 03 min 09 s": durations in refusal messages meant for people. */
export function describeDuration(ms: number): string {
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h} h ${pad(m)} min ${pad(s)} s` : `${m} min ${pad(s)} s`;
}

/** "200 MB", "0.5 MB": a byte limit as the operator configured it. */
export function describeMegabytes(bytes: number): string {
  const mb = bytes / (1024 * 1024);
  return `${Number.isInteger(mb) ? mb : Number(mb.toFixed(2))} MB`;
}

/** A client-supplied file name made safe to store and show: no path, no control characters, at most 255 chars. */
export function cleanOriginalName(name: string | undefined): string {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  const cleaned = base.replace(/[\u0000-\u001f\u007f]/g, '').trim().normalize('NFC');
  const chars = Array.from(cleaned);
  const clipped = chars.length > 255 ? chars.slice(0, 255).join('') : cleaned;
  return clipped === '' ? 'upload' : clipped;
}
