import { spawn } from 'node:child_process';
import { copyFile, mkdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from './helpers.js';

const BOOT = fileURLToPath(new URL('../boot/boot.mjs', import.meta.url));

/** A release whose entry is `body` (after a line that records the start in runs.log). */
async function release(installDir: string, version: string, body: string): Promise<void> {
  const dir = join(installDir, 'releases', version);
  await mkdir(dir, { recursive: true });
  const log = join(installDir, 'runs.log');
  const entry = [
    "import { appendFileSync } from 'node:fs';",
    `appendFileSync(${JSON.stringify(log)}, JSON.stringify({ version: ${JSON.stringify(version)}, argv: process.argv.slice(2), installDir: process.env.LOA_AGENT_INSTALL_DIR }) + '\\n');`,
    body,
  ].join('\n');
  await writeFile(join(dir, 'cli.mjs'), entry);
  await writeFile(join(dir, 'package.json'), '{"type":"module"}');
  await writeFile(join(dir, 'manifest.json'), JSON.stringify({ format: 1, name: 'loa-agent', version, entry: 'cli.mjs' }));
}

/** An install directory as the .deb lays it out, `current` on `to` (pending) and `previous` on 0.1.0. */
async function installed(root: string, to: string, body: string, state: Record<string, unknown>): Promise<string> {
  const dir = join(root, 'opt', 'loa-agent');
  await mkdir(join(dir, 'ota'), { recursive: true });
  await copyFile(BOOT, join(dir, 'boot.mjs'));
  await release(dir, '0.1.0', 'process.exitCode = 0;');
  await release(dir, to, body);
  await symlink(`releases/${to}`, join(dir, 'current'));
  await symlink('releases/0.1.0', join(dir, 'previous'));
  await writeFile(join(dir, 'ota', 'state.json'), JSON.stringify({ format: 1, version: to, fromVersion: '0.1.0', ...state }));
  return dir;
}

/** One start of the service: `node <installDir>/boot.mjs …`, as systemd runs it; resolves with how it ended. */
function start(installDir: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env.LOA_AGENT_INSTALL_DIR;
    const child = spawn(process.execPath, [join(installDir, 'boot.mjs'), '--log-level', 'debug'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code, signal, stderr }));
  });
}

const runs = async (dir: string): Promise<{ version: string; argv: string[]; installDir: string }[]> =>
  (await readFile(join(dir, 'runs.log'), 'utf8').catch(() => ''))
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { version: string; argv: string[]; installDir: string });

const state = async (dir: string) => JSON.parse(await readFile(join(dir, 'ota', 'state.json'), 'utf8')) as Record<string, unknown>;

describe('boot.mjs (the stable launcher)', () => {
  let root: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir: root, cleanup } = await tempDir('loa-boot-')));
  afterEach(() => cleanup());

  it('rolls back a release that crashes at start once it has crashed maxBoots times, and runs the previous one', async () => {
    const dir = await installed(root, '0.2.0', "throw new Error('release 0.2.0 is broken');", { phase: 'pending', deadline: Date.now() + 3_600_000, boots: 0, maxBoots: 2 });
    const ends = [];
    // Restart=always: start again after every exit, until the previous release has run.
    for (let i = 0; i < 6 && !(await runs(dir)).some((r) => r.version === '0.1.0'); i++) ends.push(await start(dir));
    expect((await runs(dir)).map((r) => r.version)).toEqual(['0.2.0', '0.2.0', '0.1.0']);
    expect(ends.map((e) => e.code)).toEqual([1, 1, 0]);
    expect(ends[0]?.stderr).toContain('release 0.2.0 is broken');
    expect(await readlink(join(dir, 'current'))).toBe('releases/0.1.0');
    expect(await state(dir)).toMatchObject({ phase: 'rolled-back', boots: 3, error: { code: 'crashed' } });
    // The release runs in the launcher's process, with its arguments and the install directory.
    expect((await runs(dir))[2]).toEqual({ version: '0.1.0', argv: ['--log-level', 'debug'], installDir: dir });
    // Over: the next start runs the previous release again without counting.
    await start(dir);
    expect((await runs(dir)).map((r) => r.version)).toEqual(['0.2.0', '0.2.0', '0.1.0', '0.1.0']);
    expect(await state(dir)).toMatchObject({ boots: 3 });
  });

  it('rolls back a release that hangs past its health deadline, and a release that asked for it', async () => {
    const dir = await installed(root, '0.3.0', 'setInterval(() => undefined, 1000);', { phase: 'pending', deadline: Date.now() + 1500, boots: 0, maxBoots: 3 });
    // The watchdog at the deadline: rolled back, then the process is asked to stop (SIGTERM).
    const hung = await start(dir);
    expect(hung.signal).toBe('SIGTERM');
    expect(await state(dir)).toMatchObject({ phase: 'rolled-back', error: { code: 'health-timeout' } });
    expect(await readlink(join(dir, 'current'))).toBe('releases/0.1.0');
    await start(dir);
    expect((await runs(dir)).map((r) => r.version)).toEqual(['0.3.0', '0.1.0']);

    const asked = await installed(join(root, 'b'), '0.4.0', 'process.exitCode = 0;', {
      phase: 'pending',
      deadline: Date.now() + 3_600_000,
      boots: 1,
      failure: { code: 'health-timeout', message: 'the output did not play' },
    });
    await start(asked);
    expect((await runs(asked)).map((r) => r.version)).toEqual(['0.1.0']);
    expect(await state(asked)).toMatchObject({ phase: 'rolled-back', error: { code: 'health-timeout', message: 'the output did not play' } });
    expect(await state(asked)).not.toHaveProperty('failure');
  });

  it('rolls back at once a release that refuses its configuration (exit 2, which systemd would not restart)', async () => {
    const dir = await installed(root, '0.2.0', 'process.exit(2);', { phase: 'pending', deadline: Date.now() + 3_600_000, boots: 0, maxBoots: 3 });
    const r = await start(dir);
    expect(r.code).toBe(1);
    expect(await state(dir)).toMatchObject({ phase: 'rolled-back', error: { code: 'crashed', message: 'release 0.2.0 refused its configuration (exit code 2)' } });
    expect(await readlink(join(dir, 'current'))).toBe('releases/0.1.0');
    // A confirmed release's exit 2 is left as it is.
    const confirmed = await installed(join(root, 'c'), '0.2.0', 'process.exit(2);', { phase: 'healthy' });
    expect((await start(confirmed)).code).toBe(2);
  });

  it('runs a confirmed release as it is, and previous when current is unusable', async () => {
    const dir = await installed(root, '0.2.0', 'process.exitCode = 0;', { phase: 'healthy' });
    await start(dir);
    expect((await runs(dir)).map((r) => r.version)).toEqual(['0.2.0']);
    expect(await state(dir)).toEqual({ format: 1, version: '0.2.0', fromVersion: '0.1.0', phase: 'healthy' });
    await writeFile(join(dir, 'releases', '0.2.0', 'manifest.json'), 'not json');
    const r = await start(dir);
    expect(r.stderr).toContain('current release unusable');
    expect((await runs(dir)).map((x) => x.version)).toEqual(['0.2.0', '0.1.0']);
  });
});
