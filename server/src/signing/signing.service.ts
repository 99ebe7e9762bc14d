import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { exportPrivateKeyPem, generateSigningKey, signingKeyFromPrivate, signMessage, signText, type SigningKey } from '@loa/shared';
import { AppConfig, ConfigError } from '../config/app-config.js';
import type { AppLogger } from '../logging/logger.js';

/**
 * The server's Ed25519 identity towards devices. Every downstream MQTT message goes through sign(); agents pin
 * the public key at provisioning, so the key file is as precious as the database: back it up with it.
 */
export class SigningService {
  constructor(private readonly key: SigningKey) {}

  /** The key in AppConfig.signingKeyFile, created on first start. */
  static fromConfig(config: AppConfig, logger: AppLogger): SigningService {
    return new SigningService(loadOrCreateKey(config.signingKeyFile, logger));
  }

  /** Raw public key, base64url: what agents are configured with. */
  get publicKey(): string {
    return this.key.publicKeyB64;
  }

  get kid(): string {
    return this.key.kid;
  }

  sign(value: unknown): Buffer {
    return signMessage(this.key, value);
  }

  /** For messages stored already serialised. */
  signText(json: string): Buffer {
    return signText(this.key, json);
  }
}

function loadOrCreateKey(file: string, logger: AppLogger): SigningKey {
  if (existsSync(file)) {
    try {
      const key = signingKeyFromPrivate(readFileSync(file, 'utf8'));
      logger.info({ ctx: 'signing', kid: key.kid, file }, 'device signing key loaded');
      return key;
    } catch (err) {
      throw new ConfigError(`LOA_SIGNING_KEY_FILE: ${file} is not an Ed25519 private key in PKCS#8 PEM (${(err as Error).message}); restore it from backup, or move it away to create a new one (every device must then be re-provisioned)`);
    }
  }
  const key = generateSigningKey();
  try {
    mkdirSync(path.dirname(file), { recursive: true });
    // wx: never overwrite a key another process created a moment ago.
    writeFileSync(file, exportPrivateKeyPem(key), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    throw new ConfigError(`LOA_SIGNING_KEY_FILE: cannot create ${file} (${(err as Error).message})`);
  }
  logger.warn({ ctx: 'signing', kid: key.kid, file }, 'created a new device signing key; devices pin its public key at provisioning');
  return key;
}
