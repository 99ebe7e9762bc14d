import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { deviceIdSchema, deviceKindSchema, releasePublicKey, verifyKeyFromBase64 } from '@loa/shared';
import { parseLocationSetting } from './features/telemetry/location.js';

/** Where the speaker's decoded audio goes. */
export type AudioOutput = { kind: 'null' } | { kind: 'alsa'; device: string } | { kind: 'file'; path: string };

export function parseAudioOutput(spec: string): AudioOutput | null {
  if (spec === 'null') return { kind: 'null' };
  if (spec.startsWith('alsa:') && spec.length > 5) return { kind: 'alsa', device: spec.slice(5) };
  if (spec.startsWith('file:') && /\.(wav|mp3)$/i.test(spec)) return { kind: 'file', path: spec.slice(5) };
  return null;
}

const isReleaseKey = (k: string): boolean => {
  try {
    releasePublicKey(k);
    return true;
  } catch {
    return false;
  }
};

const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' });
const mqttUrl = z.url({ protocol: /^(mqtts?|wss?|tcp|ssl)$/, error: 'must be an mqtt://, mqtts://, ws:// or wss:// URL' });
const port = z.coerce.number().int().min(0).max(65535);

export const agentConfigSchema = z.object({
  serverUrl: httpUrl.transform((u) => u.replace(/\/+$/, '')),
  mqttUrl,
  deviceId: deviceIdSchema,
  secret: z.string().min(1, 'must not be empty'),
  /** The server's Ed25519 public key (GET /api/v1/signing-key), pinned: anything not signed by it is refused. */
  serverPublicKey: z.string().refine((k) => {
    try {
      verifyKeyFromBase64(k);
      return true;
    } catch {
      return false;
    }
  }, 'must be the 32-byte Ed25519 key in base64url, as served by GET /api/v1/signing-key'),
  kind: deviceKindSchema,
  dataDir: z.string().min(1).default('./loa-agent-data'),
  audioOutput: z
    .string()
    .default('alsa:default')
    .refine((s) => parseAudioOutput(s) !== null, 'must be "null", "alsa:<device>" or "file:<path>.wav|.mp3"'),
  boardPort: port.default(8080),
  boardHost: z.string().min(1).default('127.0.0.1'),
  prefetchLeadS: z.coerce.number().int().nonnegative().default(86_400),
  /** Free space a media download must leave on the disk (the outbox, timeline and logs need room too). */
  mediaReserveMb: z.coerce.number().nonnegative().default(32),
  clockSyncIntervalS: z.coerce.number().int().nonnegative().default(300),
  /** Telemetry doubles as the heartbeat: keep it well under the server's LOA_HEARTBEAT_TIMEOUT_S (default 180). */
  telemetryIntervalS: z.coerce.number().positive().max(3600).default(60),
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** PEM file of the CA that signed the server's certificate, trusted for mqtts:// and https:// (private CA). */
  caFile: z.string().min(1).optional(),
  /** Zero-touch provisioning: enrol with this key when no identity is configured nor stored yet; never logged. */
  provisioningKey: z.string().min(16, 'must be the key string returned when the provisioning key was created').max(200).optional(),
  /** Shown to the operator who claims the enrolled device (default: /etc/machine-id, else the host name). */
  hardwareId: z.string().min(1).max(128).optional(),
  /** Issue 19: where the device stands, "latitude,longitude" (decimal degrees), when no GPS tells (see locationFile). */
  location: z
    .string()
    .refine((t) => parseLocationSetting(t) !== null, 'must be "latitude,longitude" in decimal degrees, e.g. "21.0285,105.8542"')
    .optional(),
  /** Issue 19: a JSON file a GPS daemon keeps current ({"latitude","longitude"} or gpsd's {"lat","lon"}); read with each telemetry sample. */
  locationFile: z.string().min(1).optional(),
  /**
   * Issue 20: the install directory the agent updates itself in (releases/, current, previous, ota/); boot.mjs
   * sets LOA_AGENT_INSTALL_DIR. Without a valid layout there, an offered update is refused as not installable.
   */
  installDir: z.string().min(1).optional(),
  /** Issue 20: release public keys pinned (base64url or PEM, comma-separated): only packages they signed are installed. */
  releaseKeys: z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : v.split(/[,\s]+/)).map((k) => k.trim()).filter((k) => k !== ''))
    .refine((keys) => keys.every(isReleaseKey), 'must be Ed25519 release public keys (base64url of the raw 32 bytes, as release-key.mjs keygen prints), comma-separated')
    .optional(),
});
export type AgentConfig = z.infer<typeof agentConfigSchema>;

const IDENTITY = ['deviceId', 'secret', 'serverPublicKey'] as const;

/**
 * What loadConfig accepts: either the whole identity (deviceId, secret, serverPublicKey), or a provisioningKey to
 * enrol with (the identity is then stored in dataDir/identity.json; a deviceId given is the one asked for, a
 * serverPublicKey given must match the server's).
 */
