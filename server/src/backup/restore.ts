import { chmod, mkdir, mkdtemp, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { extract as tarExtract } from 'tar';
import { BackupError, describeFsError } from './backup-error.js';
import { verifyArchive } from './archive-reader.js';
import { fsyncPath, sha256File } from './files.js';
import { ARCHIVE_PATHS, type Manifest } from './manifest.js';
import { PostgresCli, type PostgresTools } from './postgres-tools.js';

export interface RestoreOptions {
  archive: string;
  dataDir: string;
  /** Restore into a data directory that is not empty, replacing its database, media, key and restored config. */
  force?: boolean;
  /** PostgreSQL backups: the empty database to pg_restore into; without it the dump is left in the data dir. */
  databaseUrl?: string;
  postgres?: PostgresTools;
}

export interface RestoreResult {
  manifest: Manifest;
  dataDir: string;
  /** What now lives where, one line each, for the operator. */
  restored: string[];
  /** What the operator still has to do before starting the server. */
  next: string[];
}

/** Names restore writes in the data dir; with --force these are what it replaces. */
const SQLITE_SIDE_FILES = ['loa.sqlite-wal', 'loa.sqlite-shm', 'loa.sqlite-journal'];
const RESTORED_CONFIG = 'restored-config';
const PG_DUMP_LEFT = 'loa.pgdump';

/**
 * Puts a backup back into a data directory: the archive is read and checked in full first (nothing is written for a
 * corrupt one), extracted beside the target, then moved in. A failure part-way removes what it had put there.
 */
export async function restoreBackup(opts: RestoreOptions): Promise<RestoreResult> {
  const dataDir = path.resolve(opts.dataDir);
  await refuseNonEmpty(dataDir, opts.force ?? false);
  const manifest = await verifyArchive(opts.archive);
  const pgTarget = manifest.database.kind === 'postgres' && manifest.database.file !== null ? (opts.databaseUrl ?? null) : null;
  if (pgTarget !== null) await refuseNonEmptyPostgres(pgTarget);

  const parent = path.dirname(dataDir);
  let staging: string | null = null;
  const placed: string[] = [];
  try {
    await mkdir(parent, { recursive: true });
    staging = await mkdtemp(path.join(parent, `.${path.basename(dataDir)}.restore-`));
    // Synchronous: when a write fails (a full disk) no other entry is still being written after the clean-up below.
    tarExtract({ file: opts.archive, cwd: staging, strict: true, preservePaths: false, noChmod: true, sync: true });
    // Checked again on the disk: what is moved in is what the manifest promised, whatever happened while writing.
    for (const f of manifest.files) {
      const got = await sha256File(path.join(staging, f.path));
      if (got !== f.sha256) throw new BackupError(`${f.path} changed while it was extracted (sha256 ${got}): the disk may be failing; nothing was restored`);
    }

    const restored: string[] = [];
    if (pgTarget !== null) {
      await (opts.postgres ?? new PostgresCli()).restore(pgTarget, path.join(staging, manifest.database.file!));
      restored.push(`database: pg_restore into ${redactUrl(pgTarget)} (latest migration ${manifest.database.latestMigration ?? 'none'})`);
    }

    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    if (opts.force) {
      for (const name of [ARCHIVE_PATHS.sqlite, ...SQLITE_SIDE_FILES, ARCHIVE_PATHS.media, ARCHIVE_PATHS.signingKey, RESTORED_CONFIG, PG_DUMP_LEFT]) {
        await rm(path.join(dataDir, name), { recursive: true, force: true });
      }
    }
    const move = async (from: string, to: string): Promise<boolean> => {
      try {
        await stat(path.join(staging!, from));
      } catch {
        return false;
      }
      await rename(path.join(staging!, from), path.join(dataDir, to));
      placed.push(path.join(dataDir, to));
      return true;
    };
    if (manifest.database.kind === 'sqlite' && (await move(ARCHIVE_PATHS.sqlite, ARCHIVE_PATHS.sqlite))) {
      restored.push(`database: ${path.join(dataDir, ARCHIVE_PATHS.sqlite)} (SQLite, latest migration ${manifest.database.latestMigration ?? 'none'})`);
    }
    if (manifest.database.kind === 'postgres' && pgTarget === null && manifest.database.file !== null && (await move(manifest.database.file, PG_DUMP_LEFT))) {
      await chmod(path.join(dataDir, PG_DUMP_LEFT), 0o600);
      restored.push(`database dump (not restored): ${path.join(dataDir, PG_DUMP_LEFT)}`);
    }
    if (!(await move(ARCHIVE_PATHS.media, ARCHIVE_PATHS.media))) await mkdir(path.join(dataDir, ARCHIVE_PATHS.media));
    restored.push(`media: ${manifest.mediaFiles} file(s) in ${path.join(dataDir, ARCHIVE_PATHS.media)}`);
    if (await move(ARCHIVE_PATHS.signingKey, ARCHIVE_PATHS.signingKey)) {
      await chmod(path.join(dataDir, ARCHIVE_PATHS.signingKey), 0o600);
      restored.push(`device signing key: ${path.join(dataDir, ARCHIVE_PATHS.signingKey)}`);
    }
    if (await move('config', RESTORED_CONFIG)) {
      await chmod(path.join(dataDir, RESTORED_CONFIG), 0o700);
      restored.push(`configuration: ${path.join(dataDir, RESTORED_CONFIG)}/ (env.json${manifest.source.configFile ? ', config.json' : ''})`);
    }
    await fsyncPath(dataDir);
    return { manifest, dataDir, restored, next: await nextSteps(manifest, dataDir, pgTarget) };
  } catch (err) {
    // Only what this run put there: the directory was empty (or --force said its old contents may go).
    for (const p of placed.reverse()) await rm(p, { recursive: true, force: true }).catch(() => undefined);
    throw describeFsError(err, `restoring ${opts.archive} into ${dataDir}`);
  } finally {
    if (staging !== null) await rm(staging, { recursive: true, force: true }).catch(() => undefined);
  }
}

async function refuseNonEmpty(dataDir: string, force: boolean): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dataDir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return;
    if (code === 'ENOTDIR') throw new BackupError(`${dataDir} is a file, not a data directory`);
    throw describeFsError(err, `reading ${dataDir}`);
  }
  if (entries.length > 0 && !force) {
    const shown = entries.slice(0, 5).join(', ') + (entries.length > 5 ? ', …' : '');
    throw new BackupError(
      `the data directory ${dataDir} is not empty (${shown}): restore into an empty or new directory (--data-dir), or pass --force to replace its database, media and signing key with the backup's`,
    );
  }
}

