import { mkdir, readdir, rm, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { OTA_TERMINAL_STATES, PROTOCOL_VERSION, type OtaDeviceState, type OtaErrorCode } from '@loa/shared';
import type { Logger } from 'pino';
import type { Clock, TimerHandle } from '../../clock.js';
import { errorMessage } from '../../fsutil.js';
import { CommandRejectedError } from '../commands/commands.js';
import { downloadOnce, sha256OfFile, type OtaFetch } from './download.js';
import type { InstallLayout } from './layout.js';
import { checkSignature, unpackRelease, unpackedSize } from './release-package.js';
import { isOver, OtaError, type OtaReport, type OtaState, type UpdateCommand } from './state.js';

export interface UpdaterOptions {
  layout: InstallLayout;
  /** Pinned release keys: the only signatures a package may carry. */
  releaseKeys: readonly string[];
  /** The release this process runs (AGENT_VERSION). */
  runningVersion: string;
  serverUrl: string;
  /** The device's HTTP credentials (Basic), as media downloads use them. */
  authorization: string;
  /** Server time: reports' `at`. */
  clock: Clock;
  /** The device's own clock: the health deadline boot.mjs compares with Date.now(). */
  localClock: Clock;
  logger: Logger;
  fetch: OtaFetch;
  freeSpace: (dir: string) => Promise<number>;
  /** Free space an update must leave (the outbox, timeline and logs need room too). */
  reserveBytes: number;
  /** Publishes on `ota`; false when offline (the report is kept and sent after the next connect). */
  publish: (report: OtaReport) => Promise<boolean>;
  /** Why installing now would disturb playback (a slot playing or about to start), or null. */
  busy: () => string | null;
  /** Stops the agent cleanly and exits, so the service manager starts it again (into `current`). */
  restart: () => void;
  /** Starts of an unconfirmed release before boot.mjs calls it a crash loop (default 3). */
  maxBoots?: number;
  /** Waits between download attempts (default 1, 5, 15, 30, 60 s); each attempt resumes where the last stopped. */
  retryDelaysMs?: readonly number[];
  /** How often a deferred update looks again for a gap (default 5 s). */
  deferPollMs?: number;
  /** At most one `downloading` report this often (default 5 s). */
  progressEveryMs?: number;
}

const DEFAULT_RETRY_DELAYS_MS = [1000, 5000, 15_000, 30_000, 60_000];
const TERMINAL: readonly OtaDeviceState[] = OTA_TERMINAL_STATES;

class Stopped extends Error {
  constructor() {
    super('the agent is stopping');
  }
}

/**
 * Takes an offered release from `update` to `installed` (issue 20): defers while playback would be disturbed,
 * downloads with resume, checks hash and signature against the pinned keys, unpacks and checks the release, switches
 * `current` atomically and restarts into it. The release then confirms its own health (confirmHealthy) or gives up
 * (giveUp), and boot.mjs rolls back one that never does. Every step is reported on `ota`; the latest report is kept
 * in the state and sent again after each reconnect until the update is over and its last report reached the broker.
 */
export class Updater {
  private state: OtaState | null = null;
  private job: Promise<void> | null = null;
  private readonly abort = new AbortController();
  private writes: Promise<void> = Promise.resolve();
  private lastProgressAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly opts: UpdaterOptions) {}

  /** The update this device holds (tests, health check). */
  get current(): OtaState | null {
    return this.state;
  }

  /** A pending release that is this one: it must now prove itself healthy before `deadline` (device clock). */
  get pendingHealth(): { version: string; deadline: number } | null {
    const s = this.state;
    return s && s.phase === 'pending' && s.version === this.opts.runningVersion && s.deadline !== undefined ? { version: s.version, deadline: s.deadline } : null;
  }

  /** Reads the state: resumes an interrupted update, turns boot.mjs's rollback into a report. */
  async start(): Promise<void> {
    const { layout, logger, runningVersion } = this.opts;
    const s = await layout.readState();
    this.state = s;
    if (!s) return;
    if (s.phase === 'working') {
      logger.info({ version: s.version }, 'resuming the update interrupted by the last stop');
      this.run(s.command);
    } else if (s.phase === 'pending' && s.version !== runningVersion) {
      // Pending but not running: the agent stopped between writing the state and switching `current`.
      await this.fail('install-failed', `the agent stopped while installing ${s.version}; ${runningVersion} still runs`);
    } else if (s.phase === 'rolled-back' && s.report?.state !== 'rolled-back') {
      const error = s.error ?? { code: 'crashed' as const, message: 'rolled back by the launcher' };
      logger.error({ version: s.version, running: runningVersion, error }, 'the update was rolled back');
      await this.report('rolled-back', { error: { code: error.code, message: error.message.slice(0, 500) } });
    }
  }

  /** Sends the latest report again (after a reconnect) unless the update is over and that was said. */
  async resend(): Promise<void> {
    const s = this.state;
    if (!s?.report || s.reported) return;
    await this.send(s.report);
  }

  /**
   * The `update` command: accepted (the update then runs on its own) or refused with a CommandRejectedError. An
   * offer of the update already under way is accepted again without starting anything.
   */
  async offer(command: UpdateCommand): Promise<Record<string, string>> {
    const { runningVersion, releaseKeys } = this.opts;
    const { version } = command.release;
    const s = this.state;
    if (s && !isOver(s)) {
      if (s.command.rolloutId === command.rolloutId && s.version === version) return { accepted: 'true', state: s.report?.state ?? 'accepted' };
      throw new CommandRejectedError(`another update is in progress (release ${s.version}, rollout ${s.command.rolloutId})`);
    }
    if (version === runningVersion) throw new CommandRejectedError(`release ${version} is already running`);
    if (releaseKeys.length === 0) throw new CommandRejectedError('no release keys are pinned (releaseKeys / LOA_AGENT_RELEASE_KEYS): this agent installs nothing');
    this.state = { format: 1, phase: 'working', command, version, fromVersion: runningVersion };
    this.lastProgressAt = Number.NEGATIVE_INFINITY;
    await this.report('accepted');
    this.run(command);
    return { accepted: 'true', state: 'accepted' };
  }

  /** The pending release (this one) is healthy: confirmed, its download and releases older than `previous` deleted. */
  async confirmHealthy(): Promise<void> {
    const s = this.state;
    if (!s || s.phase !== 'pending') return;
    this.state = { ...s, phase: 'healthy' };
    delete this.state.deadline;
    await this.report('healthy');
    await this.clearDownloads();
    const removed = await this.opts.layout.pruneReleases().catch((err: unknown) => {
      this.opts.logger.warn({ err: errorMessage(err) }, 'old releases not deleted');
      return [];
    });
    this.opts.logger.info({ version: s.version, removed }, 'release confirmed healthy');
  }

  /** The pending release (this one) failed its health check: boot.mjs rolls back at the restart that follows. */
  async giveUp(code: OtaErrorCode, message: string): Promise<void> {
    const s = this.state;
    if (!s || s.phase !== 'pending') return;
    this.state = { ...s, failure: { code, message: message.slice(0, 500) } };
    await this.persist();
    this.opts.logger.error({ version: s.version, code, message }, 'release not healthy; restarting into the previous one');
    this.opts.restart();
  }

  /** Ends the job at its next step; the update resumes at the next start. */
  async stop(): Promise<void> {
    this.abort.abort(new Stopped());
    await this.job?.catch(() => undefined);
    await this.writes;
  }

  private run(command: UpdateCommand): void {
    this.job = this.install(command).catch(async (err: unknown) => {
      if (err instanceof Stopped || this.abort.signal.aborted) return;
      const code: OtaErrorCode = err instanceof OtaError ? err.code : 'install-failed';
      await this.fail(code, errorMessage(err));
    });
  }

  private async install(command: UpdateCommand): Promise<void> {
    const { layout, logger } = this.opts;
    const { release } = command;
    const log = logger.child({ version: release.version, rolloutId: command.rolloutId });
    await this.waitForGap();
    const file = await this.download(command);
    this.checkStopped();
    const measured = { sha256: await sha256OfFile(file), size: release.size };
    if (measured.sha256 !== release.sha256) {
      await unlink(file).catch(() => undefined);
      throw new OtaError('hash-mismatch', `the downloaded package has sha256 ${measured.sha256}, not ${release.sha256}`);
    }
    const kid = checkSignature(command, measured, this.opts.releaseKeys);
    log.info({ kid }, 'release package downloaded and its signature verified');
    await this.report('downloaded', { progress: { bytes: release.size, total: release.size } });
    await this.waitForGap();
    this.checkStopped();
    await this.report('installing');
    const needed = await unpackedSize(file).catch((err: unknown) => {
      throw err instanceof OtaError ? err : new OtaError('bad-package', `not a release package: ${errorMessage(err)}`);
    });
    await this.ensureFree(needed, 'unpack');
    const manifest = await unpackRelease(layout, file, release.version);
    this.checkStopped();
    // Never restart into a slot: the last look before the switch.
    await this.waitForGap();
    const s = this.state;
    if (!s) return;
    // The state first: a stop between the two leaves `current` on the old release, which then reports the failure.
    this.state = { ...s, phase: 'pending', deadline: this.opts.localClock.now() + command.healthTimeoutS * 1000, boots: 0, maxBoots: this.opts.maxBoots ?? 3 };
    await this.persist();
    await layout.activate(release.version);
    log.info({ entry: manifest.entry }, 'release installed; restarting into it');
    await this.report('installed');
    this.opts.restart();
  }

  /** Resumable download into ota/downloads/; resolves with the complete file (not yet checked). */
  private async download(command: UpdateCommand): Promise<string> {
    const { release } = command;
    const file = join(this.opts.layout.downloadsDir, `loa-agent-${release.version}-${release.sha256.slice(0, 16)}.tar.gz.part`);
    const delays = this.opts.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    const url = `${this.opts.serverUrl}${release.path}`;
    await mkdir(this.opts.layout.downloadsDir, { recursive: true });
    const have = await stat(file).then((st) => st.size, () => 0);
    await this.ensureFree(release.size - Math.min(have, release.size), 'the download');
    this.lastProgressAt = this.opts.localClock.now();
    await this.report('downloading', { progress: { bytes: Math.min(have, release.size), total: release.size } });
    for (let attempt = 0; ; attempt++) {
      this.checkStopped();
      try {
        const have = await downloadOnce({
          url,
          file,
          size: release.size,
          authorization: this.opts.authorization,
          fetch: this.opts.fetch,
          signal: this.abort.signal,
          onProgress: (bytes) => void this.progress(bytes, release.size),
        }).catch(async (err: unknown) => {
          throw this.abort.signal.aborted ? new Stopped() : err;
        });
        if (have === release.size) return file;
        throw new Error(`the download ended after ${have} of ${release.size} bytes`);
      } catch (err) {
        if (err instanceof OtaError || err instanceof Stopped) throw err;
        const wait = delays[attempt];
        if (wait === undefined) throw new OtaError('download-failed', `${errorMessage(err)} (after ${attempt + 1} attempts)`);
        this.opts.logger.warn({ err: errorMessage(err), attempt: attempt + 1, retryInMs: wait }, 'release download interrupted; resuming later');
        await this.pause(wait);
      }
    }
  }

  private async progress(bytes: number, total: number): Promise<void> {
    const now = this.opts.localClock.now();
    if (bytes < total && now - this.lastProgressAt < (this.opts.progressEveryMs ?? 5000)) return;
    this.lastProgressAt = now;
    await this.report('downloading', { progress: { bytes, total } }, { persist: false });
  }

  /** Before the first byte and before each part of the install: defers while playback would be disturbed. */
  private async waitForGap(): Promise<void> {
    let said = false;
    for (;;) {
      this.checkStopped();
      const why = this.opts.busy();
      if (!why) return;
      if (!said) {
        this.opts.logger.info({ why }, 'update deferred until playback leaves a gap');
        await this.report('deferred');
        said = true;
      }
      await this.pause(this.opts.deferPollMs ?? 5000);
    }
  }

  private async ensureFree(bytes: number, what: string): Promise<void> {
    const free = await this.opts.freeSpace(this.opts.layout.dir).catch(() => Number.POSITIVE_INFINITY);
    if (free - this.opts.reserveBytes < bytes) {
      throw new OtaError('disk-full', `${what} needs ${bytes} bytes; ${free} free in ${this.opts.layout.dir} and ${this.opts.reserveBytes} kept in reserve`);
    }
  }

  private async fail(code: OtaErrorCode, message: string): Promise<void> {
    const s = this.state;
    if (!s) return;
    this.opts.logger.error({ version: s.version, code, err: message }, 'update failed; the running release is untouched');
    this.state = { ...s, phase: 'failed', error: { code, message: message.slice(0, 500) } };
    await rm(`${this.opts.layout.releaseDir(s.version)}.tmp`, { recursive: true, force: true }).catch(() => undefined);
    await this.report('failed', { error: { code, message: message.slice(0, 500) } });
  }

  private async clearDownloads(): Promise<void> {
    const dir = this.opts.layout.downloadsDir;
    for (const name of await readdir(dir).catch(() => [] as string[])) await unlink(join(dir, name)).catch(() => undefined);
  }

  /** Records `state` as the latest report (on disk unless told otherwise) and publishes it. */
  private async report(state: OtaDeviceState, extra: Pick<OtaReport, 'progress' | 'error'> = {}, how: { persist?: boolean } = {}): Promise<void> {
    const s = this.state;
    if (!s) return;
    const report: OtaReport = {
      v: PROTOCOL_VERSION,
      rolloutId: s.command.rolloutId,
      releaseId: s.command.release.id,
      version: s.version,
      state,
      at: this.opts.clock.now(),
      running: this.opts.runningVersion,
      ...extra,
    };
    this.state = { ...s, report, reported: false };
    if (how.persist !== false) await this.persist();
    await this.send(report);
  }

  private async send(report: OtaReport): Promise<void> {
    const sent = await this.opts.publish(report).catch(() => false);
    if (!sent || !TERMINAL.includes(report.state)) return;
    const s = this.state;
    // Said, and the update is over: nothing to send after the next reconnect.
    if (s?.report === report) {
      this.state = { ...s, reported: true };
      await this.persist();
    }
  }

  /** State writes in the order they were made. */
  private persist(): Promise<void> {
    const snapshot = this.state;
    this.writes = this.writes.then(async () => {
      if (snapshot) await this.opts.layout.writeState(snapshot).catch((err: unknown) => this.opts.logger.error({ err: errorMessage(err) }, 'OTA state not saved'));
    });
    return this.writes;
  }

  private checkStopped(): void {
    if (this.abort.signal.aborted) throw new Stopped();
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      // Stopped while the step before was still under way: the abort event has already gone.
      if (this.abort.signal.aborted) {
        reject(new Stopped());
        return;
      }
      let timer: TimerHandle | null = null;
      const onAbort = () => {
        this.opts.clock.clearTimer(timer);
        reject(new Stopped());
      };
      timer = this.opts.clock.setTimer(() => {
        this.abort.signal.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      this.abort.signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
