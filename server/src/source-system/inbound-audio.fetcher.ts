import { Injectable, type OnModuleInit } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { AppConfig } from '../config/app-config.js';

/** How long one download may take, start to end (bulletins are minutes of audio: a few MB). */
export const AUDIO_FETCH_TIMEOUT_MS = 120_000;
/** Redirects followed (each one checked against the allowed origins). */
const MAX_REDIRECTS = 5;

/** `https://host:port` of a URL, or null when it is not an http(s) URL. */
export function httpOrigin(url: string): string | null {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.origin : null;
  } catch {
    return null;
  }
}

/**
 * A download that will not succeed by trying again (the file is not there, is too large, or is not what the sender
 * said it is); anything else (network, timeout, 5xx) is worth a retry.
 */
export class PermanentFetchError extends Error {}

export interface FetchedAudio {
  path: string;
  bytes: number;
  sha256: string;
}

/**
 * Fetches a bulletin's audio from the sending server into a private temp file: bounded in time and size, hashed on
 * the way, checked against the sha256 the sender announced. The media pipeline then takes it like an upload.
 */
@Injectable()
export class InboundAudioFetcher implements OnModuleInit {
  private readonly dir: string;
  private readonly maxBytes: number;

  constructor(config: AppConfig) {
    this.dir = path.join(config.dataDir, 'source-inbound-tmp');
    this.maxBytes = config.maxUploadBytes;
  }

  async onModuleInit(): Promise<void> {
    // Not emptied here: instances may share the data directory, and another one may be downloading into it.
    await mkdir(this.dir, { recursive: true });
  }

  /**
   * `allowedOrigins`: where the audio may come from (the sending peer's base URL's origin). Without it an upper peer
   * could make this server fetch any URL it names (an internal address, a cloud metadata endpoint): a server-side
   * request forgery. Redirects are followed by hand, each target checked the same way.
   */
  async fetch(url: string, expectedSha256: string | null, allowedOrigins: readonly string[], timeoutMs = AUDIO_FETCH_TIMEOUT_MS): Promise<FetchedAudio> {
    const target = path.join(this.dir, `audio-${randomBytes(8).toString('hex')}.src`);
    const signal = AbortSignal.timeout(timeoutMs);
    let res: Response;
    let at = url;
    for (let hop = 0; ; hop++) {
      const origin = httpOrigin(at);
      if (origin === null || !allowedOrigins.includes(origin)) {
        throw new PermanentFetchError(`audio URL ${origin ?? at.slice(0, 200)} is not on the sending peer's address (${allowedOrigins.join(', ') || 'none'}): refused`);
      }
      try {
        res = await fetch(at, { signal, redirect: 'manual' });
      } catch (err) {
        throw new Error(`audio download failed: ${describe(err)}`);
      }
      const location = res.headers.get('location');
      if (res.status < 300 || res.status >= 400 || location === null) break;
      await res.body?.cancel().catch(() => undefined);
      if (hop >= MAX_REDIRECTS) throw new PermanentFetchError(`audio download: more than ${MAX_REDIRECTS} redirects`);
      at = new URL(location, at).toString();
    }
    if (!res.ok) {
      await res.body?.cancel().catch(() => undefined);
      const msg = `audio download answered HTTP ${res.status}`;
      // 404/410/403…: the sender must send it again with a good URL; 408, 429 and 5xx pass with time.
      if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429) throw new PermanentFetchError(msg);
      throw new Error(msg);
    }
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (Number.isFinite(declared) && declared > this.maxBytes) {
      await res.body?.cancel().catch(() => undefined);
      throw new PermanentFetchError(`audio is ${declared} bytes, more than the ${this.maxBytes} allowed`);
    }
    if (!res.body) throw new PermanentFetchError('audio download has no body');
    const hash = createHash('sha256');
    let bytes = 0;
    const max = this.maxBytes;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        bytes += chunk.length;
        if (bytes > max) return cb(new PermanentFetchError(`audio is more than the ${max} bytes allowed`));
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    try {
      await pipeline(Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>), meter, createWriteStream(target));
    } catch (err) {
      await this.discard(target);
      if (err instanceof PermanentFetchError) throw err;
      throw new Error(`audio download broke off after ${bytes} bytes: ${describe(err)}`);
    }
    const sha256 = hash.digest('hex');
    if (bytes === 0) {
      await this.discard(target);
      throw new PermanentFetchError('audio download is empty');
    }
    if (expectedSha256 !== null && sha256 !== expectedSha256) {
      await this.discard(target);
      throw new PermanentFetchError(`audio sha256 is ${sha256}, the sender announced ${expectedSha256}`);
    }
    return { path: target, bytes, sha256 };
  }

  async discard(file: string): Promise<void> {
    await rm(file, { force: true });
  }
}

function describe(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError') return 'timed out';
  return e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
}
