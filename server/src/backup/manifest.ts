import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** Bumped when an archive's layout changes in a way an older `restore` could not read. */
export const MANIFEST_VERSION = 1;
export const MANIFEST_NAME = 'manifest.json';

/** Where each part lives inside the archive (and, for SQLite, media and key, where restore puts it in the data dir). */
export const ARCHIVE_PATHS = {
  sqlite: 'loa.sqlite',
  pgDump: 'database/loa.pgdump',
  media: 'media',
  signingKey: 'signing-key.pem',
  configFile: 'config/config.json',
  env: 'config/env.json',
} as const;

const fileSchema = z.object({
  path: z.string().min(1).refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), 'must be a relative path inside the archive'),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
});
export type ManifestFile = z.infer<typeof fileSchema>;

export const manifestSchema = z.object({
  format: z.literal('loa-backup'),
  manifestVersion: z.number().int(),
  loaVersion: z.string(),
  createdAt: z.string(),
  database: z.object({
    kind: z.enum(['sqlite', 'postgres']),
    /** The newest migration applied in the copy: what a server restoring it starts from. */
    latestMigration: z.string().nullable(),
    /** Null: a PostgreSQL backup made with --no-database (dumped separately with pg_dump). */
    file: z.string().nullable(),
  }),
  /** Where things were on the backed-up machine, to tell the operator what to put back. */
  source: z.object({
    dataDir: z.string(),
    mediaDir: z.string(),
    signingKeyFile: z.string(),
    configFile: z.string().nullable(),
  }),
  /** Media files in the archive (the rest of `files` is database, key and configuration). */
  mediaFiles: z.number().int().nonnegative(),
  files: z.array(fileSchema),
});
export type Manifest = z.infer<typeof manifestSchema>;

/** This server's version (server/package.json, two levels above both src/backup and dist/backup). */
export function loaVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}
