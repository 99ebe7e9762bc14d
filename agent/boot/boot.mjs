#!/usr/bin/env node
// The stable launcher of an installed Loa agent (issue 20): systemd runs `node <installDir>/boot.mjs`. It is never
// replaced by an over-the-air update, so it must stay plain JavaScript without dependencies that works with every
// release: it decides which release runs, and rolls back one that cannot prove itself healthy.
//
// It reads <installDir>/ota/state.json (written by the agent's OTA updater, agent/src/features/ota/). While a freshly
// installed release is `pending` (not yet confirmed healthy) it counts the boots of it; past `maxBoots` (a crash
// loop: systemd's Restart=always brings it back each time) or past the health `deadline`, or when the release itself
// asked for it (`failure`), it points `current` back at `previous` atomically and records `rolled-back` with the
// code (crashed / health-timeout) for the agent that then runs to report. While the pending release runs, a watchdog
// does the same at the deadline (a release that hangs instead of crashing) and asks the process to stop, so systemd
// starts the previous release.
//
// Then it sets LOA_AGENT_INSTALL_DIR and imports current/<manifest.entry> in this process, with the same argv.
import { readFileSync, readlinkSync, realpathSync, renameSync, symlinkSync, unlinkSync, writeFileSync, openSync, fsyncSync, closeSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const DEFAULT_MAX_BOOTS = 3;

const log = (msg) => process.stderr.write(`loa-agent boot: ${msg}\n`);

export const statePath = (installDir) => path.join(installDir, 'ota', 'state.json');

export function readState(installDir) {
  try {
    const s = JSON.parse(readFileSync(statePath(installDir), 'utf8'));
    return s && typeof s === 'object' && !Array.isArray(s) ? s : null;
  } catch {
    return null;
  }
}

/** Write a temporary file, fsync, rename: the agent reads the old state or the new one, never half of one. */
export function writeState(installDir, state) {
  const file = statePath(installDir);
  const tmp = `${file}.boot-${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state));
  const fd = openSync(tmp, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/** Points `link` at `target` atomically: a new symlink beside it, renamed over the old one. */
export function switchLink(installDir, link, target) {
  const tmp = path.join(installDir, `.${link}.boot-${process.pid}.tmp`);
  try {
    unlinkSync(tmp);
  } catch {
    // none left over
  }
  symlinkSync(target, tmp);
  renameSync(tmp, path.join(installDir, link));
}

const linkTarget = (installDir, link) => {
  try {
    return readlinkSync(path.join(installDir, link));
  } catch {
    return null;
  }
};

/** Back to `previous`, recorded in the state for the agent to report. Idempotent: only a pending update rolls back. */
export function rollBack(installDir, state, code, message) {
  const previous = linkTarget(installDir, 'previous');
  if (previous && previous !== linkTarget(installDir, 'current')) switchLink(installDir, 'current', previous);
  const next = { ...state, phase: 'rolled-back', error: { code, message: String(message).slice(0, 500) }, rolledBackAt: Date.now() };
  delete next.failure;
  writeState(installDir, next);
  log(`release ${state.version} rolled back to ${previous ?? '(no previous release)'}: ${code}: ${message}`);
  return next;
}

/**
 * What this boot does about the update in the state: nothing, count it, or roll it back. Returns the state to go on
 * with (also written) and, for a pending release that runs, the deadline of its watchdog.
 */
export function decide(installDir, now = Date.now()) {
  const state = readState(installDir);
  if (!state || state.phase !== 'pending') return { state, watchUntil: null };
  const boots = (Number.isInteger(state.boots) ? state.boots : 0) + 1;
  const maxBoots = Number.isInteger(state.maxBoots) && state.maxBoots > 0 ? state.maxBoots : DEFAULT_MAX_BOOTS;
  if (state.failure && typeof state.failure === 'object') {
    return { state: rollBack(installDir, state, state.failure.code ?? 'health-timeout', state.failure.message ?? 'the release found itself unhealthy'), watchUntil: null };
  }
  if (boots > maxBoots) {
    return { state: rollBack(installDir, { ...state, boots }, 'crashed', `release ${state.version} stopped ${boots - 1} times before it was confirmed healthy`), watchUntil: null };
  }
  if (typeof state.deadline === 'number' && now > state.deadline) {
    return { state: rollBack(installDir, { ...state, boots }, 'health-timeout', `release ${state.version} was not confirmed healthy by ${new Date(state.deadline).toISOString()}`), watchUntil: null };
  }
  const next = { ...state, boots };
  writeState(installDir, next);
  log(`release ${state.version} not yet confirmed healthy: boot ${boots} of ${maxBoots}`);
  return { state: next, watchUntil: typeof state.deadline === 'number' ? state.deadline : null };
}

/** The release directory to run and its entry file: `current`, or `previous` when `current` is unusable. */
export function resolveEntry(installDir) {
  for (const link of ['current', 'previous']) {
    try {
      const dir = realpathSync(path.join(installDir, link));
      const manifest = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
      const entry = typeof manifest.entry === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(manifest.entry) ? manifest.entry : 'cli.mjs';
      const file = path.join(dir, entry);
      readFileSync(file, { flag: 'r' }).length;
      if (link === 'previous') log(`current release unusable; running ${dir}`);
      return { dir, file, version: manifest.version };
    } catch {
      // try the next one
    }
  }
  return null;
}

/** Rolls back a pending release still unconfirmed at its deadline, then asks the agent to stop (systemd restarts). */
function armWatchdog(installDir, version, deadline) {
  const check = () => {
    const state = readState(installDir);
    if (!state || state.phase !== 'pending' || state.version !== version) return;
    if (Date.now() < state.deadline) {
      armWatchdog(installDir, version, state.deadline);
      return;
    }
    rollBack(installDir, state, 'health-timeout', `release ${version} was not confirmed healthy by ${new Date(state.deadline).toISOString()}`);
    process.kill(process.pid, 'SIGTERM');
    // A release that ignores SIGTERM still gives way.
    setTimeout(() => process.exit(1), 30_000);
  };
  setTimeout(check, Math.max(0, Math.min(deadline - Date.now() + 50, 2 ** 31 - 1))).unref();
}

/**
 * Exit code 2 is "bad configuration", which the unit does not restart (RestartPreventExitStatus=2): from a release
 * not yet confirmed it means the release refused a configuration the previous one ran with. Rolled back at once, and
 * the code made 1, so systemd starts the previous release.
 */
function refuseConfigExit(installDir, version) {
  process.on('exit', (code) => {
    if (code !== 2) return;
    const state = readState(installDir);
    if (!state || state.phase !== 'pending' || state.version !== version) return;
    rollBack(installDir, state, 'crashed', `release ${version} refused its configuration (exit code 2)`);
    process.exitCode = 1;
  });
}

export async function boot(installDir) {
  const { state, watchUntil } = decide(installDir);
  const release = resolveEntry(installDir);
  if (!release) {
    log(`no runnable release under ${installDir} (current, previous)`);
    process.exit(1);
  }
  process.env.LOA_AGENT_INSTALL_DIR = installDir;
  if (watchUntil !== null && state) {
    armWatchdog(installDir, state.version, watchUntil);
    refuseConfigExit(installDir, state.version);
  }
  await import(pathToFileURL(release.file).href);
}

if (process.argv[1] && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))) {
  const installDir = path.resolve(process.env.LOA_AGENT_INSTALL_DIR || path.dirname(fileURLToPath(import.meta.url)));
  boot(installDir).catch((err) => {
    log(`the release failed to load: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(1);
  });
}
