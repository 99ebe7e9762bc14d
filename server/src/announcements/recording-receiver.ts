import { Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { badRequest, LoaError } from '../common/loa-error.js';
import { AppConfig } from '../config/app-config.js';
import { MediaIngestService, MediaRefusedException } from '../media/media-ingest.service.js';
import type { IngestResult } from '../media/media-types.js';

/** A spoken announcement recorded on a phone: a few minutes of Opus is well under this. */
export const MAX_RECORDING_BYTES = 25 * 1024 * 1024;

/**
 * A recording from the browser (MediaRecorder's WebM/Ogg/MP4, or any audio file) sent as the raw request body: kept
 * in a temporary file and handed to the media pipeline (probe, transcode, loudness), exactly as synthesised speech is.
 */
@Injectable()
export class RecordingReceiver {
  private readonly dir: string;

  constructor(
    private readonly ingest: MediaIngestService,
    config: AppConfig,
  ) {
    this.dir = path.join(config.dataDir, 'announcement-tmp');
  }

  async receive(req: IncomingMessage, userId: string): Promise<IngestResult> {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > MAX_RECORDING_BYTES) throw new LoaError(413, 'announcement.recording-too-large', { mb: MAX_RECORDING_BYTES / 1024 / 1024 });
    await mkdir(this.dir, { recursive: true });
    const file = path.join(this.dir, `rec-${randomBytes(8).toString('hex')}${extensionOf(String(req.headers['content-type'] ?? ''))}`);
    let bytes = 0;
    const limit = new Transform({
      transform(chunk: Buffer, _enc, done) {
        bytes += chunk.length;
        if (bytes > MAX_RECORDING_BYTES) done(new LoaError(413, 'announcement.recording-too-large', { mb: MAX_RECORDING_BYTES / 1024 / 1024 }));
        else done(null, chunk);
      },
    });
    try {
      await pipeline(req, limit, createWriteStream(file));
      if (bytes === 0) throw badRequest('announcement.recording-empty');
      return await this.ingest.ingestLocalFile(file, `ghi-am-${new Date().toISOString().slice(0, 10)}${extensionOf(String(req.headers['content-type'] ?? ''))}`, userId).catch((err: unknown) => {
        throw err instanceof MediaRefusedException ? badRequest('announcement.audio-refused', { reason: err.message }) : err;
      });
    } finally {
      await rm(file, { force: true }).catch(() => undefined);
    }
  }
}

function extensionOf(type: string): string {
  if (type.includes('webm')) return '.webm';
  if (type.includes('ogg')) return '.ogg';
  if (type.includes('mp4') || type.includes('m4a') || type.includes('aac')) return '.m4a';
  if (type.includes('wav')) return '.wav';
  if (type.includes('mpeg') || type.includes('mp3')) return '.mp3';
  return '';
}
