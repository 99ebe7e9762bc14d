import { readFileSync } from 'node:fs';

let version: string | null = null;

/** The server package's version (server/package.json, one level above src/ and dist/), read once. */
export function serverVersion(): string {
  if (version === null) {
    try {
      version = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? 'unknown';
    } catch {
      version = 'unknown';
    }
  }
  return version;
}
