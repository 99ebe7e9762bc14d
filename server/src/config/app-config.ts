import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { configSchema, type RawConfig } from './config.schema.js';
import { buildTtsConfig, type TtsConfig } from './tts-settings.js';
import { buildNotifyConfig, type NotifyConfig } from './notify-settings.js';
import { buildMapConfig, type MapConfig } from './map-settings.js';
import { buildMetricsConfig, type MetricsConfig } from './metrics-settings.js';
import { buildOtaConfig, type OtaConfig } from './ota-settings.js';
import { buildPracticeConfig, type PracticeConfig } from './practice-settings.js';

/** The external MQTT broker the server is a client of (issue 15); null: the embedded aedes broker. */
export interface ExternalBrokerConfig {
  url: string;
  username: string | undefined;
  password: string | undefined;
  caFile: string | undefined;
  clientCert: { certFile: string; keyFile: string } | undefined;
  shareGroup: string;
  /** Who authenticates and confines devices at the broker (see LOA_BROKER_ACCOUNTS). */
  accounts: 'dynsec' | 'http' | 'none';
}

export type DatabaseTarget = { type: 'sqlite'; file: string } | { type: 'postgres'; url: string };

/** Thrown at start-up; main prints the message and exits without a stack trace. */
export class ConfigError extends Error {}

/** The validated configuration, resolved once at start-up and injected wherever a setting is needed. */
export class AppConfig {
  readonly httpHost: string;
  readonly httpPort: number;
  readonly mqttHost: string;
  readonly mqttPort: number;
  readonly dataDir: string;
  readonly mediaDir: string;
  /** Null: the dashboard built in this repository. */
  readonly dashboardDir: string | null;
  readonly database: DatabaseTarget;
  readonly adminUsername: string;
  readonly adminPassword: string | undefined;
  readonly logLevel: RawConfig['LOA_LOG_LEVEL'];
  readonly maxUploadBytes: number;
  readonly maxAudioMs: number;
  readonly accessTokenTtlMs: number;
  readonly refreshTokenTtlMs: number;
  readonly officerMaySchedule: boolean;
  readonly approvalRulesDefault: RawConfig['LOA_APPROVAL_RULES_DEFAULT'];
  readonly timelineHorizonMs: number;
  readonly schedulePastToleranceMs: number;
  readonly timezone: string;
  readonly signingKeyFile: string;
  readonly heartbeatTimeoutMs: number;
  /**
   * LOA_ALERT_LEAD_MS: how far ahead of its acceptance an alert sent "now" starts on every speaker (default 1,900 ms:
   * at 10,000 speakers the fan-out took up to 1.75 s, so 1,500 left late starters; docs/performance.md, Session 10).
   */
  readonly alertLeadMs: number;
  readonly telemetryRetentionMs: number;
  readonly auditRetentionMs: number;
  /** LOA_ALERT_DELIVERIES_RETENTION_DAYS: how long an ended alert's per-device records are kept. */
  readonly alertDeliveriesRetentionMs: number;
  readonly alarmOfflineMs: number;
  readonly alarmLowDiskBytes: number;
  readonly alarmPlaybackFailures: number;
  readonly alarmSilenceLufs: number;
  readonly commandTtlMs: number;
  readonly tls: { certFile: string; keyFile: string } | null;
  readonly mqttsPort: number;
  readonly mqttPlain: boolean;
  /** LOA_PUBLIC_HTTP_URL / LOA_PUBLIC_MQTT_URL; null: derived from the listeners (device-endpoints). */
  readonly publicHttpUrl: string | null;
  readonly publicMqttUrl: string | null;
  readonly deviceLoginMaxFailures: number;
  readonly deviceLoginMaxDelayMs: number;
  /** LOA_DEVICE_LOGIN_LOCKOUT_S: how long failed device logins are remembered. */
  readonly deviceLoginWindowMs: number;
  readonly deviceLoginUnknownPerAddress: number;
  readonly audio: {
    format: RawConfig['LOA_AUDIO_FORMAT'];
    bitrateKbps: number;
    sampleRate: number;
    channels: number;
    targetLufs: number;
    truePeakDbtp: number;
    trimSilence: boolean;
  };
  readonly mediaConcurrency: number;
  /** Null: the embedded broker (the one-command default). */
  readonly externalBroker: ExternalBrokerConfig | null;
  /** LOA_BROKER_AUTH_TOKEN: what the broker presents to the HTTP auth endpoint; null: the endpoint is off. */
  readonly brokerAuthToken: string | null;
  /** EMQX REST API for ending sessions (LOA_BROKER_ACCOUNTS=http); null when not configured. */
  readonly emqxApi: { url: string; key: string; secret: string } | null;
  readonly instanceId: string;
  /** Express `trust proxy` (LOA_TRUST_PROXY): a hop count or the trusted proxy addresses; null trusts none. */
  readonly trustProxy: number | string[] | null;
  /**
   * Several instances may share this database: leadership, locks and cache invalidation go through PostgreSQL.
   * True exactly when the database is PostgreSQL (SQLite is one process by nature).
   */
  readonly clustered: boolean;

