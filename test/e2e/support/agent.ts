import path from 'node:path';
import { SIGNING_KEY_PATH } from '@loa/shared';
import { AGENT_CLI, artifactsDir, tempDir } from './paths.js';
import { freePort } from './ports.js';
import { ManagedProcess } from './processes.js';
import { childEnv } from './server.js';
import { WaitAborted, waitFor } from './wait.js';

export interface AgentOptions {
  suite: string;
  /** Log file base name (default "agent-<deviceId>"). */
  name?: string;
  serverUrl: string;
  mqttUrl: string;
  deviceId: string;
  secret: string;
  /** The key the agent pins (default: fetched from the server's GET /api/v1/signing-key, as an installer would). */
  serverPublicKey?: string;
  kind: 'speaker' | 'board';
  dataDir?: string;
  /** Speaker output, e.g. `file:/tmp/x/out-{occurrenceId}.wav` (default null). */
  audioOutput?: string;
  /** Board kiosk port (default: a free port). */
  boardPort?: number;
  logLevel?: string;
  /** Wait for "connected to broker" in the log (default true). */
  waitConnected?: boolean;
  connectTimeoutMs?: number;
  /** More `--flag=value` settings (e.g. `--telemetry-interval-s=1`). */
  extraArgs?: string[];
  /** Extra environment for the agent process (e.g. LD_PRELOAD of libfaketime to fake its wall clock). */
  env?: Record<string, string>;
}

export interface BoardState {
  current: { occurrenceId: string; text: string; title: string; since: number } | null;
}

export interface TestAgent {
  readonly proc: ManagedProcess;
  readonly deviceId: string;
  readonly dataDir: string;
  /** Board only: the kiosk page URL. */
  readonly boardUrl: string | null;
  boardState(): Promise<BoardState>;
  /** Local path of a cached media file (present once downloaded and verified). */
  mediaPath(sha256: string): string;
  stop(): Promise<void>;
}

/** Starts `node agent/dist/cli.js` with flags (no JSON file, no environment settings). */
export async function spawnAgent(opts: AgentOptions): Promise<TestAgent> {
  const dataDir = opts.dataDir ?? tempDir(`agent-${opts.deviceId}`);
  const serverPublicKey = opts.serverPublicKey ?? (await fetchSigningKey(opts.serverUrl));
  // --flag=value throughout: a secret may start with "-" (base64url), which node's parseArgs would take for a flag.
  const args = [
    AGENT_CLI,
    `--server-url=${opts.serverUrl}`,
    `--mqtt-url=${opts.mqttUrl}`,
    `--device-id=${opts.deviceId}`,
    `--secret=${opts.secret}`,
    `--server-public-key=${serverPublicKey}`,
    `--kind=${opts.kind}`,
    `--data-dir=${dataDir}`,
    `--log-level=${opts.logLevel ?? 'debug'}`,
    ...(opts.extraArgs ?? []),
  ];
  let boardUrl: string | null = null;
  if (opts.kind === 'speaker') {
    args.push(`--audio-output=${opts.audioOutput ?? 'null'}`);
  } else {
    const port = opts.boardPort ?? (await freePort());
    args.push(`--board-port=${port}`, '--board-host=127.0.0.1');
    boardUrl = `http://127.0.0.1:${port}/`;
  }
  const proc = new ManagedProcess(opts.name ?? `agent-${opts.deviceId}`, process.execPath, args, { env: childEnv(opts.env ?? {}), logDir: artifactsDir(opts.suite), stopFirst: true });
  const boardState = async (): Promise<BoardState> => {
    if (!boardUrl) throw new Error(`${opts.deviceId} is not a board`);
    const res = await fetch(new URL('/state', boardUrl), { signal: AbortSignal.timeout(5000) });
    if (res.status !== 200) throw new Error(`board /state answered ${res.status}`);
    return (await res.json()) as BoardState;
  };
  try {
    if (opts.waitConnected ?? true) {
      await waitFor(
        () => {
          if (proc.exit) throw new WaitAborted(`agent exited (${JSON.stringify(proc.exit)})`);
          return proc.stdout().includes('"msg":"connected to broker"');
        },
        opts.connectTimeoutMs ?? 30_000,
        { what: `agent ${opts.deviceId} connected to broker` },
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n${proc.tail()}`);
      });
      if (boardUrl) await waitFor(() => boardState().then(() => true), 15_000, { what: `board page ${boardUrl}` });
    }
  } catch (err) {
    await proc.stop('SIGKILL', 2000);
    throw err;
  }
  return {
    proc,
    deviceId: opts.deviceId,
    dataDir,
    boardUrl,
    boardState,
    mediaPath: (sha256) => path.join(dataDir, 'media', sha256),
    stop: async () => {
      await proc.stop();
    },
  };
}

export async function fetchSigningKey(serverUrl: string): Promise<string> {
  const res = await fetch(new URL(SIGNING_KEY_PATH, serverUrl), { signal: AbortSignal.timeout(5000) });
  if (res.status !== 200) throw new Error(`GET ${SIGNING_KEY_PATH} answered ${res.status}`);
  return ((await res.json()) as { publicKey: string }).publicKey;
}