export const agentSettingsSchema = agentConfigSchema
  .extend({
    deviceId: agentConfigSchema.shape.deviceId.optional(),
    secret: agentConfigSchema.shape.secret.optional(),
    serverPublicKey: agentConfigSchema.shape.serverPublicKey.optional(),
  })
  .superRefine((s, ctx) => {
    if (IDENTITY.every((k) => s[k] !== undefined)) return;
    if (s.provisioningKey !== undefined && s.secret === undefined) return;
    const why =
      s.provisioningKey === undefined
        ? 'is required (or give provisioningKey to enrol the device)'
        : 'is required when a secret is given (or drop the secret to enrol with provisioningKey)';
    for (const k of IDENTITY) if (s[k] === undefined) ctx.addIssue({ code: 'custom', path: [k], message: why });
  }, { when: () => true });
export type AgentSettings = z.infer<typeof agentSettingsSchema>;

/** True when the settings carry the whole identity (no enrolment needed). */
export const hasIdentity = (s: AgentSettings): s is AgentConfig => IDENTITY.every((k) => s[k] !== undefined);
type Key = keyof AgentConfig;

/** One row per setting: the flag, the environment variable and the JSON-file key name the same thing. */
export const SETTINGS: ReadonlyArray<{ key: Key; flag: string; env: string; help: string }> = [
  { key: 'serverUrl', flag: 'server-url', env: 'LOA_AGENT_SERVER_URL', help: 'HTTP base URL of the server (media downloads)' },
  { key: 'mqttUrl', flag: 'mqtt-url', env: 'LOA_AGENT_MQTT_URL', help: 'broker URL, e.g. mqtt://127.0.0.1:1883' },
  { key: 'deviceId', flag: 'device-id', env: 'LOA_AGENT_DEVICE_ID', help: 'this device id (MQTT client id and user name)' },
  { key: 'secret', flag: 'secret', env: 'LOA_AGENT_SECRET', help: 'device secret (MQTT password, HTTP Basic password); never logged' },
  { key: 'serverPublicKey', flag: 'server-public-key', env: 'LOA_AGENT_SERVER_PUBLIC_KEY', help: 'server signing key to pin (GET /api/v1/signing-key)' },
  { key: 'kind', flag: 'kind', env: 'LOA_AGENT_KIND', help: 'speaker | board' },
  { key: 'dataDir', flag: 'data-dir', env: 'LOA_AGENT_DATA_DIR', help: 'local state: timeline, outbox, media (default ./loa-agent-data)' },
  { key: 'audioOutput', flag: 'audio-output', env: 'LOA_AGENT_AUDIO_OUTPUT', help: 'null | alsa:<device> | file:<path>.wav|.mp3, path may contain {occurrenceId} and {seq} (default alsa:default)' },
  { key: 'boardPort', flag: 'board-port', env: 'LOA_AGENT_BOARD_PORT', help: 'board kiosk page port, 0 = ephemeral (default 8080)' },
  { key: 'boardHost', flag: 'board-host', env: 'LOA_AGENT_BOARD_HOST', help: 'board kiosk page address (default 127.0.0.1)' },
  { key: 'prefetchLeadS', flag: 'prefetch-lead-s', env: 'LOA_AGENT_PREFETCH_LEAD_S', help: 'download media this many seconds ahead (default 86400)' },
  { key: 'mediaReserveMb', flag: 'media-reserve-mb', env: 'LOA_AGENT_MEDIA_RESERVE_MB', help: 'refuse a media download that would leave less free disk than this (default 32)' },
  { key: 'clockSyncIntervalS', flag: 'clock-sync-interval-s', env: 'LOA_AGENT_CLOCK_SYNC_INTERVAL_S', help: 'measure the offset from the server clock this often, up to 6× less often while it does not drift; 0 = only at start and reconnect (default 300)' },
  { key: 'telemetryIntervalS', flag: 'telemetry-interval-s', env: 'LOA_AGENT_TELEMETRY_INTERVAL_S', help: 'health sample (and heartbeat) period; keep under the server heartbeat timeout (default 60)' },
  { key: 'logLevel', flag: 'log-level', env: 'LOA_AGENT_LOG_LEVEL', help: 'fatal|error|warn|info|debug|trace|silent (default info)' },
  { key: 'caFile', flag: 'ca-file', env: 'LOA_AGENT_CA_FILE', help: 'PEM CA certificate to trust for mqtts:// and https:// (private CA)' },
  { key: 'provisioningKey', flag: 'provisioning-key', env: 'LOA_AGENT_PROVISIONING_KEY', help: 'enrol with this key when no identity is given or stored (zero-touch); never logged' },
  { key: 'hardwareId', flag: 'hardware-id', env: 'LOA_AGENT_HARDWARE_ID', help: 'hardware identity shown to the operator who claims the device (default /etc/machine-id)' },
  { key: 'location', flag: 'location', env: 'LOA_AGENT_LOCATION', help: 'where the device stands, "latitude,longitude" (shown on the map unless an operator placed it by hand)' },
  { key: 'locationFile', flag: 'location-file', env: 'LOA_AGENT_LOCATION_FILE', help: 'JSON position file a GPS daemon writes, e.g. /run/loa/location.json; wins over --location' },
  { key: 'installDir', flag: 'install-dir', env: 'LOA_AGENT_INSTALL_DIR', help: 'install directory to update over the air (boot.mjs sets it); without it updates are refused' },
  { key: 'releaseKeys', flag: 'release-keys', env: 'LOA_AGENT_RELEASE_KEYS', help: 'release public keys to pin, comma-separated: only packages they signed are installed' },
];

