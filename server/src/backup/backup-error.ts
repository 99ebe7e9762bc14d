/** A refusal or failure of backup/restore with a message meant for the operator; the CLI prints it and exits 1. */
export class BackupError extends Error {}

/** The operator-facing reason for a file-system error, with ENOSPC spelled out (its message alone is cryptic). */
export function describeFsError(err: unknown, doing: string): BackupError {
  if (err instanceof BackupError) return err;
  const e = err as NodeJS.ErrnoException;
  // SQLITE_FULL: the online backup's copy hit the full disk.
  if (e?.code === 'ENOSPC' || e?.code === 'SQLITE_FULL') return new BackupError(`no space left on the device while ${doing}: free some space or write to another disk; nothing was left behind`);
  if (e?.code === 'EDQUOT') return new BackupError(`disk quota exceeded while ${doing}; nothing was left behind`);
  if (e?.code === 'EACCES' || e?.code === 'EPERM') return new BackupError(`permission denied while ${doing} (${e.path ?? ''}): run as the user that owns the Loa data`);
  return new BackupError(`${doing} failed: ${e?.message ?? String(err)}`);
}