  /** Text-to-speech engine and normalisation settings (issue 6). */
  readonly tts: TtsConfig;
  /** Issue 19: e-mail and SMS notification adapters (LOA_SMTP_URL, LOA_NOTIFY_SMS_URL…). */
  readonly notify: NotifyConfig;
  /** Issue 19: the dashboard map's tiles (LOA_MAP_TILE_URL, LOA_MAP_ATTRIBUTION). */
  readonly map: MapConfig;
  /** Issue 20: /metrics (Prometheus). */
  readonly metrics: MetricsConfig;
  /** Issue 20: agent updates over the air (LOA_OTA_*). */
  readonly ota: OtaConfig;
  /** Issue 21: practice sandboxes; `mode` on a practice instance. */
  readonly practice: PracticeConfig;
  constructor(raw: RawConfig) {
    this.httpHost = raw.LOA_HTTP_HOST;
    this.httpPort = raw.LOA_HTTP_PORT;
    this.mqttHost = raw.LOA_MQTT_HOST;
    this.mqttPort = raw.LOA_MQTT_PORT;
    this.dataDir = path.resolve(raw.LOA_DATA_DIR);
    this.mediaDir = raw.LOA_MEDIA_DIR === undefined ? path.join(this.dataDir, 'media') : path.resolve(raw.LOA_MEDIA_DIR);
    this.dashboardDir = raw.LOA_DASHBOARD_DIR === undefined ? null : path.resolve(raw.LOA_DASHBOARD_DIR);
    const url = raw.LOA_DATABASE_URL;
    this.database =
      url === undefined
        ? { type: 'sqlite', file: path.join(this.dataDir, 'loa.sqlite') }
        : url.startsWith('sqlite:')
          ? { type: 'sqlite', file: path.resolve(url.slice('sqlite:'.length)) }
          : { type: 'postgres', url };
    this.adminUsername = raw.LOA_ADMIN_USERNAME;
    this.adminPassword = raw.LOA_ADMIN_PASSWORD;
    this.logLevel = raw.LOA_LOG_LEVEL;
    this.maxUploadBytes = Math.round(raw.LOA_MAX_UPLOAD_MB * 1024 * 1024);
    this.maxAudioMs = Math.round(raw.LOA_MAX_AUDIO_MINUTES * 60_000);
    this.accessTokenTtlMs = Math.round(raw.LOA_ACCESS_TOKEN_TTL_MINUTES * 60_000);
    this.refreshTokenTtlMs =
      raw.LOA_REFRESH_TOKEN_TTL_DAYS !== undefined
        ? Math.round(raw.LOA_REFRESH_TOKEN_TTL_DAYS * 86_400_000)
        : raw.LOA_SESSION_TTL_HOURS !== undefined
          ? Math.round(raw.LOA_SESSION_TTL_HOURS * 3_600_000)
          : 30 * 86_400_000;
    this.officerMaySchedule = raw.LOA_OFFICER_MAY_SCHEDULE;
    this.approvalRulesDefault = raw.LOA_APPROVAL_RULES_DEFAULT;
    this.timelineHorizonMs = Math.round(raw.LOA_TIMELINE_HORIZON_DAYS * 86_400_000);
    this.schedulePastToleranceMs = raw.LOA_SCHEDULE_PAST_TOLERANCE_S * 1000;
    this.timezone = raw.LOA_TIMEZONE;
    this.signingKeyFile = path.resolve(raw.LOA_SIGNING_KEY_FILE ?? path.join(this.dataDir, 'signing-key.pem'));
    this.heartbeatTimeoutMs = raw.LOA_HEARTBEAT_TIMEOUT_S * 1000;
    this.alertLeadMs = raw.LOA_ALERT_LEAD_MS;
    this.telemetryRetentionMs = Math.round(raw.LOA_TELEMETRY_RETENTION_DAYS * 86_400_000);
    this.auditRetentionMs = Math.round(raw.LOA_AUDIT_RETENTION_DAYS * 86_400_000);
    this.alertDeliveriesRetentionMs = Math.round(raw.LOA_ALERT_DELIVERIES_RETENTION_DAYS * 86_400_000);
    this.alarmOfflineMs = Math.round(raw.LOA_ALARM_OFFLINE_MINUTES * 60_000);
    this.alarmLowDiskBytes = Math.round(raw.LOA_ALARM_LOW_DISK_MB * 1024 * 1024);
    this.alarmPlaybackFailures = raw.LOA_ALARM_PLAYBACK_FAILURES;
    this.alarmSilenceLufs = raw.LOA_ALARM_SILENCE_LUFS;
    this.commandTtlMs = raw.LOA_COMMAND_TTL_S * 1000;
    const cert = raw.LOA_TLS_CERT_FILE;
    const key = raw.LOA_TLS_KEY_FILE;
    if ((cert === undefined) !== (key === undefined)) throw new ConfigError('LOA_TLS_CERT_FILE and LOA_TLS_KEY_FILE must be set together');
    this.tls = cert !== undefined && key !== undefined ? { certFile: path.resolve(cert), keyFile: path.resolve(key) } : null;
    this.mqttsPort = raw.LOA_MQTTS_PORT;
    this.mqttPlain = raw.LOA_MQTT_PLAIN;
    this.publicHttpUrl = raw.LOA_PUBLIC_HTTP_URL ?? null;
    this.publicMqttUrl = raw.LOA_PUBLIC_MQTT_URL ?? null;
    this.deviceLoginMaxFailures = raw.LOA_DEVICE_LOGIN_MAX_FAILURES;
    this.deviceLoginMaxDelayMs = raw.LOA_DEVICE_LOGIN_MAX_DELAY_S * 1000;
    this.deviceLoginWindowMs = raw.LOA_DEVICE_LOGIN_LOCKOUT_S * 1000;
    this.deviceLoginUnknownPerAddress = raw.LOA_DEVICE_LOGIN_UNKNOWN_PER_ADDRESS;
    this.audio = {
      format: raw.LOA_AUDIO_FORMAT,
      bitrateKbps: raw.LOA_AUDIO_BITRATE_KBPS,
      sampleRate: raw.LOA_AUDIO_FORMAT === 'opus' ? 48_000 : raw.LOA_AUDIO_SAMPLE_RATE,
      channels: raw.LOA_AUDIO_CHANNELS,
      targetLufs: raw.LOA_LOUDNESS_TARGET_LUFS,
      truePeakDbtp: raw.LOA_LOUDNESS_TRUE_PEAK_DBTP,
      trimSilence: raw.LOA_AUDIO_TRIM_SILENCE,
    };
    this.mediaConcurrency = raw.LOA_MEDIA_CONCURRENCY;
    this.externalBroker = externalBroker(raw);
    this.brokerAuthToken = raw.LOA_BROKER_AUTH_TOKEN ?? null;
    if (this.externalBroker?.accounts === 'http' && this.brokerAuthToken === null) {
      throw new ConfigError('LOA_BROKER_ACCOUNTS=http needs LOA_BROKER_AUTH_TOKEN: the token the broker sends to the HTTP auth endpoint');
    }
    const emqx = [raw.LOA_EMQX_API_URL, raw.LOA_EMQX_API_KEY, raw.LOA_EMQX_API_SECRET];
    if (emqx.some((v) => v !== undefined) && emqx.some((v) => v === undefined)) {
      throw new ConfigError('LOA_EMQX_API_URL, LOA_EMQX_API_KEY and LOA_EMQX_API_SECRET must be set together');
    }
    this.emqxApi = raw.LOA_EMQX_API_URL !== undefined ? { url: raw.LOA_EMQX_API_URL, key: raw.LOA_EMQX_API_KEY!, secret: raw.LOA_EMQX_API_SECRET! } : null;
    this.instanceId = raw.LOA_INSTANCE_ID ?? `${hostname().replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 50)}-${process.pid}`;
    this.clustered = this.database.type === 'postgres';
    const proxy = raw.LOA_TRUST_PROXY?.trim();
    this.trustProxy = proxy === undefined || proxy === '' ? null : /^\d+$/.test(proxy) ? Number(proxy) : proxy.split(',').map((p) => p.trim()).filter((p) => p !== '');
    try {
      this.tts = buildTtsConfig(raw);
      this.notify = buildNotifyConfig(raw);
      this.map = buildMapConfig(raw);
      this.metrics = buildMetricsConfig(raw);
      this.ota = buildOtaConfig(raw);
      this.practice = buildPracticeConfig(raw);
    } catch (e) {
      throw new ConfigError((e as Error).message);
    }
  }

