import { z } from 'zod';

/**
 * Issue 21, practice mode. On the main server: how many practice instances (sandboxes) may run and when an idle one
 * is stopped. On a practice instance (LOA_PRACTICE_MODE=1, started by the main server, never by hand): the sandbox
 * secret its identity assertions and seed calls are signed with, and no outward path at all.
 */
export const practiceSettingsShape = {
  LOA_PRACTICE_MODE: z.enum(['true', 'false', '1', '0']).default('false').transform((v) => v === 'true' || v === '1'),
  /** Set by the main server for each practice instance it starts; at least 32 characters. */
  LOA_PRACTICE_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  /** A sandbox nobody used for this many minutes is stopped (its data is kept; the next use starts it again). */
  LOA_PRACTICE_IDLE_MIN: z.coerce.number().positive().max(24 * 60).default(30),
  /** Practice instances this server runs at once (each is a Loa server process, ~100 MB); 0 turns practice off. */
  LOA_PRACTICE_MAX_SANDBOXES: z.coerce.number().int().min(0).max(200).default(10),
};

type PracticeRaw = {
  LOA_PRACTICE_MODE: boolean;
  LOA_PRACTICE_SECRET?: string | undefined;
  LOA_PRACTICE_IDLE_MIN: number;
  LOA_PRACTICE_MAX_SANDBOXES: number;
};

export interface PracticeConfig {
  /** This server is a practice instance. */
  mode: boolean;
  /** The sandbox secret (practice instance only). */
  secret: string | null;
  idleMs: number;
  maxSandboxes: number;
}

/**
 * Settings that reach outside the installation, refused on a practice instance: anything done in practice must
 * stay in its own database and broker. Each with what it does, for the message.
 */
const OUTWARD: ReadonlyArray<readonly [string, string]> = [
  ['LOA_MQTT_URL', 'an external broker (real devices connect to it)'],
  ['LOA_SMTP_URL', 'e-mail notifications'],
  ['LOA_NOTIFY_SMS_URL', 'SMS notifications'],
  ['LOA_OTA_RELEASE_KEYS', 'agent updates over the air'],
  ['LOA_BROKER_AUTH_TOKEN', 'the external broker auth endpoint'],
  ['LOA_EMQX_API_URL', 'the EMQX API'],
  ['LOA_PUBLIC_MQTT_URL', 'a device-facing broker address'],
];

/** Throws a plain Error (AppConfig turns it into a ConfigError) naming every outward setting found. */
export function buildPracticeConfig(raw: PracticeRaw & Record<string, unknown>): PracticeConfig {
  if (raw.LOA_PRACTICE_MODE) {
    const found = OUTWARD.filter(([k]) => {
      const v = raw[k];
      return v !== undefined && v !== '';
    });
    if (found.length > 0) {
      throw new Error(
        `LOA_PRACTICE_MODE=1 is a practice instance, which must not reach anything outside it; remove ${found.map(([k, what]) => `${k} (${what})`).join(', ')}`,
      );
    }
    const db = raw['LOA_DATABASE_URL'];
    if (typeof db === 'string' && !db.startsWith('sqlite:')) throw new Error('LOA_PRACTICE_MODE=1 keeps its own SQLite database: remove LOA_DATABASE_URL (the main database must never receive practice rows)');
    if (raw.LOA_PRACTICE_SECRET === undefined) throw new Error('LOA_PRACTICE_MODE=1 needs LOA_PRACTICE_SECRET (the main server sets it when it starts a practice instance)');
  }
  return {
    mode: raw.LOA_PRACTICE_MODE,
    secret: raw.LOA_PRACTICE_MODE ? (raw.LOA_PRACTICE_SECRET ?? null) : null,
    idleMs: Math.round(raw.LOA_PRACTICE_IDLE_MIN * 60_000),
    maxSandboxes: raw.LOA_PRACTICE_MAX_SANDBOXES,
  };
}
