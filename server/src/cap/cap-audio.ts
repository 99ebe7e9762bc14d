import { Injectable, Optional } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { CapFeedAuth } from '@loa/shared/rest';
import { AppConfig } from '../config/app-config.js';
import { MediaIngestService } from '../media/media-ingest.service.js';
import { TtsService } from '../tts/tts.service.js';
import { boundedFetch, CapFetchError, originOf } from './cap-fetch.js';
import type { CapResource } from './cap-parse.js';

export const CAP_ACTOR = 'cap';
/** Resource downloads: a few minutes of audio at most. */
export const CAP_AUDIO_TIMEOUT_MS = 60_000;
export const CAP_AUDIO_MAX_BYTES = 32 * 1024 * 1024;

export interface AudioSourceRules {
  /** Where `uri` may point (the feed's origin plus the source's resourceOrigins). */
  allowedOrigins: string[];
  auth?: CapFeedAuth | undefined;
  credentialOrigin?: string | null | undefined;
}

/**
 * A message's audio into the media pipeline (transcoded, loudness-normalised, content-addressed, exactly like an
 * upload), from `uri` or embedded `derefUri`, its SHA-1 `digest` checked when given; or, without audio and when the
 * source asks, the text read aloud by the server's TTS.
 */
@Injectable()
export class CapAudio {
  private readonly dir: string;

  constructor(
    config: AppConfig,
    private readonly media: MediaIngestService,
    @Optional() private readonly tts?: TtsService,
  ) {
    this.dir = path.join(config.dataDir, 'cap-tmp');
  }

  /** The audio resource of an info, if any (the first one with an audio/* mime type). */
  static pick(resources: CapResource[]): CapResource | null {
    return resources.find((r) => /^audio\//i.test(r.mimeType.trim())) ?? null;
  }

  async fetch(r: CapResource, rules: AudioSourceRules): Promise<string> {
    let bytes: Buffer;
    if (r.derefUri) {
      bytes = Buffer.from(r.derefUri.replace(/\s+/g, ''), 'base64');
      if (bytes.length === 0) throw new CapFetchError('derefUri is empty or not base64');
      if (bytes.length > CAP_AUDIO_MAX_BYTES) throw new CapFetchError(`derefUri is more than ${CAP_AUDIO_MAX_BYTES} bytes`);
    } else if (r.uri) {
      if (originOf(r.uri) === null) throw new CapFetchError(`resource uri ${r.uri.slice(0, 200)} is not an http(s) URL`);
      bytes = (await boundedFetch(r.uri, { timeoutMs: CAP_AUDIO_TIMEOUT_MS, maxBytes: CAP_AUDIO_MAX_BYTES, allowedOrigins: rules.allowedOrigins, auth: rules.auth, credentialOrigin: rules.credentialOrigin })).body;
    } else {
      throw new CapFetchError('audio resource has neither uri nor derefUri');
    }
    if (r.digest) {
      const sha1 = createHash('sha1').update(bytes).digest('hex');
      if (sha1 !== r.digest.trim().toLowerCase()) throw new CapFetchError(`resource digest (SHA-1) is ${sha1}, the message says ${r.digest.trim().slice(0, 64)}`);
    }
    await mkdir(this.dir, { recursive: true });
    const file = path.join(this.dir, `cap-${randomBytes(8).toString('hex')}${extension(r)}`);
    try {
      await writeFile(file, bytes);
      return (await this.media.ingestLocalFile(file, originalName(r), CAP_ACTOR)).media.sha256;
    } finally {
      await rm(file, { force: true });
    }
  }

  get canSpeak(): boolean {
    return this.tts !== undefined;
  }

  async speak(text: string): Promise<string> {
    if (!this.tts) throw new Error('no TTS engine');
    return (await this.tts.speak({ text: text.slice(0, 5000), voice: 'female', accent: 'north', speed: 1 }, CAP_ACTOR)).ingest.media.sha256;
  }
}

function extension(r: CapResource): string {
  const fromUri = r.uri ? path.extname(new URL(r.uri, 'http://x').pathname).slice(0, 6) : '';
  if (fromUri) return fromUri;
  const sub = r.mimeType.split('/')[1]?.toLowerCase() ?? '';
  return sub.includes('mpeg') || sub.includes('mp3') ? '.mp3' : sub.includes('wav') ? '.wav' : sub.includes('ogg') ? '.ogg' : '.bin';
}

function originalName(r: CapResource): string {
  const desc = r.resourceDesc.normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[đĐ]/g, 'd').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40);
  return `cap-${desc || 'audio'}${extension(r)}`;
}
