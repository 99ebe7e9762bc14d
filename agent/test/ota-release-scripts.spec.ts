import { execFile } from 'node:child_process';
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { releaseManifestSchema } from '@loa/shared';
import * as tar from 'tar';
import { buildReleasePackage } from '../release/build-release.mjs';
import { generateReleaseKey, keygen, signPackage, verifyPackage } from '../release/release-key.mjs';
import { loadConfig } from '../src/config.js';
import { sha256OfFile } from '../src/features/ota/download.js';
import { tempDir } from './helpers.js';

const run = promisify(execFile);

describe('release packages and keys (agent/release)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ dir, cleanup } = await tempDir('loa-release-')));
  afterAll(() => cleanup());

  it('builds a signed package that runs without node_modules, and the key tool signs and verifies it', async () => {
    const key = keygen(join(dir, 'key'));
    expect((await stat(key.privateFile)).mode & 0o777).toBe(0o600);
    expect(() => keygen(join(dir, 'key'))).toThrow('never overwritten');

    const pkg = await buildReleasePackage({ outDir: join(dir, 'out'), version: '0.9.0', keyPem: key.privatePem, commit: 'abc123' });
    expect(pkg.file).toBe(join(dir, 'out', 'loa-agent-0.9.0.tar.gz'));
    expect(await sha256OfFile(pkg.file)).toBe(pkg.sha256);

    const tree = join(dir, 'unpacked');
    await mkdir(tree);
    const entries: string[] = [];
    await tar.x({ file: pkg.file, cwd: tree, onReadEntry: (e) => void entries.push(e.path) });
    expect(entries).toEqual(['manifest.json', 'loa-agent.mjs', 'cli.mjs', 'package.json']);
    const manifest = releaseManifestSchema.parse(JSON.parse(await readFile(join(tree, 'manifest.json'), 'utf8')));
    expect(manifest).toMatchObject({ version: '0.9.0', entry: 'cli.mjs', commit: 'abc123', name: 'loa-agent' });
    for (const f of manifest.files) expect(await sha256OfFile(join(tree, f.path))).toBe(f.sha256);
    // The version is baked into the bundle; the release runs from a directory with no node_modules above it.
    expect(await readFile(join(tree, 'loa-agent.mjs'), 'utf8')).toContain('"0.9.0"');
    const help = await run(process.execPath, [join(tree, 'cli.mjs'), '--help'], { cwd: tree });
    expect(help.stdout).toContain('Usage: loa-agent');

    expect(await verifyPackage(pkg.file, [key.publicKeyB64])).toEqual({ ok: true, kid: key.kid });
    expect(await verifyPackage(pkg.file, [generateReleaseKey().publicKeyB64])).toMatchObject({ ok: false, reason: 'unknown-key' });
    const other = generateReleaseKey();
    await signPackage(pkg.file, other.privatePem);
    expect(await verifyPackage(pkg.file, [other.publicKeyB64])).toEqual({ ok: true, kid: other.kid });
  });

  it('validates the pinned release keys at start', async () => {
    const base = { LOA_AGENT_SERVER_URL: 'http://s', LOA_AGENT_MQTT_URL: 'mqtt://s', LOA_AGENT_DEVICE_ID: 'spk-1', LOA_AGENT_SECRET: 'x', LOA_AGENT_KIND: 'speaker' };
    const serverPublicKey = generateReleaseKey().publicKeyB64;
    const a = generateReleaseKey().publicKeyB64;
    const b = generateReleaseKey().publicKeyB64;
    const ok = await loadConfig({ argv: [], env: { ...base, LOA_AGENT_SERVER_PUBLIC_KEY: serverPublicKey, LOA_AGENT_RELEASE_KEYS: `${a}, ${b}`, LOA_AGENT_INSTALL_DIR: '/opt/loa-agent' } });
    expect(ok.help === false && ok.config.releaseKeys).toEqual([a, b]);
    expect(ok.help === false && ok.config.installDir).toBe('/opt/loa-agent');
    await expect(loadConfig({ argv: [], env: { ...base, LOA_AGENT_SERVER_PUBLIC_KEY: serverPublicKey, LOA_AGENT_RELEASE_KEYS: `${a},not-a-key` } })).rejects.toThrow(
      /invalid setting releaseKeys \(--release-keys \/ LOA_AGENT_RELEASE_KEYS\)/,
    );
  });
});
