/**
 * Output level measurement with ffmpeg's ebur128 filter (EBU R128 / ITU-R BS.1770). With `framelog=info` it logs a
 * line every 100 ms such as
 *   [Parsed_ebur128_2 @ 0x…] [info] t: 1.2  TARGET:-23 LUFS  M: -23.0 S: -23.1  I: -23.0 LUFS  LRA: 0.0 LU
 * where M is the momentary loudness (400 ms window). Digital silence makes it print -120.7, or nan once the
 * window holds nothing but zeros (a muted output).
 */

/** The level reported for digital silence (what ebur128 prints for an empty window). */
export const SILENCE_LUFS = -120.7;

const MOMENTARY = /\bM:\s*(-?(?:\d+(?:\.\d+)?|inf|nan))/i;

/** The momentary loudness of one ebur128 frame line, or undefined for any other line. */
export function parseMomentaryLufs(line: string): number | undefined {
  if (!line.includes('ebur128') && !line.includes('TARGET:')) return undefined;
  const m = MOMENTARY.exec(line);
  if (!m) return undefined;
  const v = Number(m[1]);
  // nan / -inf: the window holds only zeros.
  return Number.isFinite(v) ? clampLufs(v) : SILENCE_LUFS;
}

/** Within what the protocol accepts (−200…20 LUFS), one decimal. */
export const clampLufs = (v: number): number => Math.round(Math.min(20, Math.max(-200, v)) * 10) / 10;

/** ffmpeg filter graph tail that measures the signal on a branch, leaving the output itself untouched. */
export const METER_FILTER = 'asplit=2[loa_out][loa_meter];[loa_meter]ebur128=framelog=info,anullsink;[loa_out]anull';
