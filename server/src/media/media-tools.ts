import { Inject, Injectable, Optional } from '@nestjs/common';
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import ffprobeInstaller from '@ffprobe-installer/ffprobe';
import { spawn } from 'node:child_process';

export interface ToolRunOptions {
  /** The process is killed (SIGKILL) after this long; the result then says `timedOut`. */
  timeoutMs: number;
  /** Kills the process at once (or never starts it); the result then says `aborted`. */
  signal?: AbortSignal | undefined;
  /** Each complete stdout line as it arrives (`-progress pipe:1`); stdout is then not kept in the result. */
  onStdoutLine?: ((line: string) => void) | undefined;
  /** Characters of stdout kept (its head: JSON that does not fit is unreadable anyway). Default 8 Mi. */
  maxStdout?: number | undefined;
  /** Characters of stderr kept (its tail: loudnorm prints its JSON last). Default 256 Ki. */
  maxStderr?: number | undefined;
}

export interface ToolResult {
  /** null when the process was killed (timeout, abort). */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  aborted: boolean;
}

/** The tool did not run at all (missing binary, cannot spawn): a server fault, not a bad file. */
export class MediaToolError extends Error {
  override name = 'MediaToolError';
}

/**
 * ffmpeg and ffprobe for the whole server: every caller gets the same bounded output, timeout and abort
 * handling, and tests can replace the tools without starting processes. A tool that ran and failed is not an
 * error here (the caller decides what a non-zero exit means for its file); only a tool that could not start is.
 */
export abstract class MediaTools {
  abstract ffmpeg(args: readonly string[], options: ToolRunOptions): Promise<ToolResult>;
  abstract ffprobe(args: readonly string[], options: ToolRunOptions): Promise<ToolResult>;
}

/**
 * For ffmpeg runs whose caller only needs success or a reason: null when the tool exited 0, otherwise its stderr (or, when it
 * printed nothing, that it timed out or its exit code). A tool that could not start gives its MediaToolError message.
 */
export async function failureOf(run: Promise<ToolResult>, timeoutMs: number): Promise<string | null> {
  let r: ToolResult;
  try {
    r = await run;
  } catch (err) {
    if (err instanceof MediaToolError) return err.message;
    throw err;
  }
  if (r.exitCode === 0 && !r.timedOut) return null;
  return r.stderr.trim() || (r.timedOut ? `ffmpeg did not finish within ${Math.round(timeoutMs / 1000)} s` : `ffmpeg exited with code ${r.exitCode}`);
}

export interface MediaToolPaths {
  ffmpegPath?: string;
  ffprobePath?: string;
}

/** Optional provider overriding the bundled binaries (@ffmpeg-installer, @ffprobe-installer). */
export const MEDIA_TOOL_PATHS = Symbol('MEDIA_TOOL_PATHS');

const DEFAULT_MAX_STDOUT = 8 * 1024 * 1024;
const DEFAULT_MAX_STDERR = 256 * 1024;

/** The real tools, as child processes (never a shell: arguments are passed as they are). */
@Injectable()
export class ChildProcessMediaTools extends MediaTools {
  private readonly ffmpegPath: string;
  private readonly ffprobePath: string;

  constructor(@Optional() @Inject(MEDIA_TOOL_PATHS) paths?: MediaToolPaths) {
    super();
    this.ffmpegPath = paths?.ffmpegPath ?? ffmpegInstaller.path;
    this.ffprobePath = paths?.ffprobePath ?? ffprobeInstaller.path;
  }

  ffmpeg(args: readonly string[], options: ToolRunOptions): Promise<ToolResult> {
    return run(this.ffmpegPath, args, options);
  }

  ffprobe(args: readonly string[], options: ToolRunOptions): Promise<ToolResult> {
    return run(this.ffprobePath, args, options);
  }
}

function run(bin: string, args: readonly string[], opts: ToolRunOptions): Promise<ToolResult> {
  if (opts.signal?.aborted) return Promise.resolve({ exitCode: null, stdout: '', stderr: '', timedOut: false, aborted: true });
  const maxStdout = opts.maxStdout ?? DEFAULT_MAX_STDOUT;
  const maxStderr = opts.maxStderr ?? DEFAULT_MAX_STDERR;
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [...args], { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    let stdout = '';
    let stdoutRest = '';
    let stderr = '';
    let timedOut = false;
    let settled = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, opts.timeoutMs);
    const onAbort = (): void => void child.kill('SIGKILL');
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const done = (): boolean => {
      if (settled) return false;
      settled = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      return true;
    };

    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      if (opts.onStdoutLine) {
        const lines = (stdoutRest + chunk).split('\n');
        stdoutRest = lines.pop() ?? '';
        for (const line of lines) opts.onStdoutLine(line);
      } else if (stdout.length < maxStdout) {
        stdout += chunk.slice(0, maxStdout - stdout.length);
      }
    });
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      stderr += chunk;
      if (stderr.length > maxStderr) stderr = stderr.slice(stderr.length - maxStderr);
    });
    child.once('error', (err) => {
      if (!done()) return;
      child.kill('SIGKILL');
      reject(new MediaToolError(`cannot run ${bin}: ${err.message}`));
    });
    child.once('close', (code) => {
      if (!done()) return;
      if (opts.onStdoutLine && stdoutRest !== '') opts.onStdoutLine(stdoutRest);
      resolve({ exitCode: code, stdout, stderr, timedOut, aborted: opts.signal?.aborted === true });
    });
  });
}
