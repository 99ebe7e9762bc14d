import { Injectable } from '@nestjs/common';
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import ffprobeInstaller from '@ffprobe-installer/ffprobe';
import { execFile } from 'node:child_process';

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

const run = (cmd: string, args: string[], timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });

/**
 * Every ffprobe/ffmpeg effect of image content: checks that an upload is one decodable PNG/JPEG/WebP picture of a
 * sane size, and renders it for a board resolution (scaled to fit, aspect kept, padded with the background).
 */
@Injectable()
export class ImageProcessor {
  protected readonly ffprobe: string = ffprobeInstaller.path;
  protected readonly ffmpeg: string = ffmpegInstaller.path;

  async probe(file: string): Promise<ProbedImage> {
    const r = await run(this.ffprobe, ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=codec_name,width,height,nb_frames', '-of', 'json', file], 15_000);
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
    const d = await run(this.ffmpeg, ['-v', 'error', '-xerror', '-i', file, '-frames:v', '1', '-f', 'null', '-'], 30_000);
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
    const r = await run(this.ffmpeg, ['-v', 'error', '-y', '-i', file, '-vf', `${vf},setsar=1,format=rgb24`, '-frames:v', '1', '-f', 'image2', '-c:v', 'png', out], 60_000);
    if (r.code !== 0) throw new Error(`ffmpeg could not resize the image: ${firstLine(r.stderr)}`);
  }
}

const firstLine = (s: string): string => s.trim().split('\n')[0]?.slice(0, 300) ?? '';