  /** Reads LOA_* from the environment over an optional JSON file named by LOA_CONFIG_FILE. */
  static load(env: NodeJS.ProcessEnv = process.env): AppConfig {
    let fromFile: Record<string, unknown> = {};
    const file = env.LOA_CONFIG_FILE;
    if (file) {
      try {
        fromFile = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      } catch (e) {
        throw new ConfigError(`LOA_CONFIG_FILE: cannot read ${file} as JSON (${(e as Error).message})`);
      }
      if (typeof fromFile !== 'object' || fromFile === null || Array.isArray(fromFile)) {
        throw new ConfigError(`LOA_CONFIG_FILE: ${file} must hold a JSON object of LOA_* settings`);
      }
    }
    const fromEnv = Object.fromEntries(Object.entries(env).filter(([k, v]) => k.startsWith('LOA_') && v !== ''));
    const merged = { ...fromFile, ...fromEnv };
    const unknown = Object.keys(fromFile).filter((k) => !(k in configSchema.shape));
    if (unknown.length > 0) throw new ConfigError(`LOA_CONFIG_FILE: unknown setting(s) ${unknown.join(', ')}`);
    const parsed = configSchema.safeParse(merged);
    if (!parsed.success) {
      const lines = parsed.error.issues.map((i) => `${i.path.join('.')}=${JSON.stringify(getPath(merged, i.path))}: ${i.message}`);
      throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
    }
    return new AppConfig(parsed.data);
  }
}

