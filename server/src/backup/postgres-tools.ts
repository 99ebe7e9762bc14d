import { spawn } from 'node:child_process';
import { BackupError } from './backup-error.js';

/** The PostgreSQL client programs backup and restore run (a port, so tests can name the binaries they use). */
export interface PostgresTools {
  /** Custom-format dump of `url` into `file`. */
  dump(url: string, file: string): Promise<void>;
  /** Restores a custom-format dump into the (empty) database at `url`, all or nothing. */
  restore(url: string, file: string): Promise<void>;
}

/** pg_dump / pg_restore on PATH, or at the paths given. */
export class PostgresCli implements PostgresTools {
  constructor(
    private readonly pgDump = 'pg_dump',
    private readonly pgRestore = 'pg_restore',
  ) {}

  async dump(url: string, file: string): Promise<void> {
    try {
      await run(this.pgDump, ['--format=custom', '--no-password', `--file=${file}`, `--dbname=${url}`]);
    } catch (err) {
      if (err instanceof BackupError && err.message.includes('not found on PATH')) {
        throw new BackupError(`${err.message}; or back up without the database (--no-database) and dump it yourself with pg_dump --format=custom`);
      }
      throw err;
    }
  }

  restore(url: string, file: string): Promise<void> {
    // --no-owner/--no-privileges: the new database may belong to another role than the one that owned the old one.
    // --single-transaction: a failure leaves the database as empty as it was, not half restored.
    return run(this.pgRestore, ['--no-owner', '--no-privileges', '--single-transaction', '--exit-on-error', '--no-password', `--dbname=${url}`, file]);
  }
}

function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    child.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'ENOENT'
          ? new BackupError(`${cmd} was not found on PATH: install the PostgreSQL client programs of your server's major version (Debian: apt install postgresql-client)`)
          : err,
      );
    });
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new BackupError(`${cmd} failed (${signal ?? `exit code ${code}`}): ${redact(stderr.trim())}`));
    });
  });
}

/** pg tools may echo the connection string; never print a password. */
function redact(text: string): string {
  return text.replace(/(postgres(?:ql)?:\/\/[^:/@\s]*:)[^@\s]*@/g, '$1***@');
}
