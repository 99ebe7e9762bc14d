import { sign as signAsync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { exportPrivateKeyPem, generateSigningKey, PROTOCOL_VERSION, signingKeyFromPrivate, signMessage, signText, type SignedEnvelope, type SigningKey } from '@loa/shared';
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

  /**
   * signText on libuv's thread pool: a province's fan-out signs 10,000–20,000 timelines and patches (~70 µs each),
   * which on the event loop would hold up every device message and HTTP answer for a second or more. Ed25519 is
   * deterministic, so the envelope is byte for byte the one signText makes.
   */
  signTextOffThread(json: string): Promise<Buffer> {
    const { privateKey, kid } = this.key;
    return new Promise((resolve, reject) =>
      signAsync(null, Buffer.from(json), privateKey, (err, sig) => {
        if (err) return reject(err);
        const envelope: SignedEnvelope = { v: PROTOCOL_VERSION, alg: 'Ed25519', kid, payload: json, sig: sig.toString('base64url') };
        resolve(Buffer.from(JSON.stringify(envelope)));
      }),
    );
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
