import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (test/e2e/support → ../../..). */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const SERVER_MAIN = path.join(REPO_ROOT, 'server/dist/main.js');
export const AGENT_CLI = path.join(REPO_ROOT, 'agent/dist/cli.js');

/** test-artifacts/<suite>/ : process logs, screenshots, anything worth keeping after a failed run (git-ignored). */
export function artifactsDir(suite: string): string {
  const dir = path.join(REPO_ROOT, 'test-artifacts', suite);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A fresh temporary directory (data dirs, generated fixtures). */
export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), `loa-e2e-${prefix}-`));
}
