import { Metrics } from '../common/metrics.js';
import type { MediaAudioEntity } from './media-audio.entity.js';
import type { MediaEntity } from './media.entity.js';
import { FixedClock, silentLogger, testConfig } from '../../test/support/fixtures.js';
import { AudioProcessingAborted, AudioProcessor } from './audio-processor.js';
import { MediaPipeline, type SourceFile } from './media-pipeline.js';
import { MediaProber } from './media.prober.js';
import type { MediaRepository } from './media.repository.js';
import type { MediaStorage } from './media.storage.js';
import { MediaToolError, MediaTools, type ToolResult, type ToolRunOptions } from './media-tools.js';
import { MediaRefusedException } from './media-types.js';

const NOW = Date.parse('2026-12-01T09:00:00Z');
const SOURCE: SourceFile = { path: '/data/tmp/job-1.src', bytes: 40_000, sha256: 'a'.repeat(64), originalName: 'bản tin.mp3' };
const DELIVERED_SHA = 'd'.repeat(64);

const result = (over: Partial<ToolResult> = {}): ToolResult => ({ exitCode: 0, stdout: '', stderr: '', timedOut: false, aborted: false, ...over });

/** What loudnorm prints last on stderr (print_format=json). */
const loudnorm = (v: Record<string, string>): string => `[Parsed_loudnorm_1 @ 0x55d0c0ffee00] \n${JSON.stringify(v, null, 2)}\n`;

const outTime = (ms: number): string => {
  const s = ms / 1000;
  return `out_time=00:${String(Math.floor(s / 60)).padStart(2, '0')}:${(s % 60).toFixed(6).padStart(9, '0')}`;
};

interface Call {
  tool: 'ffmpeg' | 'ffprobe';
  args: readonly string[];
  timeoutMs: number;
}

/**
 * ffprobe and ffmpeg as scripted answers: ffprobe says what the container announces, the measuring pass (`-f null`)
 * "decodes" `decodedMs` of audio, the render pass "encodes" it; both report -progress lines as ffmpeg does.
 */
class ScriptedTools extends MediaTools {
  readonly calls: Call[] = [];
  announcedS = '10.000000';
  decodedMs = 10_000;
  measureStderr = loudnorm({ input_i: '-23.10', input_tp: '-4.90', input_lra: '3.20', input_thresh: '-33.40', target_offset: '0.10' });
  measureExit = 0;
  renderStderr = loudnorm({ input_i: '-23.10', input_tp: '-4.90', input_lra: '3.20', output_i: '-16.02', output_tp: '-1.61', output_lra: '3.00', normalization_type: 'linear', target_offset: '0.10' });
  fail: Error | null = null;

  async ffprobe(args: readonly string[], opts: ToolRunOptions): Promise<ToolResult> {
    this.calls.push({ tool: 'ffprobe', args, timeoutMs: opts.timeoutMs });
    const stream = { codec_type: 'audio', codec_name: 'mp3', duration: this.announcedS };
    return result({ stdout: JSON.stringify({ format: { format_name: 'mp3', duration: this.announcedS }, streams: [stream] }) });
  }

  async ffmpeg(args: readonly string[], opts: ToolRunOptions): Promise<ToolResult> {
    this.calls.push({ tool: 'ffmpeg', args, timeoutMs: opts.timeoutMs });
    if (this.fail) throw this.fail;
    if (opts.signal?.aborted) return result({ exitCode: null, aborted: true });
    const measuring = args.includes('null');
    for (const at of [this.decodedMs / 2, this.decodedMs]) opts.onStdoutLine?.(outTime(at));
    return measuring ? result({ exitCode: this.measureExit, stderr: this.measureStderr }) : result({ stderr: this.renderStderr });
  }
}

/** The media tables as maps. */
class MemoryRepo {
  readonly media = new Map<string, MediaEntity>();
  readonly audio: MediaAudioEntity[] = [];
  async find(sha256: string) {
    return this.media.get(sha256) ?? null;
  }
  async audioOf(sha256s: string[]) {
    return new Map(this.audio.filter((a) => sha256s.includes(a.sha256)).map((a) => [a.sha256, a]));
  }
  async findAudioBySource(sourceSha256: string, profile: string) {
    return this.audio.find((a) => a.sourceSha256 === sourceSha256 && a.profile === profile) ?? null;
  }
  async insertProcessed(media: MediaEntity, audio: MediaAudioEntity) {
    const existing = this.media.get(media.sha256);
    if (!existing) this.media.set(media.sha256, media);
    this.audio.push(audio);
    return { media: existing ?? media, created: !existing };
  }
}

/** Content-addressed files as a set of names; temp files are just paths handed out and taken back. */
class MemoryStorage {
  readonly files = new Set<string>();
  readonly temps: string[] = [];
  readonly removedTemps: string[] = [];
  newTempPath(): string {
    const p = `/data/tmp/upload-${this.temps.length}.part`;
    this.temps.push(p);
    return p;
  }
  async hasFile(sha256: string) {
    return this.files.has(sha256);
  }
  async sha256OfFile(_file: string) {
    return { sha256: DELIVERED_SHA, bytes: 80_000 };
  }
  async commit(_temp: string, sha256: string) {
    this.files.add(sha256);
  }
  async removeTemp(file: string) {
    this.removedTemps.push(file);
  }
  async remove(sha256: string) {
    this.files.delete(sha256);
  }
}

