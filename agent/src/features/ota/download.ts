import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, stat, truncate, unlink } from 'node:fs/promises';
import type { HttpResponse } from '../../http.js';
import { OtaError } from './state.js';

export type OtaFetch = (url: string, init: { headers: Record<string, string>; signal?: AbortSignal }) => Promise<HttpResponse>;

export interface DownloadRequest {
  url: string;
  /** The partial file: resumed with a byte range while it holds fewer bytes than `size`. */
  file: string;
  size: number;
  authorization: string;
  fetch: OtaFetch;
  signal?: AbortSignal;
  onProgress?: (bytes: number) => void;
}

export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const sizeOf = async (file: string): Promise<number> => {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
};

/**
 * One attempt at the rest of a release package: asks for the bytes after those already on disk (Range), appends
 * what a 206 brings, starts over on a 200 (the server ignored the range). Throws a plain Error on a network or
 * server failure (worth another attempt, which resumes) and OtaError('hash-mismatch') when more bytes come than the
 * release has. Resolves with the bytes on disk.
 */
export async function downloadOnce(req: DownloadRequest): Promise<number> {
  let have = await sizeOf(req.file);
  if (have > req.size) {
    await truncate(req.file, 0);
    have = 0;
  }
  if (have === req.size) return have;
  const headers: Record<string, string> = { authorization: req.authorization };
  if (have > 0) headers.range = `bytes=${have}-`;
  const res = await req.fetch(req.url, { headers, ...(req.signal ? { signal: req.signal } : {}) });
  if (res.status === 416 && have > 0) {
    // The range starts past the end: what is on disk is not a prefix of this package. Start over next time.
    await unlink(req.file).catch(() => undefined);
    throw new Error('the server refused the byte range; starting the download over');
  }
  if (res.status !== 200 && res.status !== 206) {
    const text = await res.text().catch(() => '');
    const error = new Error(`GET ${req.url}: HTTP ${res.status} ${text.slice(0, 200)}`);
    if (res.status === 401 || res.status === 403 || res.status === 404) throw new OtaError('download-failed', error.message);
    throw error;
  }
  const append = res.status === 206 && have > 0;
  if (!append) have = 0;
  const fh = await open(req.file, append ? 'a' : 'w');
  try {
    const body = res.body;
    if (!body) throw new Error('empty response body');
    const reader = body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (have + value.byteLength > req.size) {
        await reader.cancel().catch(() => undefined);
        throw new OtaError('hash-mismatch', `the server sent more than the ${req.size} bytes of the release`);
      }
      await fh.write(value);
      have += value.byteLength;
      req.onProgress?.(have);
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
  return have;
}
