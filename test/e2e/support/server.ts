import { Api, type Health } from './api.js';
import { artifactsDir, SERVER_MAIN, tempDir } from './paths.js';
import { freePorts } from './ports.js';
import { ManagedProcess } from './processes.js';
import { WaitAborted, waitFor } from './wait.js';

export const ADMIN_USERNAME = 'admin';
export const ADMIN_PASSWORD = 'e2e-admin-password';

export interface ServerOptions {
  /** Folder under test-artifacts/ for the logs. */
  suite: string;
  /** Log file base name (default "server"); give restarts their own name to keep both logs. */
  name?: string;
  dataDir?: string;
  httpPort?: number;
  mqttPort?: number;
  /** Extra or overriding LOA_* settings. */
  env?: Record<string, string>;
  /** How long to wait for /api/health (default 60 s). */
  readyTimeoutMs?: number;
}

export interface TestServer {
  readonly proc: ManagedProcess;
  readonly httpPort: number;
  readonly mqttPort: number;
  readonly baseUrl: string;
  readonly mqttUrl: string;
  readonly dataDir: string;
  /** Logged-in admin client. */
  readonly api: Api;
  health(): Promise<Health>;
  /** SIGTERM, then SIGKILL after a grace period. */
  stop(): Promise<void>;
  /** The options that start this same server again (same data dir and ports). */
  readonly options: ServerOptions & { dataDir: string; httpPort: number; mqttPort: number };
}

/** Environment for a child: the test's own environment minus any LOA_* that could leak in, plus `loa`. */
export function childEnv(loa: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('LOA_') && !k.startsWith('NODE_OPTIONS')) env[k] = v;
  return { ...env, ...loa };
}

/** Starts `node server/dist/main.js` without waiting for it (for start-up failure tests). */
export function launchServer(opts: ServerOptions & { dataDir: string; httpPort: number; mqttPort: number }): ManagedProcess {
  const env = childEnv({
    LOA_HTTP_HOST: '127.0.0.1',
    LOA_HTTP_PORT: String(opts.httpPort),
    LOA_MQTT_HOST: '127.0.0.1',
    LOA_MQTT_PORT: String(opts.mqttPort),
    LOA_DATA_DIR: opts.dataDir,
    LOA_ADMIN_USERNAME: ADMIN_USERNAME,
    LOA_ADMIN_PASSWORD: ADMIN_PASSWORD,
    LOA_LOG_LEVEL: 'info',
    // The suites predate approval rules (issue 7) and expect sends to go out at once; opt in with env to test them.
    LOA_APPROVAL_RULES_DEFAULT: 'permissive',
    ...opts.env,
  });
  return new ManagedProcess(opts.name ?? 'server', process.execPath, [SERVER_MAIN], { env, logDir: artifactsDir(opts.suite) });
}

/**
 * Starts the real server process on free ephemeral ports (127.0.0.1 only) with its own data dir and SQLite, and
 * resolves once GET /api/health answers ok and the admin can log in. Fails fast, quoting the server's log, if the
 * process exits first.
 */
export async function spawnServer(opts: ServerOptions): Promise<TestServer> {
  let httpPort = opts.httpPort;
  let mqttPort = opts.mqttPort;
  if (httpPort === undefined || mqttPort === undefined) {
    const [a, b] = await freePorts(2);
    httpPort ??= a!;
    mqttPort ??= b === httpPort ? a! : b!;
  }
  const full = { ...opts, dataDir: opts.dataDir ?? tempDir('server'), httpPort, mqttPort };
  const proc = launchServer(full);
  const baseUrl = `http://127.0.0.1:${httpPort}`;
  const health = async (): Promise<Health> => {
    const res = await fetch(`${baseUrl}/api/health`, { signal: AbortSignal.timeout(10_000) });
    if (res.status !== 200) throw new Error(`/api/health answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as Health;
  };
  try {
    await waitFor(
      async () => {
        if (proc.exit) throw new WaitAborted(`server exited during start-up (${JSON.stringify(proc.exit)})`);
        const h = await health();
        return h.status === 'ok' ? h : undefined;
      },
      opts.readyTimeoutMs ?? 60_000,
      { what: `${baseUrl}/api/health`, intervalMs: 200 },
    ).catch(async (err: Error) => {
      // waitFor swallows predicate errors as "not yet"; an exited process is final.
      throw new Error(`${err.message}\n${proc.tail()}`);
    });
    const api = await Api.login(baseUrl, ADMIN_USERNAME, ADMIN_PASSWORD);
    return {
      proc,
      httpPort,
      mqttPort,
      baseUrl,
      mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
      dataDir: full.dataDir,
      api,
      health,
      stop: async () => {
        await proc.stop();
      },
      options: full,
    };
  } catch (err) {
    await proc.stop('SIGKILL', 2000);
    throw err;
  }
}