function externalBroker(raw: RawConfig): ExternalBrokerConfig | null {
  const url = raw.LOA_MQTT_URL;
  if (url === undefined) {
    const stray = (['LOA_MQTT_USERNAME', 'LOA_MQTT_PASSWORD', 'LOA_MQTT_CA_FILE', 'LOA_MQTT_CLIENT_CERT_FILE', 'LOA_MQTT_CLIENT_KEY_FILE', 'LOA_BROKER_ACCOUNTS'] as const).filter((k) => raw[k] !== undefined);
    if (stray.length > 0) throw new ConfigError(`${stray.join(', ')} only apply with an external broker: set LOA_MQTT_URL too, or remove them`);
    return null;
  }
  if (raw.LOA_BROKER_ACCOUNTS === undefined) {
    throw new ConfigError('LOA_MQTT_URL needs LOA_BROKER_ACCOUNTS: dynsec (Mosquitto dynamic security), http (EMQX and others ask the server) or none (managed outside Loa)');
  }
  if ((raw.LOA_MQTT_USERNAME === undefined) !== (raw.LOA_MQTT_PASSWORD === undefined)) throw new ConfigError('LOA_MQTT_USERNAME and LOA_MQTT_PASSWORD must be set together');
  if (raw.LOA_BROKER_ACCOUNTS === 'dynsec' && raw.LOA_MQTT_USERNAME === undefined) {
    throw new ConfigError('LOA_BROKER_ACCOUNTS=dynsec needs LOA_MQTT_USERNAME and LOA_MQTT_PASSWORD: an account with the dynamic-security admin role');
  }
  const cert = raw.LOA_MQTT_CLIENT_CERT_FILE;
  const key = raw.LOA_MQTT_CLIENT_KEY_FILE;
  if ((cert === undefined) !== (key === undefined)) throw new ConfigError('LOA_MQTT_CLIENT_CERT_FILE and LOA_MQTT_CLIENT_KEY_FILE must be set together');
  return {
    url,
    username: raw.LOA_MQTT_USERNAME,
    password: raw.LOA_MQTT_PASSWORD,
    caFile: raw.LOA_MQTT_CA_FILE === undefined ? undefined : path.resolve(raw.LOA_MQTT_CA_FILE),
    clientCert: cert !== undefined && key !== undefined ? { certFile: path.resolve(cert), keyFile: path.resolve(key) } : undefined,
    shareGroup: raw.LOA_MQTT_SHARE_GROUP,
    accounts: raw.LOA_BROKER_ACCOUNTS,
  };
}

function getPath(obj: Record<string, unknown>, p: PropertyKey[]): unknown {
  return p.length === 1 ? obj[p[0] as string] : undefined;
}

