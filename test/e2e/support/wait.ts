export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Thrown from a waitFor predicate to stop waiting at once (e.g. the process being waited on has exited). */
export class WaitAborted extends Error {}

export interface WaitOptions {
  /** Poll period (default 250 ms). */
  intervalMs?: number;
  /** Named in the timeout error. */
  what?: string;
}

/**
 * Polls `predicate` until it returns a value other than undefined/false/null, or `timeoutMs` passes. Errors
 * thrown by the predicate count as "not yet" (a server that is still starting refuses connections); the last one
 * is quoted in the timeout error, so a failure says what was being waited for and what was seen.
 */
export async function waitFor<T>(
  predicate: () => T | Promise<T>,
  timeoutMs: number,
  opts: WaitOptions = {},
): Promise<Exclude<T, undefined | false | null>> {
  const deadline = Date.now() + timeoutMs;
  const interval = opts.intervalMs ?? 250;
  let last: unknown = undefined;
  let lastError: unknown = undefined;
  for (;;) {
    try {
      last = await predicate();
      lastError = undefined;
      if (last !== undefined && last !== false && last !== null) return last as Exclude<T, undefined | false | null>;
    } catch (err) {
      if (err instanceof WaitAborted) throw err;
      lastError = err;
    }
    if (Date.now() >= deadline) break;
    await sleep(Math.min(interval, Math.max(0, deadline - Date.now())));
  }
  const seen = lastError !== undefined ? `last error: ${lastError instanceof Error ? lastError.message : String(lastError)}` : `last value: ${safeJson(last)}`;
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what ?? 'condition'} (${seen})`);
}

function safeJson(v: unknown): string {
  try {
    const s = JSON.stringify(v);
    return s === undefined ? String(v) : s.length > 2000 ? `${s.slice(0, 2000)}…` : s;
  } catch {
    return String(v);
  }
}

/** `p`, or null if it has not settled within `ms`; the timer is cleared either way (no handle left for Jest). */
export async function within<T>(p: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
