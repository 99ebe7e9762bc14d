import { z } from 'zod';
import { releasePublicKey } from '@loa/shared';

/**
 * Issue 20, agent updates over the air: the release public keys uploads are verified against (the same keys the
 * agents pin; the private key stays offline with whoever builds releases), the package size limit, and the guard
 * time before a playing slot within which no update is offered.
 */
export const otaSettingsShape = {
  LOA_OTA_RELEASE_KEYS: z
    .string()
    .trim()
    .default('')
    .superRefine((text, ctx) => {
      for (const key of splitKeys(text)) {
        try {
          releasePublicKey(key);
        } catch (e) {
          ctx.addIssue({ code: 'custom', message: `"${key.slice(0, 12)}…" is not an Ed25519 public key (raw 32 bytes, base64url): ${(e as Error).message}` });
        }
      }
    }),
  LOA_OTA_MAX_PACKAGE_MB: z.coerce.number().int().min(1).max(2048).default(200),
  /** No update is offered to a device with a slot playing or starting within this many seconds. */
  LOA_OTA_SLOT_GUARD_S: z.coerce.number().int().min(0).max(6 * 3600).default(600),
  /** How often the leader advances the running rollouts. */
  LOA_OTA_TICK_S: z.coerce.number().int().min(1).max(600).default(5),
};

const splitKeys = (text: string): string[] =>
  text
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k.length > 0);

export interface OtaConfig {
  /** Base64url raw Ed25519 public keys; empty: uploads are refused. */
  releaseKeys: string[];
  maxPackageBytes: number;
  slotGuardMs: number;
  tickMs: number;
}

export function buildOtaConfig(raw: { LOA_OTA_RELEASE_KEYS: string; LOA_OTA_MAX_PACKAGE_MB: number; LOA_OTA_SLOT_GUARD_S: number; LOA_OTA_TICK_S: number }): OtaConfig {
  return {
    releaseKeys: splitKeys(raw.LOA_OTA_RELEASE_KEYS),
    maxPackageBytes: raw.LOA_OTA_MAX_PACKAGE_MB * 1024 * 1024,
    slotGuardMs: raw.LOA_OTA_SLOT_GUARD_S * 1000,
    tickMs: raw.LOA_OTA_TICK_S * 1000,
  };
}
