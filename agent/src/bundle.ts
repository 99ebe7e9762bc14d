import { readFileSync, statSync } from 'node:fs';

/**
 * Whether the single-file build described by `manifest` (dist/loa-agent.json, written by agent/build.mjs) may run:
 * every build stamp it recorded (TypeScript build info, npm's lock of node_modules) still has the size and time it
 * had when the bundle was made. Anything else (no manifest, a stamp rewritten by a later `tsc -b` or `npm ci`, an
 * unreadable file) says no, and the compiled modules run instead.
 */
export function bundleIsCurrent(manifest: URL): boolean {
  try {
    const { inputs } = JSON.parse(readFileSync(manifest, 'utf8')) as { inputs?: Record<string, { size?: unknown; mtimeMs?: unknown }> };
    const stamps = Object.entries(inputs ?? {});
    if (stamps.length === 0) return false;
    for (const [file, recorded] of stamps) {
      const s = statSync(new URL(file, manifest));
      if (s.size !== recorded.size || s.mtimeMs !== recorded.mtimeMs) return false;
    }
    return true;
  } catch {
    return false;
  }
}