export class ConfigError extends Error {
  constructor(
    message: string,
    readonly setting?: string,
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function usage(): string {
  const rows = SETTINGS.map((s) => `  --${s.flag.padEnd(16)} ${s.env.padEnd(26)} ${s.help}`);
  return [
    'Usage: loa-agent [--config <file.json>] [options]',
    '',
    'Loa edge agent: plays the device timeline on time (speaker via ffmpeg, board via a local kiosk page),',
    'also offline, and reports every playback.',
    '',
    'Settings (later sources override earlier: JSON file < environment < flags):',
    `  --${'flag'.padEnd(16)} ${'environment'.padEnd(26)} meaning`,
    ...rows,
    `  --${'config'.padEnd(16)} ${''.padEnd(26)} JSON file with the same settings in camelCase (e.g. {"deviceId": "spk-01"})`,
    `  --${'help'.padEnd(16)} ${''.padEnd(26)} print this help`,
  ].join('\n');
}

export interface ConfigSources {
  argv: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
  readFile?: (path: string) => Promise<string>;
}

export type ConfigResult = { help: true } | { help: false; config: AgentSettings };

/** Merges file < env < flags and validates once; throws ConfigError naming the offending setting. */
export async function loadConfig(src: ConfigSources): Promise<ConfigResult> {
  const options: Record<string, { type: 'string' } | { type: 'boolean' }> = { config: { type: 'string' }, help: { type: 'boolean' } };
  for (const s of SETTINGS) options[s.flag] = { type: 'string' };
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: [...src.argv], options, strict: true, allowPositionals: false }));
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}\n\n${usage()}`);
  }
  if (values.help === true) return { help: true };

  const merged: Record<string, unknown> = {};
  const configPath = typeof values.config === 'string' ? values.config : src.env.LOA_AGENT_CONFIG;
  if (configPath) {
    let fileValues: unknown;
    try {
      fileValues = JSON.parse(await (src.readFile ?? ((p) => readFile(p, 'utf8')))(configPath));
    } catch (err) {
      throw new ConfigError(`config: cannot read JSON file ${configPath}: ${(err as Error).message}`, 'config');
    }
    if (typeof fileValues !== 'object' || fileValues === null || Array.isArray(fileValues)) {
      throw new ConfigError(`config: ${configPath} must contain a JSON object`, 'config');
    }
    const known = new Set<string>(SETTINGS.map((s) => s.key));
    for (const [k, v] of Object.entries(fileValues)) {
      if (!known.has(k)) throw new ConfigError(`config: unknown setting "${k}" in ${configPath}`, k);
      merged[k] = v;
    }
  }
  for (const s of SETTINGS) {
    const fromEnv = src.env[s.env];
    if (fromEnv !== undefined && fromEnv !== '') merged[s.key] = fromEnv;
    const fromFlag = values[s.flag];
    if (typeof fromFlag === 'string') merged[s.key] = fromFlag;
  }

  const parsed = agentSettingsSchema.safeParse(merged);
  if (!parsed.success) {
    // Name every bad setting at once, so fixing a deployment does not take one restart per mistake.
    const lines = parsed.error.issues.map((issue) => {
      const key = String(issue.path[0] ?? '');
      const s = SETTINGS.find((x) => x.key === key);
      const where = s ? ` (--${s.flag} / ${s.env})` : '';
      const missing = issue.code === 'invalid_type' && merged[key] === undefined;
      return `invalid setting ${key}${where}: ${missing ? 'is required' : issue.message}`;
    });
    throw new ConfigError(lines.join('\n'), String(parsed.error.issues[0]?.path[0] ?? ''));
  }
  return { help: false, config: parsed.data };
}

/** The config as it may appear in logs: no secret, no provisioning key. */
export const redactConfig = <C extends AgentSettings>(c: C): C => ({
  ...c,
  ...(c.secret === undefined ? {} : { secret: '[redacted]' }),
  ...(c.provisioningKey === undefined ? {} : { provisioningKey: '[redacted]' }),
});
