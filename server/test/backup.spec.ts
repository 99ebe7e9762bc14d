import { jest } from '@jest/globals';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pg from 'pg';
import { create as tarCreate, extract as tarExtract } from 'tar';
import { exportPrivateKeyPem, generateSigningKey } from '@loa/shared';
import { AppConfig } from '../src/config/app-config.js';
import { createBackup } from '../src/backup/backup.js';
import { BackupError } from '../src/backup/backup-error.js';
import { verifyArchive } from '../src/backup/archive-reader.js';
import { restoreBackup } from '../src/backup/restore.js';
import { runCli } from '../src/cli/cli.js';
import { copySqliteTemplate, PG_ADMIN_URL } from './support/databases.js';
import { openAppDatabase } from '../src/app.database.js';
import { until } from './support/until.js';

const BETTER_SQLITE3 = fileURLToPath(import.meta.resolve('better-sqlite3'));

interface Site {
  root: string;
  dataDir: string;
  env: NodeJS.ProcessEnv;
  config: AppConfig;
}

/** A data dir as a server leaves it: migrated SQLite, two media files, the signing key, a config file. */
async function sqliteSite(): Promise<Site> {
  const root = mkdtempSync(path.join(tmpdir(), 'loa-backup-spec-'));
  const dataDir = path.join(root, 'data');
  mkdirSync(path.join(dataDir, 'media'), { recursive: true });
  await copySqliteTemplate(path.join(dataDir, 'loa.sqlite'));
  writeFileSync(path.join(dataDir, 'media', 'a'.repeat(64)), Buffer.alloc(70_000, 7));
  writeFileSync(path.join(dataDir, 'media', 'b'.repeat(64)), 'second file');
  // A temporary of a commit in progress: not part of the store.
  writeFileSync(path.join(dataDir, 'media', `.${'c'.repeat(64)}.1234.part`), 'half');
  writeFileSync(path.join(dataDir, 'signing-key.pem'), exportPrivateKeyPem(generateSigningKey()), { mode: 0o600 });
  const configFile = path.join(root, 'server.json');
  writeFileSync(configFile, JSON.stringify({ LOA_TIMEZONE: 'Asia/Ho_Chi_Minh', LOA_ADMIN_PASSWORD: 'config-file-secret' }));
  const env = { LOA_DATA_DIR: dataDir, LOA_CONFIG_FILE: configFile, LOA_HTTP_PORT: '3999' };
  return { root, dataDir, env, config: AppConfig.load(env) };
}

/** Another process committing batches of 20 rows as fast as it can (as a running server would), until killed. */
function startWriter(dbFile: string) {
  const script = `
    const Database = require(${JSON.stringify(BETTER_SQLITE3)});
    const db = new Database(${JSON.stringify(dbFile)});
    db.pragma('journal_mode = WAL'); db.pragma('busy_timeout = 5000');
    db.exec('CREATE TABLE IF NOT EXISTS backup_probe (batch INTEGER NOT NULL, n INTEGER NOT NULL, pad TEXT NOT NULL)');
    const ins = db.prepare('INSERT INTO backup_probe VALUES (?, ?, ?)');
    const batch = db.transaction((b) => { for (let n = 0; n < 20; n++) ins.run(b, n, 'x'.repeat(200)); });
    let b = 0;
    const tick = () => { batch(++b); if (b % 50 === 0) process.stdout.write(b + '\\n'); setImmediate(tick); };
    tick();
  `;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let last = 0;
  child.stdout.on('data', (d: Buffer) => {
    const n = Number(d.toString().trim().split('\n').pop());
    if (n > 0) last = n;
  });
  return { child, batches: () => last, stop: () => new Promise<void>((r) => (child.exitCode !== null || child.signalCode !== null ? r() : (child.once('exit', () => r()), child.kill('SIGKILL')))) };
}

async function captureCli(argv: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const so = jest.spyOn(process.stdout, 'write').mockImplementation((s) => (out.push(String(s)), true));
  const se = jest.spyOn(process.stderr, 'write').mockImplementation((s) => (err.push(String(s)), true));
  try {
    const code = await runCli(argv, () => Promise.reject(new Error('start must not run')), env);
    return { code, stdout: out.join(''), stderr: err.join('') };
  } finally {
    so.mockRestore();
    se.mockRestore();
  }
}


