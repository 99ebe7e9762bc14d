import { rm, utimes, writeFile } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleIsCurrent } from '../src/bundle.js';
import { tempDir } from './helpers.js';

describe('bundleIsCurrent (dist/cli.js runs the single-file build only while it matches the build on disk)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, cleanup } = await tempDir());
  });
  afterEach(() => cleanup());

  /** A manifest as agent/build.mjs writes it, recording the stamps as they are now. */
  const manifestFor = async (...stamps: string[]) => {
    const inputs: Record<string, { size: number; mtimeMs: number }> = {};
    for (const name of stamps) {
      const s = statSync(join(dir, name));
      inputs[name] = { size: s.size, mtimeMs: s.mtimeMs };
    }
    await writeFile(join(dir, 'loa-agent.json'), JSON.stringify({ bundle: 'loa-agent.mjs', inputs }));
    return pathToFileURL(join(dir, 'loa-agent.json'));
  };

  it('says yes while every recorded stamp is unchanged', async () => {
    await writeFile(join(dir, '.tsbuildinfo'), 'agent build');
    await writeFile(join(dir, 'lock.json'), 'node_modules');
    expect(bundleIsCurrent(await manifestFor('.tsbuildinfo', 'lock.json'))).toBe(true);
  });

  it('says no once a later build rewrote a stamp, even to the same size', async () => {
    await writeFile(join(dir, '.tsbuildinfo'), 'agent build');
    await writeFile(join(dir, 'lock.json'), 'node_modules');
    const manifest = await manifestFor('.tsbuildinfo', 'lock.json');
    const later = new Date(statSync(join(dir, 'lock.json')).mtimeMs + 2000);
    await utimes(join(dir, 'lock.json'), later, later);
    expect(bundleIsCurrent(manifest)).toBe(false);
    await writeFile(join(dir, 'lock.json'), 'node_modules, grown');
    expect(bundleIsCurrent(manifest)).toBe(false);
  });

  it('says no without a manifest, with an empty or unreadable one, or with a stamp gone', async () => {
    expect(bundleIsCurrent(pathToFileURL(join(dir, 'loa-agent.json')))).toBe(false);
    await writeFile(join(dir, 'loa-agent.json'), JSON.stringify({ inputs: {} }));
    expect(bundleIsCurrent(pathToFileURL(join(dir, 'loa-agent.json')))).toBe(false);
    await writeFile(join(dir, 'loa-agent.json'), '{ not json');
    expect(bundleIsCurrent(pathToFileURL(join(dir, 'loa-agent.json')))).toBe(false);
    await writeFile(join(dir, '.tsbuildinfo'), 'agent build');
    await writeFile(join(dir, 'lock.json'), 'node_modules');
    const manifest = await manifestFor('.tsbuildinfo', 'lock.json');
    expect(bundleIsCurrent(manifest)).toBe(true);
    await rm(join(dir, 'lock.json'));
    expect(bundleIsCurrent(manifest)).toBe(false);
  });
});
