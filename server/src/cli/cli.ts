import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { AppConfig, ConfigError } from '../config/app-config.js';
import { createBackup } from '../backup/backup.js';
import { BackupError } from '../backup/backup-error.js';
import { restoreBackup } from '../backup/restore.js';

export const USAGE = `Usage: loa-server [command]

Commands:
  start                       run the server (the default)
  backup --out FILE           write one archive (tar.gz, mode 0600) with a consistent copy of the database,
                              the media, the device signing key and the configuration; safe while the server runs.
                              PostgreSQL: the database is dumped with pg_dump (must be on PATH), or left out
                              with --no-database (dump it yourself with pg_dump --format=custom)
  restore FILE [--data-dir DIR] [--database-url URL] [--force]
                              check every file of the archive, then put it back into an empty data directory
                              (default: LOA_DATA_DIR). PostgreSQL: pg_restore into the empty database
                              --database-url (default: LOA_DATABASE_URL); without one the dump is left beside
  help, --help                this text

The settings come from LOA_* and LOA_CONFIG_FILE, as for start. A backup holds secrets (the signing key,
passwords in the configuration): keep it where only the operators can read it.
`;

/** Exit codes: 0 done, 1 refused or failed (message printed), 2 bad command line or configuration. */
export async function runCli(argv: string[], start: () => Promise<void>, env: NodeJS.ProcessEnv = process.env): Promise<number | null> {
  const [command, ...rest] = argv;
  if (command === undefined || command === 'start') {
    await start();
    return null;
  }
  if (command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(USAGE);
    return 0;
  }
  try {
    if (command === 'backup') return await backup(rest, env);
    if (command === 'restore') return await restore(rest, env);
    process.stderr.write(`loa-server: unknown command "${command}"\n\n${USAGE}`);
    return 2;
  } catch (err) {
    if (err instanceof BackupError) {
      process.stderr.write(`loa-server ${command}: ${err.message}\n`);
      return 1;
    }
    if (err instanceof ConfigError || err instanceof UsageError) {
      process.stderr.write(`loa-server ${command}: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`loa-server ${command}: failed: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}

class UsageError extends Error {}

type Options = Record<string, { type: 'string' | 'boolean' }>;

function parse(args: string[], options: Options, positionals: number): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const parsed = parseArgs({ args, options, allowPositionals: positionals > 0, strict: true });
    if (parsed.positionals.length > positionals) throw new UsageError(`unexpected argument ${parsed.positionals[positionals]}`);
    return { values: parsed.values as Record<string, string | boolean | undefined>, positionals: parsed.positionals };
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`${(err as Error).message}\n\n${USAGE}`);
  }
}

async function backup(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values } = parse(args, { out: { type: 'string' }, 'no-database': { type: 'boolean' }, help: { type: 'boolean' } }, 0);
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (typeof values.out !== 'string' || values.out === '') throw new UsageError('backup needs --out FILE (where to write the archive)');
  const config = AppConfig.load(env);
  const started = performance.now();
  const result = await createBackup({ config, env, out: values.out, skipDatabase: values['no-database'] === true });
  const m = result.manifest;
  process.stdout.write(
    [
      `backup written: ${result.archive} (${result.bytes} bytes, mode 0600, ${Math.round(performance.now() - started)} ms)`,
      `  Loa ${m.loaVersion}, ${m.database.kind} database${m.database.file === null ? ' NOT included (--no-database)' : ''}, latest migration ${m.database.latestMigration ?? 'none'}`,
      `  ${m.mediaFiles} media file(s), signing key, configuration (${m.source.configFile ?? 'no LOA_CONFIG_FILE'} and the LOA_* environment)`,
      '  it holds secrets (the device signing key, passwords): store it where only the operators can read it',
      '',
    ].join('\n'),
  );
  return 0;
}

async function restore(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { values, positionals } = parse(
    args,
    { 'data-dir': { type: 'string' }, 'database-url': { type: 'string' }, force: { type: 'boolean' }, help: { type: 'boolean' } },
    1,
  );
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const archive = positionals[0];
  if (archive === undefined) throw new UsageError('restore needs the archive: loa-server restore FILE [--data-dir DIR]');
  // Not AppConfig.load: the machine being restored may not have its configuration back yet (restore gives it back).
  const dataDir = (values['data-dir'] as string | undefined) ?? env.LOA_DATA_DIR ?? './data';
  const envUrl = env.LOA_DATABASE_URL?.startsWith('postgres') ? env.LOA_DATABASE_URL : undefined;
  const result = await restoreBackup({
    archive,
    dataDir,
    force: values.force === true,
    databaseUrl: (values['database-url'] as string | undefined) ?? envUrl,
  });
  const m = result.manifest;
  process.stdout.write(
    [
      `restored ${archive} (Loa ${m.loaVersion}, made ${m.createdAt}) into ${result.dataDir}; every file matched its sha256:`,
      ...result.restored.map((r) => `  - ${r}`),
      'next:',
      ...result.next.map((s, i) => `  ${i + 1}. ${s}`),
      '',
    ].join('\n'),
  );
  return 0;
}
