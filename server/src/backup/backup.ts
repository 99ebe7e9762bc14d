import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { create as tarCreate } from 'tar';
import type { AppConfig } from '../config/app-config.js';
import { BackupError, describeFsError } from './backup-error.js';
import { describeFile, fsyncPath, listFiles, snapshotFile } from './files.js';
import { ARCHIVE_PATHS, loaVersion, MANIFEST_NAME, MANIFEST_VERSION, type Manifest, type ManifestFile } from './manifest.js';
import { PostgresCli, type PostgresTools } from './postgres-tools.js';

export interface BackupOptions {
  config: AppConfig;
  /** The environment in effect (its LOA_* settings are saved; LOA_CONFIG_FILE names the config file). */
  env: NodeJS.ProcessEnv;
  out: string;
  /** PostgreSQL only: leave the database out (dumped separately with pg_dump). */
  skipDatabase?: boolean;
  postgres?: PostgresTools;
  now?: () => Date;
}

export interface BackupResult {
  archive: string;
  manifest: Manifest;
  bytes: number;
}

/**
 * One archive holding everything a Loa server needs to come back on another machine: a consistent copy of the
 * database taken while the server runs, the media store, the device signing key (devices pin it: without it every
 * device must be re-provisioned) and the configuration. Built in a staging folder beside `out` and renamed into
 * place, so `out` is either the previous file or a complete archive, never half of one.
 */
