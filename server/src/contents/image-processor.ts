import { Injectable } from '@nestjs/common';
import { MediaToolError, MediaTools, type ToolResult } from '../media/media-tools.js';

export const MAX_IMAGE_BYTES = 20 * 1024 * 1024;
export const MAX_IMAGE_PIXELS_SIDE = 8000;
/** ffprobe codec → the MIME type we accept it as. */
const ACCEPTED: Record<string, string> = { png: 'image/png', mjpeg: 'image/jpeg', webp: 'image/webp' };

export interface ProbedImage {
  mime: string;
  codec: string;
  width: number;
  height: number;
}

/** A file refused as an image, with a reason for the operator. */
export class ImageRejected extends Error {
  override name = 'ImageRejected';
}

const MAX_OUTPUT = 4 * 1024 * 1024;

/** Exit code of a run; -1 when it was killed or could not start (then the image is refused like an unreadable one). */
async function exitCodeOf(run: Promise<ToolResult>): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run;
    return { code: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    if (err instanceof MediaToolError) return { code: -1, stdout: '', stderr: '' };
    throw err;
  }
}

/**
 * Every ffprobe/ffmpeg effect of image content: checks that an upload is one decodable PNG/JPEG/WebP picture of a
 * sane size, and renders it for a board resolution (scaled to fit, aspect kept, padded with the background).
 */
@Injectable()
export class ImageProcessor {
  constructor(private readonly tools: MediaTools) {}

  async probe(file: string): Promise<ProbedImage> {
    const r = await exitCodeOf(
      this.tools.ffprobe(['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height,nb_frames', '-of', 'json', file], {
        timeoutMs: 15_000,
        maxStdout: MAX_OUTPUT,
      }),
    );
    if (r.code !== 0) throw new ImageRejected('not an image (PNG, JPEG or WebP): the file could not be read as a picture');
    let stream: { codec_name?: string; width?: number; height?: number } | undefined;
    try {
      stream = (JSON.parse(r.stdout) as { streams?: Array<{ codec_name?: string; width?: number; height?: number }> }).streams?.[0];
    } catch {
      stream = undefined;
    }
    const mime = stream?.codec_name ? ACCEPTED[stream.codec_name] : undefined;
    if (!stream || !mime) throw new ImageRejected(`not a PNG, JPEG or WebP image${stream?.codec_name ? ` (found ${stream.codec_name})` : ''}`);
    const width = Number(stream.width);
    const height = Number(stream.height);
    if (!(width > 0 && height > 0)) throw new ImageRejected('the image has no size');
    if (width > MAX_IMAGE_PIXELS_SIDE || height > MAX_IMAGE_PIXELS_SIDE) {
      throw new ImageRejected(`the image is ${width}×${height} px; at most ${MAX_IMAGE_PIXELS_SIDE} px on each side`);
    }
    // Headers can be intact on a truncated or damaged file: decode it fully once.
    const d = await exitCodeOf(this.tools.ffmpeg(['-v', 'error', '-xerror', '-i', file, '-frames:v', '1', '-f', 'null', '-'], { timeoutMs: 30_000, maxStderr: MAX_OUTPUT }));
    if (d.code !== 0 || d.stderr.trim() !== '') throw new ImageRejected(`the image is corrupt: ${firstLine(d.stderr) || 'it could not be decoded'}`);
    return { mime, codec: stream.codec_name!, width, height };
  }

  /** Writes a PNG of exactly width×height: the image scaled to fit (or to cover, cropped), centred, padded. */
  async render(file: string, out: string, size: { width: number; height: number }, fit: 'contain' | 'cover', background: string): Promise<void> {
    const { width: w, height: h } = size;
    const pad = background.replace('#', '0x');
    const vf =
      fit === 'cover'
        ? `scale=${w}:${h}:force_original_aspect_ratio=increase,crop=${w}:${h}`
        : `scale=${w}:${h}:force_original_aspect_ratio=decrease,pad=${w}:${h}:(ow-iw)/2:(oh-ih)/2:color=${pad}`;
    const r = await exitCodeOf(
      this.tools.ffmpeg(['-v', 'error', '-y', '-i', file, '-vf', `${vf},setsar=1,format=rgb24`, '-frames:v', '1', '-f', 'image2', '-c:v', 'png', out], { timeoutMs: 60_000, maxStderr: MAX_OUTPUT }),
    );
    if (r.code !== 0) throw new Error(`ffmpeg could not resize the image: ${firstLine(r.stderr)}`);
  }
}

const firstLine = (s: string): string => s.trim().split('\n')[0]?.slice(0, 300) ?? '';
