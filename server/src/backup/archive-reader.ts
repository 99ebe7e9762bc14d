import { createHash } from 'node:crypto';
import { access, constants } from 'node:fs/promises';
import { list as tarList, type ReadEntry } from 'tar';
import { BackupError } from './backup-error.js';
import { MANIFEST_NAME, MANIFEST_VERSION, manifestSchema, type Manifest } from './manifest.js';

/**
 * Reads the whole archive once, hashing every entry, and checks it against its manifest: a truncated download, a
 * flipped bit or a file missing or added is found here, before restore writes anything.
 */
export async function verifyArchive(file: string): Promise<Manifest> {
  try {
    await access(file, constants.R_OK);
  } catch (err) {
    throw new BackupError(`cannot read the backup archive ${file}: ${(err as Error).message}`);
  }
  const seen = new Map<string, { sha256: string; size: number }>();
  let manifestText: string | null = null;
  const pending: Promise<void>[] = [];
  try {
    await tarList({
      file,
      strict: true,
      onReadEntry: (entry: ReadEntry) => {
        pending.push(
          new Promise<void>((resolve, reject) => {
            const hash = createHash('sha256');
            const chunks: Buffer[] = [];
            let size = 0;
            const keep = entry.path === MANIFEST_NAME;
            entry.on('data', (d: Buffer) => {
              hash.update(d);
              size += d.length;
              if (keep) chunks.push(d);
            });
            entry.on('end', () => {
              if (entry.type === 'File' || entry.type === 'OldFile') {
                if (seen.has(entry.path)) return reject(new BackupError(`the archive holds ${entry.path} twice`));
                seen.set(entry.path, { sha256: hash.digest('hex'), size });
                if (keep) manifestText = Buffer.concat(chunks).toString('utf8');
              }
              resolve();
            });
            entry.on('error', reject);
          }),
        );
      },
    });
    await Promise.all(pending);
  } catch (err) {
    if (err instanceof BackupError) throw err;
    throw new BackupError(`${file} is not a readable Loa backup (truncated or damaged gzip/tar: ${(err as Error).message})`);
  }
  if (manifestText === null) throw new BackupError(`${file} holds no ${MANIFEST_NAME}: not a Loa backup`);
  let raw: unknown;
  try {
    raw = JSON.parse(manifestText);
  } catch {
    throw new BackupError(`${file}: ${MANIFEST_NAME} is not JSON`);
  }
  const version = (raw as { manifestVersion?: unknown } | null)?.manifestVersion;
  if ((raw as { format?: unknown } | null)?.format !== 'loa-backup') throw new BackupError(`${file}: ${MANIFEST_NAME} is not a Loa backup manifest`);
  if (version !== MANIFEST_VERSION) {
    throw new BackupError(`${file} has manifest version ${JSON.stringify(version)}; this loa-server reads version ${MANIFEST_VERSION}: restore it with the Loa release that made it`);
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) throw new BackupError(`${file}: ${MANIFEST_NAME} is malformed (${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')})`);
  const manifest = parsed.data;
  const problems: string[] = [];
  const listed = new Set<string>();
  for (const f of manifest.files) {
    listed.add(f.path);
    const got = seen.get(f.path);
    if (!got) problems.push(`${f.path} is missing`);
    else if (got.size !== f.size) problems.push(`${f.path} has ${got.size} bytes, the manifest says ${f.size}`);
    else if (got.sha256 !== f.sha256) problems.push(`${f.path} does not match its sha256`);
  }
  for (const p of seen.keys()) if (p !== MANIFEST_NAME && !listed.has(p)) problems.push(`${p} is not in the manifest`);
  if (problems.length > 0) {
    const shown = problems.slice(0, 10).join('; ') + (problems.length > 10 ? `; and ${problems.length - 10} more` : '');
    throw new BackupError(`${file} is corrupt, nothing was restored: ${shown}`);
  }
  return manifest;
}
