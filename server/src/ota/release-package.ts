import { list } from 'tar';
import { releaseManifestSchema, type ReleaseManifest } from '@loa/shared';

/** manifest.json is small; anything bigger is not a release package's. */
const MAX_MANIFEST_BYTES = 256 * 1024;

export type ManifestRead = { ok: true; manifest: ReleaseManifest } | { ok: false; detail: string };

/**
 * Reads and validates `manifest.json` from the root of a release package (.tar.gz), streaming the archive and
 * keeping only that one entry. A file that is not a gzip'd tar, or has no valid manifest, is refused with why.
 */
export async function readManifest(file: string): Promise<ManifestRead> {
  const chunks: Buffer[] = [];
  let found = false;
  let tooBig = false;
  try {
    await list({
      file,
      strict: true,
      filter: (p) => p === 'manifest.json' || p === './manifest.json',
      onReadEntry: (entry) => {
        found = true;
        let size = 0;
        entry.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_MANIFEST_BYTES) tooBig = true;
          else chunks.push(c);
        });
      },
    });
  } catch (err) {
    return { ok: false, detail: `not a tar.gz archive (${(err as Error).message})` };
  }
  if (!found) return { ok: false, detail: 'no manifest.json at the root of the archive' };
  if (tooBig) return { ok: false, detail: 'manifest.json is too large' };
  let json: unknown;
  try {
    json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return { ok: false, detail: 'manifest.json is not JSON' };
  }
  const parsed = releaseManifestSchema.safeParse(json);
  if (!parsed.success) return { ok: false, detail: `manifest.json: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ').slice(0, 300)}` };
  return { ok: true, manifest: parsed.data };
}
