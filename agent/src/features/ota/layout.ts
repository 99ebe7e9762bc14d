import { lstat, mkdir, readFile, readlink, readdir, realpath, rename, rm, symlink, unlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { releaseManifestSchema, type ReleaseManifest } from '@loa/shared';
import { fsyncDir, readJsonIfExists, writeJsonAtomic } from '../../fsutil.js';
import { otaStateSchema, type OtaState } from './state.js';

let tmpSeq = 0;

/**
 * The install directory as shared/src/ota.ts describes it (releases/<v>, current, previous, ota/state.json,
 * ota/downloads/). Links hold relative targets (`releases/<v>`) so the directory can be moved as a whole.
 */
export class InstallLayout {
  constructor(readonly dir: string) {}

  get releasesDir(): string {
    return join(this.dir, 'releases');
  }

  get downloadsDir(): string {
    return join(this.dir, 'ota', 'downloads');
  }

  get statePath(): string {
    return join(this.dir, 'ota', 'state.json');
  }

  releaseDir(version: string): string {
    return join(this.releasesDir, version);
  }

  /** Why this is not an install directory the agent can update, or null when it is (current → a release with a manifest). */
  async problem(): Promise<string | null> {
    try {
      const target = await readlink(join(this.dir, 'current'));
      const manifest = await this.manifestOf(join(this.dir, target));
      if (!manifest) return `${join(this.dir, 'current')} has no valid manifest.json`;
      await mkdir(this.downloadsDir, { recursive: true });
      return null;
    } catch (err) {
      return `${this.dir} is not an install directory (releases/, current → releases/<version>): ${(err as Error).message}`;
    }
  }

  async manifestOf(releaseDir: string): Promise<ReleaseManifest | null> {
    try {
      const parsed = releaseManifestSchema.safeParse(JSON.parse(await readFile(join(releaseDir, 'manifest.json'), 'utf8')));
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }

  /** The link's target as written (e.g. `releases/0.1.0`), or null. */
  async target(link: 'current' | 'previous'): Promise<string | null> {
    try {
      return await readlink(join(this.dir, link));
    } catch {
      return null;
    }
  }

  /** Points `link` at `target` atomically: a new symlink beside it renamed over the old one. */
  async switchLink(link: 'current' | 'previous', target: string): Promise<void> {
    const tmp = join(this.dir, `.${link}.${process.pid}.${++tmpSeq}.tmp`);
    await unlink(tmp).catch(() => undefined);
    await symlink(target, tmp);
    await rename(tmp, join(this.dir, link));
    await fsyncDir(this.dir);
  }

  /**
   * Makes `releases/<version>` the running release on the next start: `previous` at what `current` pointed to,
   * then `current` at the new one. Each step is one atomic rename; between them both links name a whole release.
   */
  async activate(version: string): Promise<{ from: string | null }> {
    const from = await this.target('current');
    if (from !== null) await this.switchLink('previous', from);
    await this.switchLink('current', `releases/${version}`);
    return { from };
  }

  async readState(): Promise<OtaState | null> {
    try {
      const raw = await readJsonIfExists(this.statePath);
      if (raw === undefined) return null;
      const parsed = otaStateSchema.safeParse(raw);
      return parsed.success ? parsed.data : null;
    } catch {
      return null;
    }
  }

  async writeState(state: OtaState): Promise<void> {
    await writeJsonAtomic(this.statePath, state);
  }

  /** Deletes every release but the ones `current` and `previous` name, and leftovers of interrupted installs. */
  async pruneReleases(): Promise<string[]> {
    const keep = new Set<string>();
    for (const link of ['current', 'previous'] as const) {
      try {
        keep.add(basename(await realpath(join(this.dir, link))));
      } catch {
        // a dangling or missing link keeps nothing
      }
    }
    const removed: string[] = [];
    let names: string[] = [];
    try {
      names = await readdir(this.releasesDir);
    } catch {
      return removed;
    }
    for (const name of names) {
      if (keep.has(name)) continue;
      const p = join(this.releasesDir, name);
      // A release the package manager installed belongs to root: the agent cannot delete it, and must not stop
      // pruning the others because of it (dpkg removes it on the next package upgrade or purge).
      try {
        if (!(await lstat(p)).isDirectory()) continue;
        await rm(p, { recursive: true, force: true });
        removed.push(name);
      } catch {
        continue;
      }
    }
    return removed;
  }
}
