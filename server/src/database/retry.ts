/** PostgreSQL's deadlock_detected and serialization_failure: the transaction was rolled back and may simply run again. */
const RETRYABLE = new Set(['40P01', '40001']);

export const isRetryableConflict = (err: unknown): boolean => {
  const code = (err as { code?: unknown; driverError?: { code?: unknown } } | null)?.code ?? (err as { driverError?: { code?: unknown } } | null)?.driverError?.code;
  return typeof code === 'string' && RETRYABLE.has(code);
};

/**
 * Runs a whole transaction again when PostgreSQL aborted it for a deadlock or a serialization conflict. Group
 * commits lock rows in key order so this should not happen among themselves; other writers (an operator's edit,
 * another server instance) may still collide, and a storm's batch must not be dropped for it.
 */
export async function retryOnConflict<T>(run: () => Promise<T>, attempts = 3): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await run();
    } catch (err) {
      if (i >= attempts || !isRetryableConflict(err)) throw err;
    }
  }
}