async function refuseNonEmptyPostgres(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch (err) {
    throw new BackupError(`cannot connect to the PostgreSQL database to restore into (${redactUrl(url)}): ${(err as Error).message}; create it first (createdb)`);
  }
  try {
    const res = await client.query(`SELECT count(*)::int AS n FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`);
    const n = (res.rows[0] as { n: number }).n;
    if (n > 0) throw new BackupError(`the PostgreSQL database ${redactUrl(url)} is not empty (${n} tables): restore into a new, empty database (createdb) so no old row survives`);
  } finally {
    await client.end();
  }
}

const SECRET_NAME = /PASSWORD|SECRET|TOKEN|KEY$|_KEY_|API_KEY|DATABASE_URL/;

async function nextSteps(manifest: Manifest, dataDir: string, pgTarget: string | null): Promise<string[]> {
  const steps: string[] = [];
  const configDir = path.join(dataDir, RESTORED_CONFIG);
  let env: Record<string, string> = {};
  try {
    env = JSON.parse(await readFile(path.join(configDir, 'env.json'), 'utf8')) as Record<string, string>;
  } catch {
    /* an archive without env.json: nothing to list */
  }
  const names = Object.keys(env).filter((k) => k !== 'LOA_DATA_DIR');
  steps.push(`set LOA_DATA_DIR=${dataDir}`);
  if (manifest.source.configFile) {
    steps.push(`put the configuration file back: copy ${path.join(configDir, 'config.json')} to ${manifest.source.configFile} (or set LOA_CONFIG_FILE to it)`);
  }
  if (names.length > 0) {
    const shown = names.map((k) => (SECRET_NAME.test(k) ? `${k}=<secret, see env.json>` : `${k}=${env[k]}`));
    steps.push(`put back the environment the server ran with (full values in ${path.join(configDir, 'env.json')}):\n      ${shown.join('\n      ')}`);
  }
  const defaultMedia = path.join(manifest.source.dataDir, 'media');
  if (manifest.source.mediaDir !== defaultMedia) {
    steps.push(`media were in ${manifest.source.mediaDir} (LOA_MEDIA_DIR): move ${path.join(dataDir, 'media')} there, or point LOA_MEDIA_DIR at it`);
  }
  const defaultKey = path.join(manifest.source.dataDir, 'signing-key.pem');
  if (manifest.source.signingKeyFile !== defaultKey) {
    steps.push(`the signing key was at ${manifest.source.signingKeyFile} (LOA_SIGNING_KEY_FILE): move ${path.join(dataDir, 'signing-key.pem')} there, or point LOA_SIGNING_KEY_FILE at it`);
  }
  if (manifest.database.kind === 'sqlite' && env.LOA_DATABASE_URL?.startsWith('sqlite:')) {
    steps.push(`the database was at ${env.LOA_DATABASE_URL}: unset LOA_DATABASE_URL to use ${path.join(dataDir, 'loa.sqlite')}, or move it there`);
  }
  if (manifest.database.kind === 'postgres') {
    if (manifest.database.file === null) steps.push('this backup holds no database: restore your separate pg_dump with pg_restore into an empty database');
    else if (pgTarget === null) {
      steps.push(`restore the database: createdb loa && pg_restore --no-owner --no-privileges --single-transaction --exit-on-error --dbname=postgres://…/loa ${path.join(dataDir, PG_DUMP_LEFT)} (or run restore again with --database-url)`);
    }
    steps.push('set LOA_DATABASE_URL to the restored database');
  }
  steps.push(`start the server (same Loa version ${manifest.loaVersion} or newer: migrations run at start); devices reconnect by themselves and keep trusting the restored signing key`);
  steps.push(`${configDir} holds secrets: delete it once the configuration is back in place`);
  return steps;
}

function redactUrl(url: string): string {
  return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@');
}