describe('backup and restore (SQLite)', () => {
  let site: Site;
  let archive: string;
  let writer: ReturnType<typeof startWriter>;

  beforeAll(async () => {
    site = await sqliteSite();
    writer = startWriter(site.config.database.type === 'sqlite' ? site.config.database.file : '');
    await until('the writer to commit 100 batches', async () => writer.batches(), (n) => n >= 100, 20_000);
    archive = path.join(site.root, 'backups', 'loa.tar.gz');
    const before = writer.batches();
    await createBackup({ config: site.config, env: site.env, out: archive });
    // The writer kept committing throughout: the copy was taken from a database in use.
    await until('the writer to go on after the backup', async () => writer.batches(), (n) => n >= before + 100, 20_000);
    await writer.stop();
  }, 60_000);

  afterAll(async () => {
    await writer?.stop();
    rmSync(site.root, { recursive: true, force: true });
  });

  it('writes one 0600 archive whose manifest lists every file with its sha256, and nothing else beside it', async () => {
    expect(statSync(archive).mode & 0o777).toBe(0o600);
    expect(readdirSync(path.dirname(archive))).toEqual(['loa.tar.gz']);
    const manifest = await verifyArchive(archive);
    expect(manifest).toEqual(
      expect.objectContaining({
        format: 'loa-backup',
        manifestVersion: 1,
        loaVersion: '0.1.0',
        database: { kind: 'sqlite', latestMigration: expect.stringMatching(/^\w+\d{13}$/), file: 'loa.sqlite' },
        mediaFiles: 2,
      }),
    );
    expect(manifest.files.map((f) => f.path).sort()).toEqual(
      ['config/config.json', 'config/env.json', 'loa.sqlite', `media/${'a'.repeat(64)}`, `media/${'b'.repeat(64)}`, 'signing-key.pem'].sort(),
    );
    expect(manifest.files.find((f) => f.path === `media/${'a'.repeat(64)}`)).toEqual(expect.objectContaining({ size: 70_000 }));
  });

  it('restores into an empty directory: a consistent database (no torn transaction), media, key and configuration', async () => {
    const target = path.join(site.root, 'restored');
    const result = await restoreBackup({ archive, dataDir: target });
    const db = new Database(path.join(target, 'loa.sqlite'), { readonly: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const rows = db.prepare('SELECT count(*) AS n, count(DISTINCT batch) AS b, max(batch) AS last FROM backup_probe').get() as { n: number; b: number; last: number };
      expect(rows.b).toBeGreaterThanOrEqual(100);
      // Every transaction whole: 20 rows per batch, and batches 1..last with none missing.
      expect(rows.n).toBe(rows.b * 20);
      expect(rows.last).toBe(rows.b);
      const migrations = db.prepare('SELECT count(*) AS n FROM migrations').get() as { n: number };
      expect(migrations.n).toBeGreaterThan(20);
    } finally {
      db.close();
    }
    const source = new Database(path.join(site.dataDir, 'loa.sqlite'), { readonly: true });
    const sourceBatches = (source.prepare('SELECT max(batch) AS b FROM backup_probe').get() as { b: number }).b;
    source.close();
    expect(sourceBatches).toBeGreaterThan(100);
    expect(readFileSync(path.join(target, 'signing-key.pem'), 'utf8')).toBe(readFileSync(path.join(site.dataDir, 'signing-key.pem'), 'utf8'));
    expect(statSync(path.join(target, 'signing-key.pem')).mode & 0o777).toBe(0o600);
    expect(readFileSync(path.join(target, 'media', 'a'.repeat(64)))).toEqual(Buffer.alloc(70_000, 7));
    expect(readdirSync(path.join(target, 'media')).sort()).toEqual(['a'.repeat(64), 'b'.repeat(64)]);
    expect(JSON.parse(readFileSync(path.join(target, 'restored-config', 'env.json'), 'utf8'))).toEqual(site.env);
    expect(readFileSync(path.join(target, 'restored-config', 'config.json'), 'utf8')).toBe(readFileSync(site.env.LOA_CONFIG_FILE!, 'utf8'));
    expect(result.next.join('\n')).toContain(`copy ${path.join(target, 'restored-config', 'config.json')} to ${site.env.LOA_CONFIG_FILE}`);
    expect(result.next.join('\n')).toContain('LOA_HTTP_PORT=3999');
    // No staging folder left beside it.
    expect(readdirSync(site.root).filter((n) => n.includes('restore'))).toEqual(['restored']);
    // A server opens the copy: its migrations find nothing to do.
    const ds = await openAppDatabase({ type: 'sqlite', file: path.join(target, 'loa.sqlite') });
    await ds.destroy();
  });

  it('refuses a non-empty data directory unless --force, writing nothing', async () => {
    const target = mkdtempSync(path.join(site.root, 'busy-'));
    writeFileSync(path.join(target, 'loa.sqlite'), 'an older database');
    writeFileSync(path.join(target, 'loa.sqlite-wal'), 'its WAL');
    const cli = await captureCli(['restore', archive, '--data-dir', target], {});
    expect(cli.code).toBe(1);
    expect(cli.stderr).toContain(`the data directory ${target} is not empty (loa.sqlite, loa.sqlite-wal)`);
    expect(cli.stderr).toContain('--force');
    expect(readdirSync(target).sort()).toEqual(['loa.sqlite', 'loa.sqlite-wal']);

    const forced = await captureCli(['restore', archive, '--data-dir', target, '--force'], {});
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('every file matched its sha256');
    // The stale WAL of the replaced database is gone: it would have been replayed into the restored one.
    expect(readdirSync(target).sort()).toEqual(['loa.sqlite', 'media', 'restored-config', 'signing-key.pem']);
    expect(readFileSync(path.join(target, 'loa.sqlite')).subarray(0, 15).toString()).toBe('SQLite format 3');
  });

  it('refuses a truncated or damaged archive before writing anything', async () => {
    const bytes = readFileSync(archive);
    const truncated = path.join(site.root, 'truncated.tar.gz');
    writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const flipped = path.join(site.root, 'flipped.tar.gz');
    const copy = Buffer.from(bytes);
    copy[Math.floor(copy.length / 2)]! ^= 0xff;
    writeFileSync(flipped, copy);
    for (const bad of [truncated, flipped]) {
      const target = path.join(site.root, `never-${path.basename(bad)}`);
      const cli = await captureCli(['restore', bad, '--data-dir', target], {});
      expect(cli.code).toBe(1);
      expect(cli.stderr).toMatch(/not a readable Loa backup|is corrupt, nothing was restored/);
      expect(existsSync(target)).toBe(false);
      expect(readdirSync(site.root).filter((n) => n.includes('.restore-'))).toEqual([]);
    }
    const missing = await captureCli(['restore', path.join(site.root, 'nope.tar.gz'), '--data-dir', path.join(site.root, 'x')], {});
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cannot read the backup archive');
  });

  it('refuses a well-formed archive whose file does not match its sha256, or whose manifest version is unknown', async () => {
    const work = mkdtempSync(path.join(site.root, 'tamper-'));
    await tarExtract({ file: archive, cwd: work });
    const names = readdirSync(work);
    writeFileSync(path.join(work, 'signing-key.pem'), exportPrivateKeyPem(generateSigningKey()));
    const tampered = path.join(site.root, 'tampered.tar.gz');
    await tarCreate({ gzip: true, file: tampered, cwd: work }, names);
    await expect(restoreBackup({ archive: tampered, dataDir: path.join(site.root, 'never-t') })).rejects.toThrow(/is corrupt, nothing was restored: signing-key.pem (does not match its sha256|has \d+ bytes)/);
    expect(existsSync(path.join(site.root, 'never-t'))).toBe(false);

    const manifest = JSON.parse(readFileSync(path.join(work, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(path.join(work, 'manifest.json'), JSON.stringify({ ...manifest, manifestVersion: 99 }));
    const future = path.join(site.root, 'future.tar.gz');
    await tarCreate({ gzip: true, file: future, cwd: work }, names);
    await expect(restoreBackup({ archive: future, dataDir: path.join(site.root, 'never-f') })).rejects.toThrow('has manifest version 99; this loa-server reads version 1');
    expect(existsSync(path.join(site.root, 'never-f'))).toBe(false);
  });

  it('a disk that fills up while the backup is written leaves no file behind and says so', async () => {
    const pgSite = { ...site.config, database: { type: 'postgres', url: `${PG_ADMIN_URL}` } } as unknown as AppConfig;
    const outDir = mkdtempSync(path.join(site.root, 'full-'));
    const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    const err = await createBackup({
      config: pgSite,
      env: site.env,
      out: path.join(outDir, 'loa.tar.gz'),
      // The dump has written part of its file when the disk fills.
      postgres: { dump: async (_url, file) => (writeFileSync(file, 'partial dump'), Promise.reject(full)), restore: () => Promise.reject(new Error('unused')) },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackupError);
    expect((err as Error).message).toMatch(/^no space left on the device while writing the backup .*loa\.tar\.gz/);
    expect(readdirSync(outDir)).toEqual([]);
  });

  it('answers usage errors with exit code 2', async () => {
    expect((await captureCli(['backup'], site.env)).code).toBe(2);
    expect((await captureCli(['restore'], site.env)).stderr).toContain('restore needs the archive');
    const unknown = await captureCli(['frobnicate'], site.env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "frobnicate"');
    expect((await captureCli(['--help'], {})).stdout).toContain('holds secrets');
  });
});

async function withPg<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

function dbUrl(name: string): string {
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

describe('backup and restore (PostgreSQL, pg_dump/pg_restore)', () => {
  const suffix = `${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const source = `loa_backup_src_${suffix}`;
  const target = `loa_backup_dst_${suffix}`;
  let root: string;

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'loa-backup-pg-'));
    await withPg(PG_ADMIN_URL, async (a) => {
      await a.query(`CREATE DATABASE ${source}`);
      await a.query(`CREATE DATABASE ${target}`);
    });
    await (await openAppDatabase({ type: 'postgres', url: dbUrl(source) })).destroy();
    await withPg(dbUrl(source), async (c) => {
      await c.query(`INSERT INTO areas (code, name, level, parent_code, path, created_at) VALUES ('01', 'Thành phố Hà Nội', 'province', NULL, '01', 1), ('09955', 'Xã Tây Đằng', 'commune', '01', '01/09955', 2)`);
      await c.query(`INSERT INTO settings (key, value, updated_by, updated_at) VALUES ('backup.probe', '{"ok":true}', NULL, 3)`);
    });
  }, 120_000);

  afterAll(async () => {
    await withPg(PG_ADMIN_URL, async (a) => {
      await a.query(`DROP DATABASE IF EXISTS ${source} WITH (FORCE)`);
      await a.query(`DROP DATABASE IF EXISTS ${target} WITH (FORCE)`);
    });
    rmSync(root, { recursive: true, force: true });
  });

  it('dumps the database into the archive and restores it into a fresh database with the same rows', async () => {
    const dataDir = path.join(root, 'data');
    mkdirSync(path.join(dataDir, 'media'), { recursive: true });
    writeFileSync(path.join(dataDir, 'media', 'd'.repeat(64)), 'media bytes');
    writeFileSync(path.join(dataDir, 'signing-key.pem'), exportPrivateKeyPem(generateSigningKey()));
    chmodSync(path.join(dataDir, 'signing-key.pem'), 0o600);
    const env = { LOA_DATA_DIR: dataDir, LOA_DATABASE_URL: dbUrl(source) };
    const archive = path.join(root, 'pg.tar.gz');
    const made = await captureCli(['backup', '--out', archive], env);
    expect(made.stderr).toBe('');
    expect(made.code).toBe(0);
    const manifest = await verifyArchive(archive);
    expect(manifest.database).toEqual({ kind: 'postgres', latestMigration: expect.stringMatching(/\d{13}$/), file: 'database/loa.pgdump' });

    const restoredDir = path.join(root, 'restored');
    const restored = await captureCli(['restore', archive, '--data-dir', restoredDir, '--database-url', dbUrl(target)], {});
    expect(restored.stderr).toBe('');
    expect(restored.code).toBe(0);
    expect(restored.stdout).toContain('database: pg_restore into');
    expect(readFileSync(path.join(restoredDir, 'media', 'd'.repeat(64)), 'utf8')).toBe('media bytes');

    const snapshot = (url: string) =>
      withPg(url, async (c) => {
        const tables = (await c.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`)).rows.map((r: { tablename: string }) => r.tablename);
        const counts: Record<string, number> = {};
        for (const t of tables) counts[t] = Number((await c.query(`SELECT count(*) AS n FROM "${t}"`)).rows[0].n);
        const areas = (await c.query('SELECT * FROM areas ORDER BY code')).rows;
        const settings = (await c.query(`SELECT * FROM settings WHERE key = 'backup.probe'`)).rows;
        const migrations = (await c.query('SELECT name FROM migrations ORDER BY id')).rows;
        return { tables, counts, areas, settings, migrations };
      });
    const [before, after] = [await snapshot(dbUrl(source)), await snapshot(dbUrl(target))];
    expect(after).toEqual(before);
    expect(after.areas).toHaveLength(2);
    expect(after.counts.migrations).toBeGreaterThan(20);

    // Restoring twice would mix old and new rows: refused.
    const again = await captureCli(['restore', archive, '--data-dir', path.join(root, 'again'), '--database-url', dbUrl(target)], {});
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('is not empty');
    expect(existsSync(path.join(root, 'again'))).toBe(false);
  }, 120_000);
});
