import { z } from 'zod';
import { ttsSettingsShape } from './tts-settings.js';
import { notifySettingsShape } from './notify-settings.js';
import { mapSettingsShape } from './map-settings.js';
import { metricsSettingsShape } from './metrics-settings.js';
import { otaSettingsShape } from './ota-settings.js';
import { practiceSettingsShape } from './practice-settings.js';

/** True when the runtime's ICU knows the zone (e.g. "Asia/Ho_Chi_Minh", "UTC"). */
export function isIanaZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const port = z.coerce.number().int().min(0).max(65535);

/**
 * Every setting the server reads, with its environment name. A config file (LOA_CONFIG_FILE, JSON) may set the
 * same keys; the environment wins over the file.
 */
export const configSchema = z.object({
  LOA_HTTP_HOST: z.string().min(1).default('0.0.0.0'),
  LOA_HTTP_PORT: port.default(3000),
  LOA_MQTT_HOST: z.string().min(1).default('0.0.0.0'),
  LOA_MQTT_PORT: port.default(1883),
  LOA_DATA_DIR: z.string().min(1).default('./data'),
  LOA_DATABASE_URL: z
    .string()
    .regex(/^(sqlite:|postgres:\/\/|postgresql:\/\/)/, 'must start with sqlite: or postgres://')
    .optional(),
  LOA_ADMIN_USERNAME: z.string().regex(/^[a-z0-9._-]{3,64}$/, '3-64 chars of a-z, 0-9, ".", "_" or "-"').default('admin'),
  LOA_ADMIN_PASSWORD: z.string().min(8, 'must be at least 8 characters').optional(),
  /** The built dashboard (dashboard/dist); default: the one in this repository. */
  LOA_DASHBOARD_DIR: z.string().min(1).optional(),
  LOA_LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOA_MAX_UPLOAD_MB: z.coerce.number().positive().max(4096).default(200),
  LOA_MAX_AUDIO_MINUTES: z.coerce.number().positive().max(24 * 60).default(120),
  /** Commune officers may create schedules whose targets lie inside their commune. */
  LOA_OFFICER_MAY_SCHEDULE: z.enum(['true', 'false', '1', '0']).default('false').transform((v) => v === 'true' || v === '1'),
  /**
   * Approval rules (issue 7) in force until an admin stores some (PUT /api/v1/settings/approval): `standard` asks for an
   * approver for district-wide, large and emergency sends and a second person for emergencies; `permissive` is the
   * behaviour before issue 7 (only content waits for an approver), which the test harnesses use.
   */
  LOA_APPROVAL_RULES_DEFAULT: z.enum(['standard', 'permissive']).default('standard'),
  /** Lifetime of an operator's access token; the client renews it with its refresh token. */
  LOA_ACCESS_TOKEN_TTL_MINUTES: z.coerce.number().positive().max(24 * 60).default(15),
  /** Lifetime of a refresh token; each refresh issues a new one, so a login idle this long ends. Default 30 (days). */
  LOA_REFRESH_TOKEN_TTL_DAYS: z.coerce.number().positive().max(365).optional(),
  /** Deprecated alias of LOA_REFRESH_TOKEN_TTL_DAYS (in hours), honoured when that is unset so old configs keep their policy. */
  LOA_SESSION_TTL_HOURS: z.coerce.number().positive().max(24 * 365).optional(),
  /** IANA time zone whose wall clock recurring schedules follow (RRULE evaluation). */
  LOA_TIMEZONE: z
    .string()
    .min(1)
    .refine(isIanaZone, 'must be an IANA time zone such as Asia/Ho_Chi_Minh')
    .default('Asia/Ho_Chi_Minh'),
  LOA_TIMELINE_HORIZON_DAYS: z.coerce.number().positive().max(60).default(7),
  /** A slot that started more than this long ago is no longer sent to devices. */
  LOA_SCHEDULE_PAST_TOLERANCE_S: z.coerce.number().int().min(0).max(3600).default(5),
  /** Ed25519 private key (PKCS#8 PEM) signing everything sent to devices; created (mode 0600) if missing. */
  LOA_SIGNING_KEY_FILE: z.string().min(1).optional(),
  /**
   * Issue 18: an alert sent "now" takes effect this long after it is accepted, so every speaker starts it together at
   * that instant instead of each the moment it arrives (the executor starts a slot whose time has passed at once).
   * Large enough for the province's fan-out; 0 starts on arrival.
   */
  LOA_ALERT_LEAD_MS: z.coerce.number().int().min(0).max(10_000).default(1900),
  /** A device silent (no status, telemetry or event) this long is marked offline, whatever its connection says. */
  LOA_HEARTBEAT_TIMEOUT_S: z.coerce.number().int().min(2).max(86_400).default(180),
  LOA_TELEMETRY_RETENTION_DAYS: z.coerce.number().positive().max(3650).default(30),
  /** Audit log entries (issue 7) older than this are deleted by a daily sweep. */
  LOA_AUDIT_RETENTION_DAYS: z.coerce.number().positive().max(36_500).default(730),
  /**
   * Issue 18: per-device alert delivery records (about 10,000 per province alert) of alerts that ended (expired,
   * cancelled or superseded, and off their channel) longer ago than this are deleted daily. Over a year by default,
   * so yearly reports still find them.
   */
  LOA_ALERT_DELIVERIES_RETENTION_DAYS: z.coerce.number().positive().max(36_500).default(400),
  LOA_ALARM_OFFLINE_MINUTES: z.coerce.number().positive().max(10_080).default(30),
  LOA_ALARM_LOW_DISK_MB: z.coerce.number().nonnegative().max(1_000_000).default(200),
  /** Consecutive failed playbacks on one device that raise an alarm. */
  LOA_ALARM_PLAYBACK_FAILURES: z.coerce.number().int().min(1).max(1000).default(3),
  /** A playback whose loudest momentary level stays below this (LUFS) is silence. */
  LOA_ALARM_SILENCE_LUFS: z.coerce.number().min(-120).max(0).default(-50),
  /** How long a command waits for an offline device unless the operator says otherwise. */
  LOA_COMMAND_TTL_S: z.coerce.number().int().min(1).max(7 * 86_400).default(86_400),
  /** PEM certificate chain and key: when both are set, MQTT over TLS listens on LOA_MQTTS_PORT and HTTP serves HTTPS. */
  LOA_TLS_CERT_FILE: z.string().min(1).optional(),
  LOA_TLS_KEY_FILE: z.string().min(1).optional(),
  LOA_MQTTS_PORT: port.default(8883),
  /** With TLS configured, keep the plain MQTT listener too (e.g. bound to a private interface)? */
  LOA_MQTT_PLAIN: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
  /**
   * Device-facing addresses shown to installers (agent command line, GET /api/v1/device-endpoints) when devices reach
   * the server through NAT, a port forward or a proxy; default: derived from the ports the server listens on.
   */
  LOA_PUBLIC_HTTP_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL, e.g. https://loa.example.gov.vn' })
    .refine((u) => !/[?#]/.test(u), 'must not carry a query or fragment')
    .transform((u) => u.replace(/\/+$/, ''))
    .optional(),
  LOA_PUBLIC_MQTT_URL: z
    .url({ protocol: /^(mqtts?|wss?)$/, error: 'must be an mqtt://, mqtts://, ws:// or wss:// URL, e.g. mqtts://loa.example.gov.vn:8883' })
    .refine((u) => !/[?#]/.test(u), 'must not carry a query or fragment')
    .optional(),
  /**
   * Scale-out (issue 15, docs/scale.md): an existing MQTT broker (Mosquitto 2, EMQX) instead of the embedded one. The
   * server connects to it as a privileged client (MQTT 5); devices connect to the broker, not to the server.
   */
  LOA_MQTT_URL: z
    .url({ protocol: /^(mqtts?|wss?)$/, error: 'must be an mqtt://, mqtts://, ws:// or wss:// URL of the broker, e.g. mqtts://broker.internal:8883' })
    .refine((u) => !/[?#]/.test(u), 'must not carry a query or fragment')
    .optional(),
  /** The server's own account at the external broker (superuser: all of loa/#, and $CONTROL for dynamic security). */
  LOA_MQTT_USERNAME: z.string().min(1).optional(),
  LOA_MQTT_PASSWORD: z.string().min(1).optional(),
  /** PEM CA bundle that signed the external broker's certificate (mqtts://); default: the system's CAs. */
  LOA_MQTT_CA_FILE: z.string().min(1).optional(),
  /** PEM client certificate and key, when the broker asks the server for one (mutual TLS). */
  LOA_MQTT_CLIENT_CERT_FILE: z.string().min(1).optional(),
  LOA_MQTT_CLIENT_KEY_FILE: z.string().min(1).optional(),
  /** Shared-subscription group of the server instances (`$share/<group>/…`): each device message goes to one of them. */
  LOA_MQTT_SHARE_GROUP: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, '1-32 chars of A-Z, a-z, 0-9, "_" or "-"').default('loa'),
  /**
   * How devices are authenticated and confined at an external broker: `dynsec` — the server provisions Mosquitto's
   * dynamic-security plugin; `http` — the broker asks the server's HTTP endpoint (EMQX, mosquitto-go-auth, VerneMQ);
   * `none` — managed outside Loa. Required with LOA_MQTT_URL.
   */
  LOA_BROKER_ACCOUNTS: z.enum(['dynsec', 'http', 'none']).optional(),
  /** Bearer token the broker presents to the HTTP auth endpoint (LOA_BROKER_ACCOUNTS=http); at least 24 characters. */
  LOA_BROKER_AUTH_TOKEN: z.string().min(24, 'must be at least 24 characters').optional(),
  /** EMQX REST API (optional, LOA_BROKER_ACCOUNTS=http): lets the server end a revoked device's session at once. */
  LOA_EMQX_API_URL: z
    .url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL, e.g. http://emqx1:18083' })
    .transform((u) => u.replace(/\/+$/, ''))
    .optional(),
  LOA_EMQX_API_KEY: z.string().min(1).optional(),
  LOA_EMQX_API_SECRET: z.string().min(1).optional(),
  /**
   * Load balancers in front of the HTTP port whose X-Forwarded-For is believed (audit addresses, device login
   * throttling): `loopback`, `uniquelocal`, addresses or CIDRs, comma-separated, or a hop count. Unset: none, the
   * peer's address is the client's (a forged header is ignored).
   */
  LOA_TRUST_PROXY: z
    .string()
    .regex(/^(\d{1,2}|[0-9A-Za-z.:/_,\s-]+)$/, 'must be a hop count, or addresses, CIDRs or loopback/linklocal/uniquelocal, comma-separated')
    .optional(),
  /** This server instance's name (logs, its MQTT client id `loa-server-<id>`); default: host name and process id. */
  LOA_INSTANCE_ID: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, '1-64 chars of A-Z, a-z, 0-9, ".", "_" or "-"').optional(),
  /** Media store; every instance must see the same one (a shared directory). Default: <LOA_DATA_DIR>/media. */
  LOA_MEDIA_DIR: z.string().min(1).optional(),
  /** Wrong device secrets in a row per (device id, source address) answered at once; later ones are answered late. */
  LOA_DEVICE_LOGIN_MAX_FAILURES: z.coerce.number().int().min(0).max(1000).default(5),
  /** Longest a failed device login's answer is held back (the delay doubles from 1 s up to this). */
  LOA_DEVICE_LOGIN_MAX_DELAY_S: z.coerce.number().int().min(1).max(300).default(10),
  /** How long failed device logins are remembered (name kept from the former lockout); also the unknown-id budget's period. */
  LOA_DEVICE_LOGIN_LOCKOUT_S: z.coerce.number().int().min(1).max(86_400).default(300),
  /** Unknown device ids one source address may try per LOA_DEVICE_LOGIN_LOCKOUT_S before it is treated as a scan. */
  LOA_DEVICE_LOGIN_UNKNOWN_PER_ADDRESS: z.coerce.number().int().min(1).max(1_000_000).default(600),
  /** Delivery format of processed audio (what devices download): MP3 (CBR) or Opus in Ogg. */
  LOA_AUDIO_FORMAT: z.enum(['mp3', 'opus']).default('mp3'),
  LOA_AUDIO_BITRATE_KBPS: z.coerce.number().int().min(8).max(320).default(64),
  /** Output sample rate (Hz); Opus always uses 48000. */
  LOA_AUDIO_SAMPLE_RATE: z.coerce.number().int().refine((r) => [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000].includes(r), 'must be a standard rate such as 44100 or 48000').default(44100),
  LOA_AUDIO_CHANNELS: z.coerce.number().int().min(1).max(2).default(1),
  /** EBU R128 integrated loudness every delivered file is normalised to (LUFS). */
  LOA_LOUDNESS_TARGET_LUFS: z.coerce.number().min(-70).max(-5).default(-16),
  /** Maximum true peak of delivered files (dBTP). */
  LOA_LOUDNESS_TRUE_PEAK_DBTP: z.coerce.number().min(-9).max(0).default(-1.5),
  /** Trim leading and trailing silence before normalising. */
  LOA_AUDIO_TRIM_SILENCE: z.enum(['true', 'false']).default('false').transform((v) => v === 'true'),
  /** Audio processing jobs (decode, two-pass loudnorm, encode) run at once; each keeps about one core busy. */
  LOA_MEDIA_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(1),
  /** Text-to-speech (issue 6): engine, vendor API and extra abbreviations; see docs/tts.md and tts-settings.ts. */
  ...ttsSettingsShape,
  /** Issue 19: e-mail (SMTP) and SMS (HTTP webhook) notifications; see notify-settings.ts. */
  ...notifySettingsShape,
  /** Issue 19: the dashboard map's tile server and attribution; see map-settings.ts. */
  ...mapSettingsShape,
  /** Issue 20: the Prometheus endpoint's token and the level offline devices are counted at; see metrics-settings.ts. */
  ...metricsSettingsShape,
  /** Issue 20: agent updates over the air (release keys, package limit, slot guard); see ota-settings.ts. */
  ...otaSettingsShape,
  /** Issue 21: practice sandboxes (separate practice instances of Loa); see practice-settings.ts. */
  ...practiceSettingsShape,
});

export type ConfigInput = z.input<typeof configSchema>;
export type RawConfig = z.infer<typeof configSchema>;
