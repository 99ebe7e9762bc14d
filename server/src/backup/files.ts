import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, link, mkdir, open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { ManifestFile } from './manifest.js';

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** The manifest line of `rel` (archive path) whose bytes are at `file`. */
export async function describeFile(file: string, rel: string): Promise<ManifestFile> {
  const [sha256, st] = await Promise.all([sha256File(file), stat(file)]);
  return { path: rel, sha256, size: st.size };
}

/**
 * Regular files under `dir`, relative, sorted. Names starting with "." are the media store's temporaries (a file
 * being committed) and are skipped; a missing directory is an empty one.
 */
export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(path.join(dir, rel), { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    for (const e of entries) {
      if (e.name.startsWith('.')) continue;
      const child = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) await walk(child);
      else if (e.isFile()) out.push(child);
    }
  };
  await walk('');
  return out.sort();
}

/**
 * Puts `from` at `to` without copying its bytes when both are on one file system: media files are never modified in
 * place (a new file is renamed in), so a hard link is a snapshot. Another file system: a copy. False: `from` is gone
 * (deleted by a retention sweep since it was listed), which a backup may skip.
 */
export async function snapshotFile(from: string, to: string): Promise<boolean> {
  await mkdir(path.dirname(to), { recursive: true });
  try {
    await link(from, to);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return false;
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK') throw err;
  }
  try {
    await copyFile(from, to);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** Flushes a file (or a directory's entries, after a rename into it) to the disk. */
export async function fsyncPath(p: string): Promise<void> {
  const fh = await open(p, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}