describe(MediaPipeline.name, () => {
  let tools: ScriptedTools;
  let repo: MemoryRepo;
  let storage: MemoryStorage;
  let metrics: Metrics;
  let sut: MediaPipeline;

  beforeEach(() => {
    tools = new ScriptedTools();
    repo = new MemoryRepo();
    storage = new MemoryStorage();
    metrics = new Metrics();
    const config = testConfig({ LOA_MAX_AUDIO_MINUTES: '1' });
    sut = new MediaPipeline(
      repo as unknown as MediaRepository,
      storage as unknown as MediaStorage,
      new MediaProber(tools),
      new AudioProcessor(tools),
      config,
      new FixedClock(NOW),
      metrics,
      silentLogger,
    );
  });

  it('probes, measures and renders through MediaTools, then records the result stamped by the clock', async () => {
    const progress: number[] = [];
    const out = await sut.process(SOURCE, 'editor', { onProgress: (f) => progress.push(f) });

    expect(out.created).toBe(true);
    expect(out.media).toMatchObject({ sha256: DELIVERED_SHA, bytes: 80_000, durationMs: 10_000, createdBy: 'editor', createdAt: NOW, originalName: 'bản tin.mp3' });
    expect(out.audio).toMatchObject({ sourceSha256: SOURCE.sha256, inputLufs: -23.1, outputLufs: -16.02, outputTruePeakDbtp: -1.61, normalization: 'linear', createdAt: NOW });
    expect(storage.files).toEqual(new Set([DELIVERED_SHA]));
    expect(metrics.get('media_upload_accepted')).toBe(1);

    // One probe, then the two loudnorm passes, all on the source, formats restricted to audio demuxers.
    expect(tools.calls.map((c) => c.tool)).toEqual(['ffprobe', 'ffmpeg', 'ffmpeg']);
    for (const c of tools.calls) {
      expect(c.args).toContain(SOURCE.path);
      expect(c.args[c.args.indexOf('-format_whitelist') + 1]).toContain('mp3');
    }
    expect(tools.calls[0]!.timeoutMs).toBe(30_000);
    // Decoding is given 30 s plus half the announced duration.
    expect(tools.calls[1]!.timeoutMs).toBe(35_000);
    // The render writes to a temp file, which is cleaned up once committed.
    expect(tools.calls[2]!.args.at(-1)).toBe(storage.temps[0]);
    expect(storage.removedTemps).toEqual([storage.temps[0]]);

    expect(progress.at(-1)).toBe(1);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress.some((f) => f > 0 && f < 0.4)).toBe(true);
  });

  it('answers the same source twice from the stored result without running a tool again', async () => {
    await sut.process(SOURCE, 'editor');
    const calls = tools.calls.length;
    const again = await sut.process(SOURCE, 'other');
    expect(again).toMatchObject({ created: false, media: { sha256: DELIVERED_SHA, createdBy: 'editor' } });
    expect(tools.calls).toHaveLength(calls);
    expect(metrics.get('media_upload_duplicate')).toBe(1);
  });

  it('refuses a file that decodes to far less than its header announces, storing nothing', async () => {
    tools.decodedMs = 4_000;
    const err = await sut.process(SOURCE, 'editor').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediaRefusedException);
    expect(err).toMatchObject({ reason: 'truncated' });
    expect((err as Error).message).toContain('only 4');
    expect(tools.calls.map((c) => c.tool)).toEqual(['ffprobe', 'ffmpeg']);
    expect(repo.media.size).toBe(0);
    expect(storage.files.size).toBe(0);
    expect(metrics.get('media_upload_refused_truncated')).toBe(1);
  });

  it('refuses as corrupt when the measuring pass fails, quoting ffmpeg without the server path', async () => {
    tools.measureExit = 1;
    tools.measureStderr = `[mp3float @ 0x55d0c0ffee00] [error] Header missing in ${SOURCE.path}\n[info] size=N/A\n`;
    const err = await sut.process(SOURCE, 'editor').catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'corrupt' });
    expect((err as Error).message).toContain('Header missing in input');
    expect((err as Error).message).not.toContain(SOURCE.path);
    expect(repo.audio).toHaveLength(0);
  });

  it('refuses before decoding when the header announces more than the limit', async () => {
    tools.announcedS = '61.000000';
    await expect(sut.process(SOURCE, 'editor')).rejects.toMatchObject({ reason: 'too_long' });
    expect(tools.calls.map((c) => c.tool)).toEqual(['ffprobe']);
  });

  it('lets a tool that cannot start surface as a server fault, not as a refusal of the file', async () => {
    tools.fail = new MediaToolError('cannot run /opt/ffmpeg: spawn /opt/ffmpeg ENOENT');
    const err = await sut.process(SOURCE, 'editor').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MediaToolError);
    expect(metrics.get('media_upload_failed')).toBe(1);
    expect(metrics.get('media_upload_refused')).toBe(0);
  });

  it('stops with AudioProcessingAborted when its signal has fired, leaving nothing behind', async () => {
    const abort = new AbortController();
    abort.abort();
    await expect(sut.process(SOURCE, 'editor', { signal: abort.signal })).rejects.toBeInstanceOf(AudioProcessingAborted);
    expect(repo.media.size).toBe(0);
    expect(metrics.get('media_upload_failed')).toBe(0);
  });
});
