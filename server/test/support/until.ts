/**
 * Waits for a condition the system reaches by itself (polling every 100 ms), failing after a generous time with
 * the last value seen. It proves an event happened; it never asserts that something did not.
 */
export async function until<T>(what: string, probe: () => Promise<T>, test: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (test(v)) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
