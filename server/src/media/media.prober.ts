import { Injectable } from '@nestjs/common';
import { z } from 'zod';
import { ACCEPTED_DEMUXERS } from './media-formats.js';
import { MediaTools } from './media-tools.js';

/** ffprobe reads headers only; a file that takes longer is pathological. */
const PROBE_TIMEOUT_MS = 30_000;

export interface ProbedStream {
  codecType: string | null;
  codecName: string | null;
  durationMs: number | null;
}

export type ProbeResult =
  | {
      ok: true;
      formatName: string;
      /** From the container (or the first audio stream); null when neither says. */
      durationMs: number | null;
      /** ffmpeg guessed the duration from the bit rate (e.g. MP3 without a Xing header): not a promise. */
      durationEstimated: boolean;
      streams: ProbedStream[];
    }
  | { ok: false; detail: string };

const probeOutputSchema = z.object({
  format: z
    .object({ format_name: z.string().optional(), duration: z.string().optional() })
    .loose()
    .optional(),
  streams: z
    .array(z.object({ codec_type: z.string().optional(), codec_name: z.string().optional(), duration: z.string().optional() }).loose())
    .optional(),
});

/**
 * What ffprobe says about an uploaded file. Inputs are local temp files named by the server, never by the client;
 * demuxers are restricted to audio formats (see ACCEPTED_DEMUXERS).
 */
@Injectable()
export class MediaProber {
  constructor(private readonly tools: MediaTools) {}

  async probe(file: string): Promise<ProbeResult> {
    // -v warning rather than error: the "Estimating duration from bitrate" warning tells whether the duration
    // can be trusted to detect truncation. The JSON is on stdout either way.
    const run = await this.tools.ffprobe(
      ['-v', 'warning', '-format_whitelist', ACCEPTED_DEMUXERS.join(','), '-print_format', 'json', '-show_format', '-show_streams', file],
      { timeoutMs: PROBE_TIMEOUT_MS },
    );
    if (run.timedOut) return { ok: false, detail: `ffprobe did not finish within ${PROBE_TIMEOUT_MS / 1000} s` };
    if (run.exitCode !== 0) return { ok: false, detail: firstLines(run.stderr, file) || `ffprobe exited with code ${run.exitCode}` };
    let parsed: z.infer<typeof probeOutputSchema>;
    try {
      parsed = probeOutputSchema.parse(JSON.parse(run.stdout));
    } catch {
      return { ok: false, detail: 'ffprobe output could not be read' };
    }
    const streams = (parsed.streams ?? []).map((s) => ({
      codecType: s.codec_type ?? null,
      codecName: s.codec_name ?? null,
      durationMs: secondsToMs(s.duration),
    }));
    const firstAudio = streams.find((s) => s.codecType === 'audio');
    return {
      ok: true,
      formatName: parsed.format?.format_name ?? 'unknown',
      durationMs: secondsToMs(parsed.format?.duration) ?? firstAudio?.durationMs ?? null,
      durationEstimated: /estimating duration from bit ?rate/i.test(run.stderr),
      streams,
    };
  }
}

function secondsToMs(value: string | undefined): number | null {
  if (value === undefined) return null;
  const s = Number(value);
  return Number.isFinite(s) && s >= 0 ? Math.round(s * 1000) : null;
}

/**
 * The first few lines of a tool's stderr, fit to show an operator: without ffmpeg's "[mp3 @ 0x55d…]" prefixes
 * and without the server's temp path.
 */
function firstLines(stderr: string, file: string, max = 3): string {
  return stderr
    .replaceAll(file, 'input')
    .split('\n')
    .map((l) => l.replace(/^\[[^\]]*@ 0x[0-9a-f]+\]\s*/i, '').trim())
    .filter((l) => l !== '')
    .slice(0, max)
    .join('; ')
    .slice(0, 300);
}
