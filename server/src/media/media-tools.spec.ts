import { ChildProcessMediaTools, failureOf, MediaToolError } from './media-tools.js';

// The runner is checked with `node -e` standing in for ffmpeg/ffprobe: the same process handling, no media binaries.
const tools = new ChildProcessMediaTools({ ffmpegPath: process.execPath, ffprobePath: process.execPath });
const script = (code: string): string[] => ['-e', code];

describe(ChildProcessMediaTools.name, () => {
  it('returns exit code, stdout and stderr of a finished run, arguments passed as they are (no shell)', async () => {
    const r = await tools.ffprobe(script('console.log(JSON.stringify(process.argv.slice(1))); console.error("warn"); process.exit(3)').concat(['a b', '$HOME;']), { timeoutMs: 10_000 });
    expect(r).toMatchObject({ exitCode: 3, timedOut: false, aborted: false });
    expect(JSON.parse(r.stdout)).toEqual(['a b', '$HOME;']);
    expect(r.stderr.trim()).toBe('warn');
  });

  it('keeps the head of stdout and the tail of stderr within their bounds', async () => {
    const r = await tools.ffmpeg(script('process.stdout.write("o".repeat(5000) + "END"); process.stderr.write("START" + "e".repeat(5000) + "LAST")'), {
      timeoutMs: 10_000,
      maxStdout: 100,
      maxStderr: 100,
    });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toBe('o'.repeat(100));
    expect(r.stderr).toHaveLength(100);
    expect(r.stderr.endsWith('LAST')).toBe(true);
  });

  it('hands stdout over line by line when asked (ffmpeg -progress), the last unterminated line included', async () => {
    const lines: string[] = [];
    const r = await tools.ffmpeg(script('process.stdout.write("out_time=00:00:01.000000\\nprogress=continue\\nout_time=00:00:02.0"); process.stdout.write("00000")'), {
      timeoutMs: 10_000,
      onStdoutLine: (l) => lines.push(l),
    });
    expect(lines).toEqual(['out_time=00:00:01.000000', 'progress=continue', 'out_time=00:00:02.000000']);
    expect(r.stdout).toBe('');
  });

  it('kills a run that outlives its timeout and says so', async () => {
    const r = await tools.ffmpeg(script('setInterval(() => {}, 1000)'), { timeoutMs: 300 });
    expect(r).toMatchObject({ exitCode: null, timedOut: true, aborted: false });
  });

  it('kills a run when its signal fires, and starts none when it already has', async () => {
    const abort = new AbortController();
    const running = tools.ffmpeg(script('console.log("started"); setInterval(() => {}, 1000)'), {
      timeoutMs: 60_000,
      signal: abort.signal,
      onStdoutLine: (l) => l === 'started' && abort.abort(),
    });
    await expect(running).resolves.toMatchObject({ exitCode: null, aborted: true, timedOut: false });
    await expect(tools.ffmpeg(script('process.exit(0)'), { timeoutMs: 10_000, signal: abort.signal })).resolves.toMatchObject({ aborted: true, exitCode: null });
  });

  it('rejects with MediaToolError naming the binary when it cannot start', async () => {
    const missing = new ChildProcessMediaTools({ ffmpegPath: '/nonexistent/ffmpeg' });
    await expect(missing.ffmpeg(['-version'], { timeoutMs: 10_000 })).rejects.toThrow(MediaToolError);
    await expect(missing.ffmpeg(['-version'], { timeoutMs: 10_000 })).rejects.toThrow(/cannot run \/nonexistent\/ffmpeg: .*ENOENT/);
  });
});

describe(failureOf.name, () => {
  it('is null on success and otherwise the clearest reason there is', async () => {
    expect(await failureOf(tools.ffmpeg(script(''), { timeoutMs: 10_000 }), 10_000)).toBeNull();
    expect(await failureOf(tools.ffmpeg(script('console.error("  bad input  "); process.exit(1)'), { timeoutMs: 10_000 }), 10_000)).toBe('bad input');
    expect(await failureOf(tools.ffmpeg(script('process.exit(2)'), { timeoutMs: 10_000 }), 10_000)).toBe('ffmpeg exited with code 2');
    expect(await failureOf(new ChildProcessMediaTools({ ffmpegPath: '/nonexistent/ffmpeg' }).ffmpeg([], { timeoutMs: 10_000 }), 10_000)).toMatch(/^cannot run \/nonexistent\/ffmpeg/);
  });
});
