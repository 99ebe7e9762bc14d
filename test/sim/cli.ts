import { readFile, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { createFleet } from './forked-fleet.js';
import { provision, writeCredentials } from './provision.js';
import { credentialsFileSchema, type FleetStats } from './types.js';

/** The process around a subcommand, injected so tests run it without process globals. */
export interface SimIo {
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** Resolves when the process is asked to stop (SIGINT/SIGTERM). */
  shutdownSignal: Promise<string>;
}

export const SIMULATE_USAGE = `Usage: loa-sim simulate --devices-file creds.json [options]

Runs many virtual Loa devices in one process (or K processes) against a real server: each logs in with its
own credentials, acks its timelines, reports playback at slot times (no audio), sends telemetry, listens to
the alerts of its areas and reconnects with jittered back-off. Prints one JSON stats line per interval.

  --devices-file <f>          credentials JSON written by "loa-sim provision" (required)
  --mqtt-url <url>            broker URL (default: the file's mqttUrl)
  --server-url <url>          server base URL (informational; simulated devices fetch no media)
  --limit <n>                 simulate only the first n devices of the file
  --processes <k>             spread the devices over k child processes (default 1)
  --flaky-disconnect-rate <r> random abrupt disconnects per device per minute (default 0)
  --latency-ms <a-b>          extra latency on every message, uniform in [a, b] ms (default none)
  --clock-skew-ms <s>         each device clock is off by a uniform value in [-s, +s] ms (default 0)
  --correct-skew              devices estimate their offset from timelines and correct it
  --telemetry-interval-s <s>  telemetry period per device, 0 = off (default 60)
  --resend-after-s <s>        resend unacknowledged reports after this long (default 10)
  --max-connecting <n>        connection attempts in flight at once (default 1000)
  --report-interval-s <s>     stats line period (default 10)
  --report-file <f>           write the final stats (JSON) here on exit
  --duration-s <s>            stop after this long (default: run until SIGINT/SIGTERM)
  --help`;

export const PROVISION_USAGE = `Usage: loa-sim provision --server-url URL --password P --devices N [options]

Creates a sample area tree (province → communes, or province → district → commune) and registers N devices
in bulk, then writes their credentials (secrets!) to a JSON file for "loa-sim simulate".

  --server-url <url>     server base URL, e.g. http://127.0.0.1:3000 (required)
  --username <u>         admin user (default admin)
  --password <p>         admin password (default: $LOA_ADMIN_PASSWORD)
  --devices <n>          devices to register (required)
  --per-commune <n>      devices per commune (default 40)
  --tiers <2|3>          2 = province → commune, 3 = province → district → commune (default 2)
  --province-code <c>    province code (default 42)
  --id-prefix <p>        device id prefix (default sim)
  --mqtt-url <url>       broker URL to record in the file
  --out <file>           credentials file (default ./loa-sim-credentials.json)
  --no-bulk              register one device per request instead of POST /api/v1/devices/bulk
  --help`;

const num = (v: string | undefined, name: string, dflt: number): number => {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${name} must be a non-negative number, got "${v}"`);
  return n;
};

class UsageError extends Error {}

export function parseLatency(spec: string | undefined): [number, number] | null {
  if (spec === undefined || spec === '' || spec === '0') return null;
  const m = /^(\d+)(?:-(\d+))?$/.exec(spec);
  if (!m) throw new UsageError(`--latency-ms must look like "20-200" or "50", got "${spec}"`);
  const a = Number(m[1]);
  const b = m[2] !== undefined ? Number(m[2]) : a;
  if (b < a) throw new UsageError(`--latency-ms: ${b} is below ${a}`);
  return [a, b];
}

const line = (s: FleetStats) =>
  JSON.stringify({
    type: 'stats',
    at: new Date().toISOString(),
    devices: s.devices,
    connected: s.connected,
    timelineAcks: s.timelineAcks,
    alertsReceived: s.alertsReceived,
    eventsSent: s.eventsSent,
    eventsAcked: s.eventsAcked,
    eventsPending: s.eventsPending,
    telemetrySent: s.telemetrySent,
    disconnects: s.disconnects,
    authRefused: s.authRefused,
    rssMB: Math.round(s.rssBytes / 1048576),
  });

export async function simulateMain(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, io: SimIo): Promise<number> {
  try {
    const { values } = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        'devices-file': { type: 'string' },
        'mqtt-url': { type: 'string' },
        'server-url': { type: 'string' },
        limit: { type: 'string' },
        processes: { type: 'string' },
        'flaky-disconnect-rate': { type: 'string' },
        'latency-ms': { type: 'string' },
        'clock-skew-ms': { type: 'string' },
        'correct-skew': { type: 'boolean' },
        'telemetry-interval-s': { type: 'string' },
        'resend-after-s': { type: 'string' },
        'max-connecting': { type: 'string' },
        'report-interval-s': { type: 'string' },
        'report-file': { type: 'string' },
        'duration-s': { type: 'string' },
        help: { type: 'boolean' },
      },
    });
    if (values.help) {
      io.stdout(`${SIMULATE_USAGE}\n`);
      return 0;
    }
    const file = values['devices-file'] ?? env.LOA_SIM_DEVICES_FILE;
    if (!file) throw new UsageError('--devices-file is required');
    const parsed = credentialsFileSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
    if (!parsed.success) throw new UsageError(`${file} is not a credentials file: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    const mqttUrl = values['mqtt-url'] ?? env.LOA_AGENT_MQTT_URL ?? parsed.data.mqttUrl;
    if (!mqttUrl || !/^(mqtts?|tcp|ssl|wss?):\/\//.test(mqttUrl)) throw new UsageError('--mqtt-url (mqtt://host:port) is required when the file has none');
    const limit = values.limit !== undefined ? num(values.limit, 'limit', 0) : parsed.data.devices.length;
    const devices = parsed.data.devices.slice(0, limit);
    const fleet = createFleet(
      {
        devices,
        mqttUrl,
        // Simulated devices verify signatures as real agents do, when the file carries the server's key.
        ...(parsed.data.serverPublicKey ? { serverPublicKey: parsed.data.serverPublicKey } : {}),
        flakyDisconnectPerMin: num(values['flaky-disconnect-rate'], 'flaky-disconnect-rate', 0),
        latencyMs: parseLatency(values['latency-ms']),
        clockSkewMs: num(values['clock-skew-ms'], 'clock-skew-ms', 0),
        correctSkew: values['correct-skew'] === true,
        telemetryIntervalMs: num(values['telemetry-interval-s'], 'telemetry-interval-s', 60) * 1000,
        resendAfterMs: num(values['resend-after-s'], 'resend-after-s', 10) * 1000,
        maxConnecting: Math.max(1, num(values['max-connecting'], 'max-connecting', 1000)),
      },
      Math.max(1, Math.floor(num(values.processes, 'processes', 1))),
    );
    io.stderr(`loa-sim simulate: ${devices.length} devices → ${mqttUrl}\n`);
    await fleet.start();
    const everyMs = Math.max(1, num(values['report-interval-s'], 'report-interval-s', 10)) * 1000;
    const report = setInterval(() => {
      void fleet.stats().then((s) => io.stdout(`${line(s)}\n`), () => undefined);
    }, everyMs);
    const durationS = num(values['duration-s'], 'duration-s', 0);
    const reason = await Promise.race([
      io.shutdownSignal,
      ...(durationS > 0 ? [new Promise<string>((r) => setTimeout(() => r('duration'), durationS * 1000))] : []),
    ]);
    clearInterval(report);
    const final = await fleet.stats();
    io.stdout(`${line(final)}\n`);
    if (values['report-file']) await writeFile(values['report-file'], `${JSON.stringify({ stoppedBy: reason, ...final }, null, 2)}\n`);
    await fleet.stop({ graceful: true });
    return 0;
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`loa-sim simulate: ${(err as Error).message}\n\n${SIMULATE_USAGE}\n`);
      return 2;
    }
    io.stderr(`loa-sim simulate: ${(err as Error).message}\n`);
    return 1;
  }
}

