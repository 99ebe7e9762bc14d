import { readFileSync } from 'node:fs';
import { ConfigError } from '../config/app-config.js';

/** PEM certificate chain and private key for the HTTPS and MQTTS listeners. */
export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
}

export const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----/;
export const PEM_PRIVATE_KEY = /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/;

/** Reads a PEM file named by a setting; a missing or non-PEM file is a ConfigError naming the setting. */
export function readPem(file: string, setting: string, marker: RegExp, what: string): Buffer {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (err) {
    throw new ConfigError(`${setting}: cannot read ${file} (${(err as Error).message})`);
  }
  if (!marker.test(data.toString('latin1'))) throw new ConfigError(`${setting}: ${file} does not hold a PEM ${what}`);
  return data;
}

/**
 * Reads LOA_TLS_CERT_FILE and LOA_TLS_KEY_FILE, refusing (with the setting's name) files that are missing or not PEM,
 * so a typo fails at start-up instead of at the first device's handshake.
 */
export function readTlsMaterial(files: { certFile: string; keyFile: string }): TlsMaterial {
  return {
    cert: readPem(files.certFile, 'LOA_TLS_CERT_FILE', PEM_CERTIFICATE, 'certificate'),
    key: readPem(files.keyFile, 'LOA_TLS_KEY_FILE', PEM_PRIVATE_KEY, 'private key'),
  };
}
