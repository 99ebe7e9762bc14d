import { Inject, Injectable, Optional, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { PRACTICE_SECRET_HEADER, PRACTICE_SEED_PATH } from '@loa/shared/rest';
import { AppConfig } from '../config/app-config.js';
import { Clock } from '../common/clock.js';
import { randomToken } from '../common/ids.js';
import { badRequest, conflict, forbidden, LoaError, tooMany } from '../common/loa-error.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { signAssertion } from '../auth/practice-assertion.js';
import {
  PracticeSandboxes,
  SANDBOX_ID_PATTERN,
  type PracticeSeedSpec,
  type SandboxActor,
  type SandboxConnection,
  type SandboxId,
  type SandboxResponse,
  type SandboxState,
  type SandboxStatus,
} from './practice-sandboxes.js';
import { PracticeSandboxesRepository } from './practice-sandboxes.repository.js';
import { PracticeSeedRepository } from './practice-seed.repository.js';

/** The server entry a practice instance runs: the same build as this server (server/dist/main.js). */
export const PRACTICE_SERVER_ENTRY = Symbol('PRACTICE_SERVER_ENTRY');
export const defaultServerEntry = (): string => path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist/main.js');

/** A practice instance has this long to say "Loa server started" (migrations of a new SQLite database, ~2 s). */
const START_TIMEOUT_MS = 60_000;
/** A stopped instance has this long to close before it is killed. */
const STOP_GRACE_MS = 10_000;
/** Crashes restarted in a row before the sandbox is marked failed (the next `ensure` tries again). */
const MAX_RESTARTS = 5;
/** How often running sandboxes are checked for idleness and their rows refreshed (per process, not a leader job). */
const SWEEP_MS = 30_000;
/** A row not refreshed for this long belongs to an instance that died: another may take the sandbox over. */
const STALE_MS = 3 * 60_000;
/** Marker written once the seed was accepted: a data directory without it is seeded again at the next start. */
const SEEDED_MARKER = 'seeded';

/**
 * Settings a practice instance inherits from the main server's environment: how media, speech and schedules behave.
 * Nothing outward (the practice instance's config refuses those anyway) and no file that could hold them.
 */
const INHERITED = /^LOA_(TIMEZONE|AUDIO_\w+|LOUDNESS_\w+|MEDIA_CONCURRENCY|MAX_UPLOAD_MB|MAX_AUDIO_MINUTES|TTS_\w+|OFFICER_MAY_SCHEDULE|APPROVAL_RULES_DEFAULT|ALERT_LEAD_MS|SCHEDULE_PAST_TOLERANCE_S|TIMELINE_HORIZON_DAYS|COMMAND_TTL_S|DASHBOARD_DIR)$/;
const PROCESS_ENV = /^(PATH|HOME|TMPDIR|TMP|TEMP|LANG|LC_\w+|TZ|SYSTEMROOT)$/;

interface Sandbox {
  readonly id: SandboxId;
  state: SandboxState;
  child: ChildProcess | null;
  httpPort: number | null;
  mqttPort: number | null;
  /** Per start: the practice instance believes assertions signed with it; never stored. */
  secret: string;
  startedAt: number | null;
  lastUsedAt: number | null;
  restarts: number;
  seed: PracticeSeedSpec;
  /** The start in progress; callers wait on it. */
  starting: Promise<void> | null;
  stopping: boolean;
  stderrTail: string[];
}

/**
 * PracticeSandboxes as child processes: each sandbox is `node server/dist/main.js` with LOA_PRACTICE_MODE=1, its own
 * data directory `<LOA_DATA_DIR>/practice/<sandboxId>/` (SQLite, media, signing key), HTTP and embedded MQTT on
 * 127.0.0.1 at ports the OS picks (read back from its "Loa server started" log line). Supervised: restarted after a
 * crash, stopped when idle, all stopped with this server.
 */
@Injectable()
export class ChildProcessSandboxes extends PracticeSandboxes implements OnModuleInit, OnModuleDestroy {
  private readonly sandboxes = new Map<SandboxId, Sandbox>();
  private sweeper: NodeJS.Timeout | null = null;
  private closing = false;

  constructor(
    private readonly config: AppConfig,
    private readonly clock: Clock,
    private readonly repo: PracticeSandboxesRepository,
    private readonly seeds: PracticeSeedRepository,
    @Inject(LOGGER) private readonly logger: AppLogger,
    @Optional() @Inject(PRACTICE_SERVER_ENTRY) private readonly entry: string = defaultServerEntry(),
  ) {
    super();
  }

  onModuleInit(): void {
    // Per process on purpose: the sandboxes are this process's own children, so not a leader-gated job (jobs/).
    this.sweeper = setInterval(() => void this.sweep().catch((e: unknown) => this.logger.warn({ ctx: 'practice', err: (e as Error).message }, 'practice sweep failed')), SWEEP_MS);
    this.sweeper.unref();
  }

  async onModuleDestroy(): Promise<void> {
    this.closing = true;
    if (this.sweeper) clearInterval(this.sweeper);
    await Promise.all([...this.sandboxes.keys()].map((id) => this.stop(id).catch(() => undefined)));
  }

  async ensure(sandboxId: SandboxId, seed: PracticeSeedSpec): Promise<SandboxStatus> {
    const box = await this.running(sandboxId, seed);
    return this.view(box);
  }

  async reset(sandboxId: SandboxId, seed?: PracticeSeedSpec): Promise<SandboxStatus> {
    this.checkId(sandboxId);
    const known = this.sandboxes.get(sandboxId)?.seed;
    await this.stop(sandboxId);
    await rm(this.dataDirOf(sandboxId), { recursive: true, force: true });
    return this.ensure(sandboxId, seed ?? known ?? { areaCode: null, memberUserIds: [] });
  }

  async stop(sandboxId: SandboxId): Promise<void> {
    this.checkId(sandboxId);
    const box = this.sandboxes.get(sandboxId);
    if (!box) return;
    box.stopping = true;
    await box.starting?.catch(() => undefined);
    const child = box.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      box.state = 'stopping';
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    }
    this.sandboxes.delete(sandboxId);
    const now = this.clock.now();
    await this.repo
      .save({ sandboxId, instanceId: null, state: 'stopped', httpPort: null, startedAt: box.startedAt, lastUsedAt: box.lastUsedAt, updatedAt: now })
      .catch((e: unknown) => this.logger.warn({ ctx: 'practice', sandboxId, err: (e as Error).message }, 'could not record the stopped sandbox'));
    this.logger.info({ ctx: 'practice', sandboxId }, 'practice sandbox stopped');
  }

  async request(sandboxId: SandboxId, asUser: SandboxActor, method: string, apiPath: string, body?: unknown): Promise<SandboxResponse> {
    const box = await this.running(sandboxId, this.sandboxes.get(sandboxId)?.seed ?? { areaCode: null, memberUserIds: [] });
    if (!apiPath.startsWith('/api/')) throw badRequest('http.bad-request', { detail: 'a sandbox path starts with /api/' });
    const res = await fetch(`http://127.0.0.1:${box.httpPort}${apiPath}`, {
      method,
      headers: { authorization: `Bearer ${signAssertion(box.secret, asUser.username, this.clock.now())}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    let parsed: unknown = text;
    if ((res.headers.get('content-type') ?? '').includes('json') && text !== '') {
      try {
        parsed = JSON.parse(text) as unknown;
      } catch {
        parsed = text;
      }
    }
    return { status: res.status, body: parsed };
  }

  async status(sandboxId: SandboxId): Promise<SandboxStatus> {
    this.checkId(sandboxId);
    const box = this.sandboxes.get(sandboxId);
    if (box) return this.view(box);
    const row = await this.repo.find(sandboxId);
    return {
      sandboxId,
      state: row && row.instanceId !== null && row.updatedAt > this.clock.now() - STALE_MS ? (row.state as SandboxState) : 'stopped',
      instanceId: row?.instanceId ?? null,
      httpPort: null,
      mqttPort: null,
      startedAt: row?.startedAt ? new Date(row.startedAt).toISOString() : null,
      lastUsedAt: row?.lastUsedAt ? new Date(row.lastUsedAt).toISOString() : null,
      restarts: 0,
    };
  }

  async connect(sandboxId: SandboxId, seed: PracticeSeedSpec, asUser: SandboxActor): Promise<SandboxConnection> {
    const box = await this.running(sandboxId, seed);
    return { httpPort: box.httpPort!, assertion: signAssertion(box.secret, asUser.username, this.clock.now()) };
  }

  /** The running sandbox (started, and seeded when new, if need be), marked as used now. */
  private async running(sandboxId: SandboxId, seed: PracticeSeedSpec): Promise<Sandbox> {
    this.checkId(sandboxId);
    if (this.config.practice.maxSandboxes === 0) throw forbidden('practice.disabled');
    if (this.closing) throw new LoaError(503, 'practice.unavailable', { detail: 'the server is shutting down' });
    let box = this.sandboxes.get(sandboxId);
    if (box) box.seed = seed;
    if (!box) {
      const active = [...this.sandboxes.values()].filter((b) => b.state !== 'stopped' && b.state !== 'failed').length;
      if (active >= this.config.practice.maxSandboxes) throw tooMany('practice.too-many-sandboxes', { max: this.config.practice.maxSandboxes });
      // Reserved before anything is awaited, so two first requests for one sandbox start it once.
      const b: Sandbox = {
        id: sandboxId,
        state: 'starting',
        child: null,
        httpPort: null,
        mqttPort: null,
        secret: '',
        startedAt: null,
        lastUsedAt: null,
        restarts: 0,
        seed,
        starting: null,
        stopping: false,
        stderrTail: [],
      };
      box = b;
      this.sandboxes.set(sandboxId, b);
      b.starting = (async () => {
        const now = this.clock.now();
        const claim = await this.repo.claim(sandboxId, this.config.instanceId, now, now - STALE_MS);
        if (!claim.claimed) throw conflict('practice.elsewhere', { instance: claim.holder ?? '?' });
        await this.start(b);
      })()
        .catch((e: unknown) => {
          b.state = 'failed';
          throw e;
        })
        .finally(() => {
          b.starting = null;
        });
    } else if (box.state === 'failed' && !box.starting) {
      const b = box;
      b.restarts = 0;
      b.stopping = false;
      b.starting = this.start(b)
        .catch((e: unknown) => {
          b.state = 'failed';
          throw e;
        })
        .finally(() => {
          b.starting = null;
        });
    }
    try {
      await box.starting;
    } catch (e) {
      if (box.state !== 'ready') {
        // A sandbox that could not start holds no slot.
        if (this.sandboxes.get(sandboxId) === box && box.restarts === 0) this.sandboxes.delete(sandboxId);
        throw e;
      }
    }
    if (box.state !== 'ready' || box.httpPort === null) throw new LoaError(503, 'practice.unavailable', { detail: `state ${box.state}` });
    box.lastUsedAt = this.clock.now();
    return box;
  }

  private async start(box: Sandbox): Promise<void> {
    const dataDir = this.dataDirOf(box.id);
    await mkdir(dataDir, { recursive: true });
    const fresh = !existsSync(path.join(dataDir, SEEDED_MARKER));
    box.secret = randomToken(32);
    box.stderrTail = [];
    box.state = box.restarts > 0 ? 'restarting' : 'starting';
    const child = spawn(process.execPath, [this.entry], { env: this.envFor(box, dataDir), stdio: ['ignore', 'pipe', 'pipe'] });
    box.child = child;
    const ports = await new Promise<{ httpPort: number; mqttPort: number | null }>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new LoaError(503, 'practice.unavailable', { detail: `not ready after ${START_TIMEOUT_MS / 1000} s` }));
      }, START_TIMEOUT_MS);
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(new LoaError(503, 'practice.unavailable', { detail: err.message }));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new LoaError(503, 'practice.unavailable', { detail: `exited (${code ?? signal}) ${box.stderrTail.slice(-3).join(' | ')}`.trim() }));
      });
      createInterface({ input: child.stdout! }).on('line', (line) => {
        const entry = parseLogLine(line);
        if (entry === null) return;
        if (typeof entry.msg === 'string' && entry.msg.startsWith('Loa server started') && typeof entry.httpPort === 'number') {
          clearTimeout(timer);
          resolve({ httpPort: entry.httpPort, mqttPort: typeof entry.mqttPort === 'number' ? entry.mqttPort : null });
        } else if (typeof entry.level === 'number' && entry.level >= 50) {
          this.logger.warn({ ctx: 'practice', sandboxId: box.id, child: entry.msg }, 'practice instance logged an error');
        }
      });
      createInterface({ input: child.stderr! }).on('line', (line) => {
        box.stderrTail.push(line.slice(0, 300));
        if (box.stderrTail.length > 20) box.stderrTail.shift();
      });
    });
    child.removeAllListeners('exit');
    child.once('exit', (code, signal) => this.exited(box, child, code, signal));
    box.httpPort = ports.httpPort;
    box.mqttPort = ports.mqttPort;
    if (fresh) {
      const payload = await this.seeds.build(box.seed);
      const res = await fetch(`http://127.0.0.1:${ports.httpPort}${PRACTICE_SEED_PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [PRACTICE_SECRET_HEADER]: box.secret },
        body: JSON.stringify(payload),
      });
      if (!res.ok) {
        const detail = `seed refused (${res.status}): ${(await res.text()).slice(0, 200)}`;
        box.stopping = true;
        child.kill('SIGKILL');
        box.state = 'failed';
        throw new LoaError(503, 'practice.unavailable', { detail });
      }
      await writeFile(path.join(dataDir, SEEDED_MARKER), new Date(this.clock.now()).toISOString());
    }
    const now = this.clock.now();
    box.state = 'ready';
    box.startedAt = now;
    box.lastUsedAt = now;
    await this.repo.save({ sandboxId: box.id, instanceId: this.config.instanceId, state: 'ready', httpPort: ports.httpPort, startedAt: now, lastUsedAt: now, updatedAt: now });
    this.logger.info({ ctx: 'practice', sandboxId: box.id, httpPort: ports.httpPort, mqttPort: ports.mqttPort, seeded: fresh }, 'practice sandbox ready');
  }

  /** A crash (not a stop): started again, up to MAX_RESTARTS in a row. */
  private exited(box: Sandbox, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (box.child !== child || box.stopping || this.closing) return;
    this.logger.warn({ ctx: 'practice', sandboxId: box.id, code, signal, stderr: box.stderrTail.slice(-5) }, 'practice instance exited; restarting it');
    box.httpPort = null;
    box.mqttPort = null;
    if (box.restarts >= MAX_RESTARTS) {
      box.state = 'failed';
      return;
    }
    box.restarts++;
    box.starting = this.start(box)
      .catch((e: unknown) => {
        box.state = 'failed';
        this.logger.error({ ctx: 'practice', sandboxId: box.id, err: (e as Error).message }, 'practice instance did not restart');
      })
      .finally(() => {
        box.starting = null;
      });
  }

  private async sweep(): Promise<void> {
    const now = this.clock.now();
    const idle = [...this.sandboxes.values()].filter((b) => b.state === 'ready' && !b.starting && b.lastUsedAt !== null && now - b.lastUsedAt > this.config.practice.idleMs);
    for (const b of idle) {
      this.logger.info({ ctx: 'practice', sandboxId: b.id, idleMinutes: Math.round((now - b.lastUsedAt!) / 60_000) }, 'stopping an idle practice sandbox');
      await this.stop(b.id);
    }
    await this.repo.touch([...this.sandboxes.keys()], this.config.instanceId, now);
  }

  private envFor(box: Sandbox, dataDir: string): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && (PROCESS_ENV.test(k) || INHERITED.test(k))) env[k] = v;
    return {
      ...env,
      LOA_PRACTICE_MODE: '1',
      LOA_PRACTICE_SECRET: box.secret,
      LOA_DATA_DIR: dataDir,
      LOA_HTTP_HOST: '127.0.0.1',
      LOA_HTTP_PORT: '0',
      LOA_MQTT_HOST: '127.0.0.1',
      LOA_MQTT_PORT: '0',
      LOA_LOG_LEVEL: 'info',
      LOA_TIMEZONE: this.config.timezone,
      LOA_INSTANCE_ID: `practice-${box.id}`.slice(0, 64),
      // Nobody signs in with it: the practice instance believes only assertions. Random so it is never a known one.
      LOA_ADMIN_PASSWORD: randomToken(24),
      LOA_PRACTICE_MAX_SANDBOXES: '0',
    };
  }

  private dataDirOf(sandboxId: SandboxId): string {
    return path.join(this.config.dataDir, 'practice', sandboxId);
  }

  private checkId(sandboxId: SandboxId): void {
    if (!SANDBOX_ID_PATTERN.test(sandboxId)) throw badRequest('practice.bad-sandbox-id', { id: String(sandboxId).slice(0, 80) });
  }

  private view(box: Sandbox): SandboxStatus {
    return {
      sandboxId: box.id,
      state: box.state,
      instanceId: this.config.instanceId,
      httpPort: box.httpPort,
      mqttPort: box.mqttPort,
      startedAt: box.startedAt === null ? null : new Date(box.startedAt).toISOString(),
      lastUsedAt: box.lastUsedAt === null ? null : new Date(box.lastUsedAt).toISOString(),
      restarts: box.restarts,
    };
  }
}

function parseLogLine(line: string): Record<string, unknown> | null {
  if (!line.startsWith('{')) return null;
  try {
    const v = JSON.parse(line) as unknown;
    return typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