export async function provisionMain(argv: readonly string[], env: Readonly<Record<string, string | undefined>>, io: SimIo): Promise<number> {
  try {
    const { values } = parseArgs({
      args: [...argv],
      strict: true,
      options: {
        'server-url': { type: 'string' },
        username: { type: 'string' },
        password: { type: 'string' },
        devices: { type: 'string' },
        'per-commune': { type: 'string' },
        tiers: { type: 'string' },
        'province-code': { type: 'string' },
        'id-prefix': { type: 'string' },
        'mqtt-url': { type: 'string' },
        out: { type: 'string' },
        'no-bulk': { type: 'boolean' },
        help: { type: 'boolean' },
      },
    });
    if (values.help) {
      io.stdout(`${PROVISION_USAGE}\n`);
      return 0;
    }
    const serverUrl = values['server-url'];
    if (!serverUrl || !/^https?:\/\//.test(serverUrl)) throw new UsageError('--server-url (http://host:port) is required');
    const password = values.password ?? env.LOA_ADMIN_PASSWORD;
    if (!password) throw new UsageError('--password (or LOA_ADMIN_PASSWORD) is required');
    const devices = Math.floor(num(values.devices, 'devices', 0));
    if (devices < 1) throw new UsageError('--devices must be at least 1');
    const tiers = values.tiers === '3' ? 3 : 2;
    const out = values.out ?? 'loa-sim-credentials.json';
    const creds = await provision({
      serverUrl,
      username: values.username ?? env.LOA_ADMIN_USERNAME ?? 'admin',
      password,
      devices,
      tiers,
      perCommune: num(values['per-commune'], 'per-commune', 40),
      ...(values['province-code'] ? { provinceCode: values['province-code'] } : {}),
      ...(values['id-prefix'] ? { idPrefix: values['id-prefix'] } : {}),
      ...(values['mqtt-url'] ? { mqttUrl: values['mqtt-url'] } : {}),
      bulk: values['no-bulk'] !== true,
      onProgress: (n, total) => io.stderr(`registered ${n}/${total}\n`),
    });
    await writeCredentials(out, creds);
    io.stdout(`${JSON.stringify({ devices: creds.devices.length, areas: creds.areas?.length ?? 0, provinceCode: creds.provinceCode, out })}\n`);
    return 0;
  } catch (err) {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.stderr(`loa-sim provision: ${(err as Error).message}\n\n${PROVISION_USAGE}\n`);
      return 2;
    }
    io.stderr(`loa-sim provision: ${(err as Error).message}\n`);
    return 1;
  }
}
