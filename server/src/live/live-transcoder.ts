import { createWriteStream, type WriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ServerResponse } from 'node:http';
import { MediaTools } from '../media/media-tools.js';
import { Mp3FrameSplitter } from './mp3-frames.js';

/** What the browser sends: MediaRecorder's WebM/Opus chunks, or raw PCM from an AudioWorklet. */
export type MicFormat = 'webm' | 'pcm';

/** s16le mono at this rate when the browser sends PCM. */
export const PCM_RATE = 48_000;

/** The stream speakers fetch: MPEG-1 Layer III, 48 kHz mono, constant bit rate (frames of 24 ms, 192 bytes). */
export const LIVE_STREAM_MIME = 'audio/mpeg';
const BITRATE = '64k';

/** A speaker that reads slower than the stream plays is cut off rather than buffered without bound (≈ 8 s). */
const MAX_LISTENER_BUFFER = 64 * 1024;

/**
 * Input options that keep ffmpeg from holding audio back: no input buffering, no probing beyond the first bytes.
 * `-flush_packets 1` on the output hands each encoded frame over at once.
 */
export function transcoderArgs(input: string, output: string, format: MicFormat): string[] {
  const inputFormat = format === 'pcm' ? ['-f', 's16le', '-ar', String(PCM_RATE), '-ac', '1'] : ['-f', 'matroska'];
  return [
    '-hide_banner', '-nostdin', '-loglevel', 'error',
    '-fflags', 'nobuffer', '-flags', 'low_delay', '-probesize', '32', '-analyzeduration', '0',
    ...inputFormat, '-i', input,
    '-vn', '-ac', '1', '-ar', '48000', '-c:a', 'libmp3lame', '-b:a', BITRATE,
    '-write_xing', '0', '-id3v2_version', '0', '-flush_packets', '1', '-f', 'mp3', output,
  ];
}

/**
 * One live session's sound path: browser chunks in (write), one ffmpeg turning them into MP3, the MP3 frames fanned
 * out to every listening speaker and appended to the recording. ffmpeg runs through the MediaTools port, which gives
 * it no pipes for binary data, so it reads and writes two Unix sockets in a private directory.
 */
export class LiveTranscoder {
  private dir = '';
  private inputServer: Server | null = null;
  private outputServer: Server | null = null;
  private input: Socket | null = null;
  private output: Socket | null = null;
  /** Chunks that came before ffmpeg connected to read them. */
  private pending: Buffer[] = [];
  private readonly listeners = new Set<ServerResponse>();
  private recording: WriteStream | null = null;
  private abort = new AbortController();
  private runs = 0;
  private run: Promise<string | null> | null = null;
  private ended = false;
  bytesIn = 0;
  bytesOut = 0;

  constructor(
    private readonly tools: MediaTools,
    private readonly recordingPath: string,
    /** ffmpeg is killed after this long whatever happens (the session's maximum plus a margin). */
    private readonly maxRunMs: number,
    private readonly onFailure: (reason: string) => void,
  ) {}

  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Prepares the recording; ffmpeg starts when a microphone connects (useInput). */
  async start(): Promise<void> {
    this.dir = await mkdtemp(path.join(tmpdir(), 'loa-live-'));
    this.recording = createWriteStream(this.recordingPath);
    this.recording.on('error', () => undefined);
  }

  /**
   * A microphone connected. After a drop, the browser's recorder starts a new WebM stream (a new header), which
   * cannot be appended to the old one: a new ffmpeg takes it, while speakers keep their connection and hear the
   * MP3 frames go on.
   */
  async useInput(format: MicFormat): Promise<void> {
    if (this.ended) return;
    if (this.runs > 0) await this.stopRun(1000);
    if (!this.ended) await this.spawn(format);
  }