export async function createBackup(opts: BackupOptions): Promise<BackupResult> {
  const out = path.resolve(opts.out);
  const outDir = path.dirname(out);
  let staging: string | null = null;
  const tmpArchive = path.join(outDir, `.${path.basename(out)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await mkdir(outDir, { recursive: true });
    // Beside the archive, not in /tmp: media are hard-linked (same file system) and /tmp may be small.
    staging = await mkdtemp(path.join(outDir, '.loa-backup-'));
    const files: ManifestFile[] = [];
    const { config } = opts;

    let latestMigration: string | null;
    let dbFile: string | null;
    if (config.database.type === 'sqlite') {
      const copy = path.join(staging, ARCHIVE_PATHS.sqlite);
      latestMigration = await copySqlite(config.database.file, copy);
      files.push(await describeFile(copy, ARCHIVE_PATHS.sqlite));
      dbFile = ARCHIVE_PATHS.sqlite;
    } else {
      latestMigration = await latestPostgresMigration(config.database.url);
      if (opts.skipDatabase) {
        dbFile = null;
      } else {
        const dump = path.join(staging, ARCHIVE_PATHS.pgDump);
        await mkdir(path.dirname(dump), { recursive: true });
        await (opts.postgres ?? new PostgresCli()).dump(config.database.url, dump);
        files.push(await describeFile(dump, ARCHIVE_PATHS.pgDump));
        dbFile = ARCHIVE_PATHS.pgDump;
      }
    }

    let mediaFiles = 0;
    for (const rel of await listFiles(config.mediaDir)) {
      const archived = `${ARCHIVE_PATHS.media}/${rel}`;
      const staged = path.join(staging, archived);
      if (!(await snapshotFile(path.join(config.mediaDir, rel), staged))) continue;
      files.push(await describeFile(staged, archived));
      mediaFiles += 1;
    }

    try {
      await copyFile(config.signingKeyFile, path.join(staging, ARCHIVE_PATHS.signingKey));
      files.push(await describeFile(path.join(staging, ARCHIVE_PATHS.signingKey), ARCHIVE_PATHS.signingKey));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      throw new BackupError(`the device signing key ${config.signingKeyFile} does not exist: start the server once (it creates it) or set LOA_SIGNING_KEY_FILE to where it is`);
    }

    await mkdir(path.join(staging, 'config'), { recursive: true });
    const configFile = opts.env.LOA_CONFIG_FILE ? path.resolve(opts.env.LOA_CONFIG_FILE) : null;
    if (configFile !== null) {
      await writeFile(path.join(staging, ARCHIVE_PATHS.configFile), await readFile(configFile), { mode: 0o600 });
      files.push(await describeFile(path.join(staging, ARCHIVE_PATHS.configFile), ARCHIVE_PATHS.configFile));
    }
    const loaEnv = Object.fromEntries(Object.entries(opts.env).filter(([k, v]) => k.startsWith('LOA_') && v !== undefined).sort(([a], [b]) => a.localeCompare(b)));
    await writeFile(path.join(staging, ARCHIVE_PATHS.env), `${JSON.stringify(loaEnv, null, 2)}\n`, { mode: 0o600 });
    files.push(await describeFile(path.join(staging, ARCHIVE_PATHS.env), ARCHIVE_PATHS.env));

    const manifest: Manifest = {
      format: 'loa-backup',
      manifestVersion: MANIFEST_VERSION,
      loaVersion: loaVersion(),
      createdAt: (opts.now?.() ?? new Date()).toISOString(),
      database: { kind: config.database.type, latestMigration, file: dbFile },
      source: { dataDir: config.dataDir, mediaDir: config.mediaDir, signingKeyFile: config.signingKeyFile, configFile },
      mediaFiles,
      files,
    };
    await writeFile(path.join(staging, MANIFEST_NAME), `${JSON.stringify(manifest, null, 2)}\n`);

    // The manifest first: restore reads it before anything else.
    await tarCreate({ gzip: true, file: tmpArchive, cwd: staging, portable: true, mode: 0o600 }, [MANIFEST_NAME, ...files.map((f) => f.path)]);
    await fsyncPath(tmpArchive);
    await rename(tmpArchive, out);
    await fsyncPath(outDir);
    const { size } = await stat(out);
    return { archive: out, manifest, bytes: size };
  } catch (err) {
    await rm(tmpArchive, { force: true }).catch(() => undefined);
    throw describeFsError(err, `writing the backup ${out}`);
  } finally {
    if (staging !== null) await rm(staging, { recursive: true, force: true }).catch(() => undefined);
  }
}

/**
 * SQLite's online backup API through a connection of its own: it copies a consistent snapshot while the server keeps
 * writing (WAL: readers do not block the writer nor see its uncommitted pages). Returns the copy's newest migration.
 */
async function copySqlite(source: string, dest: string): Promise<string | null> {
  let db: Database.Database;
  try {
    db = new Database(source, { fileMustExist: true });
  } catch (err) {
    throw new BackupError(`cannot open the SQLite database ${source}: ${(err as Error).message}`);
  }
  try {
    db.pragma('busy_timeout = 5000');
    // Everything in one step after the first: a writer's commit between steps restarts the copy, and many small
    // steps against a busy server could restart for ever.
    await db.backup(dest, { progress: () => 1_000_000_000 });
  } finally {
    db.close();
  }
  const copy = new Database(dest, { fileMustExist: true });
  try {
    const check = copy.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new BackupError(`the database copy failed SQLite's quick_check (${String(check)}): the source database may be damaged`);
    // One file, not a WAL pair: the archive holds loa.sqlite alone.
    copy.pragma('journal_mode = DELETE');
    return latestSqliteMigration(copy);
  } finally {
    copy.close();
  }
}

function latestSqliteMigration(db: Database.Database): string | null {
  const table = db.prepare(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'migrations'`).get();
  if (!table) return null;
  const row = db.prepare('SELECT name FROM migrations ORDER BY timestamp DESC, id DESC LIMIT 1').get() as { name: string } | undefined;
  return row?.name ?? null;
}

async function latestPostgresMigration(url: string): Promise<string | null> {
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch (err) {
    throw new BackupError(`cannot connect to the PostgreSQL database: ${(err as Error).message}`);
  }
  try {
    const exists = await client.query(`SELECT to_regclass('migrations') AS t`);
    if ((exists.rows[0] as { t: string | null }).t === null) return null;
    const res = await client.query('SELECT name FROM migrations ORDER BY timestamp DESC, id DESC LIMIT 1');
    return (res.rows[0] as { name: string } | undefined)?.name ?? null;
  } finally {
    await client.end();
  }
}
