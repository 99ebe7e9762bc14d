import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { PROTOCOL_VERSION, verifyRelease, type ReleaseManifest, type UpdateCommand } from '@loa/shared';
import * as tar from 'tar';
import type { InstallLayout } from './layout.js';
import { OtaError } from './state.js';

/** Most entries a release package may hold (the manifest allows 1000 files). */
const MAX_ENTRIES = 1001;

/** Checks the downloaded package against the command (size, sha256) and its signature against the pinned keys. */
export function checkSignature(command: UpdateCommand, measured: { sha256: string; size: number }, pinnedKeys: readonly string[]): string {
  const { release } = command;
  if (measured.size !== release.size || measured.sha256 !== release.sha256) {
    throw new OtaError('hash-mismatch', `downloaded ${measured.size} bytes with sha256 ${measured.sha256}; the release is ${release.size} bytes, ${release.sha256}`);
  }
  const check = verifyRelease(release.signature, pinnedKeys, { ...measured, version: release.version });
  if (check.ok) return check.kid;
  throw new OtaError(check.reason === 'unknown-key' ? 'unknown-key' : 'bad-signature', check.error);
}

/** What unpacking needs on disk: the sum of the entries' sizes (read from the archive without unpacking it). */
export async function unpackedSize(file: string): Promise<number> {
  let total = 0;
  let entries = 0;
  await tar.t({
    file,
    onReadEntry: (e) => {
      total += e.size ?? 0;
      entries++;
      e.resume();
    },
  });
  if (entries > MAX_ENTRIES) throw new OtaError('bad-package', `the package holds ${entries} entries`);
  return total;
}

const safeEntry = (p: string, type: string): boolean =>
  (type === 'File' || type === 'OldFile' || type === 'Directory') && !isAbsolute(p) && !p.split(/[\\/]/).includes('..') && /^[A-Za-z0-9._/-]{1,200}$/.test(p);

/**
 * Unpacks the package into `releases/<version>.tmp` (regular files and directories only, nothing outside it),
 * checks its manifest (name, version, protocol, Node range, every file's sha256 and size) and renames it to
 * `releases/<version>`. Returns the manifest.
 */
export async function unpackRelease(layout: InstallLayout, file: string, version: string, nodeVersion = process.versions.node): Promise<ReleaseManifest> {
  const final = layout.releaseDir(version);
  const tmp = `${final}.tmp`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    let refused: string | null = null;
    await tar.x({
      file,
      cwd: tmp,
      strict: true,
      preservePaths: false,
      preserveOwner: false,
      filter: (p, entry) => {
        const type = 'type' in entry ? String(entry.type) : 'File';
        const ok = safeEntry(p, type);
        if (!ok) refused ??= `${type} ${p}`;
        return ok;
      },
    });
    if (refused) throw new OtaError('bad-package', `the package holds an entry a release may not have: ${refused}`);
    const manifest = await layout.manifestOf(tmp);
    if (!manifest) throw new OtaError('bad-package', 'the package has no valid manifest.json');
    if (manifest.version !== version) throw new OtaError('bad-package', `the package is release ${manifest.version}, not ${version}`);
    if (!manifest.files.some((f) => f.path === manifest.entry)) throw new OtaError('bad-package', `the entry ${manifest.entry} is not among the release's files`);
    for (const f of manifest.files) {
      const got = await hashOf(join(tmp, f.path)).catch(() => null);
      if (!got || got.sha256 !== f.sha256 || got.size !== f.size) throw new OtaError('bad-package', `${f.path} does not match the manifest`);
    }
    if (manifest.protocol !== PROTOCOL_VERSION) throw new OtaError('incompatible', `the release speaks protocol ${manifest.protocol}; this device ${PROTOCOL_VERSION}`);
    if (!nodeSatisfies(nodeVersion, manifest.node)) throw new OtaError('incompatible', `the release needs Node.js ${manifest.node}; this device has ${nodeVersion}`);
    await rm(final, { recursive: true, force: true });
    await rename(tmp, final);
    return manifest;
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    if (err instanceof OtaError) throw err;
    throw new OtaError('bad-package', `cannot unpack the package: ${(err as Error).message}`);
  }
}

async function hashOf(path: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

const parts = (v: string): number[] => v.split('.').map((n) => Number.parseInt(n, 10) || 0);

/** `>=X[.Y[.Z]]` ranges (what releases declare); any other form is not understood, hence not satisfied. */
export function nodeSatisfies(version: string, range: string): boolean {
  const m = /^\s*>=\s*v?(\d+(?:\.\d+){0,2})\s*$/.exec(range);
  if (!m) return false;
  const have = parts(version.replace(/^v/, ''));
  const need = parts(m[1] ?? '0');
  for (let i = 0; i < 3; i++) {
    const a = have[i] ?? 0;
    const b = need[i] ?? 0;
    if (a !== b) return a > b;
  }
  return true;
}