  private async spawn(format: MicFormat): Promise<void> {
    const n = ++this.runs;
    const inPath = path.join(this.dir, `in-${n}.sock`);
    const outPath = path.join(this.dir, `out-${n}.sock`);
    const splitter = new Mp3FrameSplitter();
    this.inputServer = await listenOnce(inPath, (socket) => {
      this.input = socket;
      socket.on('error', () => undefined);
      for (const chunk of this.pending) socket.write(chunk);
      this.pending = [];
      if (this.ended) socket.end();
    });
    this.outputServer = await listenOnce(outPath, (socket) => {
      this.output = socket;
      socket.on('error', () => undefined);
      socket.on('data', (chunk: Buffer) => this.emit(splitter.push(chunk)));
    });
    const abort = new AbortController();
    this.abort = abort;
    const run = this.tools.ffmpeg(transcoderArgs(`unix:${inPath}`, `unix:${outPath}`, format), { timeoutMs: this.maxRunMs, signal: abort.signal });
    const current = run.then(
      (r) => (r.exitCode === 0 || this.ended || abort.signal.aborted ? null : r.stderr.trim().slice(-400) || `ffmpeg exited with ${r.exitCode ?? 'a signal'}`),
      (err: Error) => err.message,
    );
    this.run = current;
    void current.then((failure) => {
      if (failure !== null && !this.ended && this.run === current) this.onFailure(failure);
    });
  }

  /** Ends the current ffmpeg's input, gives it `flushWaitMs` to write what it holds, then kills it. */
  private async stopRun(flushWaitMs: number): Promise<void> {
    const input = this.input;
    const output = this.output;
    this.input = null;
    this.output = null;
    input?.end();
    if (this.run) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.run, new Promise((r) => (timer = setTimeout(r, flushWaitMs)))]);
      clearTimeout(timer);
    }
    this.abort.abort();
    await this.run;
    input?.destroy();
    output?.destroy();
    await Promise.all([closeServer(this.inputServer), closeServer(this.outputServer)]);
    this.inputServer = null;
    this.outputServer = null;
  }

  /** A chunk from the microphone. */
  write(chunk: Buffer): void {
    if (this.ended) return;
    this.bytesIn += chunk.length;
    if (this.input) this.input.write(chunk);
    else this.pending.push(chunk);
  }

  /** A speaker's HTTP request: from the next whole frame on, until the session ends. */
  listen(res: ServerResponse): void {
    if (this.ended) {
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': LIVE_STREAM_MIME, 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
    res.flushHeaders();
    // Nagle would hold small frames back.
    res.socket?.setNoDelay(true);
    this.listeners.add(res);
    res.on('close', () => this.listeners.delete(res));
  }

  /** Ends the input, lets ffmpeg flush what it holds, then ends every listener and the recording. */
  async end(flushWaitMs = 3000): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    this.pending = [];
    await this.stopRun(flushWaitMs);
    for (const res of this.listeners) res.end();
    this.listeners.clear();
    await new Promise<void>((resolve) => (this.recording ? this.recording.end(() => resolve()) : resolve()));
    if (this.dir) await rm(this.dir, { recursive: true, force: true }).catch(() => undefined);
  }

  private emit(frames: Buffer): void {
    if (frames.length === 0) return;
    this.bytesOut += frames.length;
    this.recording?.write(frames);
    for (const res of this.listeners) {
      if (res.writableLength > MAX_LISTENER_BUFFER) {
        res.destroy();
        this.listeners.delete(res);
        continue;
      }
      res.write(frames);
    }
  }
}

/** A Unix socket server that takes its first connection only (ffmpeg's) and refuses any other. */
function listenOnce(socketPath: string, onConnection: (socket: Socket) => void): Promise<Server> {
  return new Promise((resolve, reject) => {
    let taken = false;
    const server = createServer((socket) => {
      if (taken) {
        socket.destroy();
        return;
      }
      taken = true;
      onConnection(socket);
    });
    server.once('error', reject);
    server.listen(socketPath, () => resolve(server));
  });
}

function closeServer(server: Server | null): Promise<void> {
  return new Promise((resolve) => (server ? server.close(() => resolve()) : resolve()));
}
