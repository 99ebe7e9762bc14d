import { readFile } from 'node:fs/promises';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { createHttpClient, defaultHttpFetch, type HttpFetch } from './http.js';

export type { HttpFetch } from './http.js';

export type MqttConnect = (url: string, opts: IClientOptions) => MqttClient;

/** How the agent reaches the server: plain HTTP(S) and mqtt.connect, or both trusting a private CA. */
export interface Network {
  fetch: HttpFetch;
  connect: MqttConnect;
}

export const defaultNetwork = (): Network => ({ fetch: defaultHttpFetch, connect: (url, opts) => mqtt.connect(url, opts) });
/** Reads a PEM CA certificate (bundle), refusing anything else with a message naming the file. */
export async function loadCa(file: string): Promise<Buffer> {
  let pem: Buffer;
  try {
    pem = await readFile(file);
  } catch (err) {
    throw new Error(`caFile: cannot read ${file} (${(err as Error).message})`);
  }
  if (!pem.toString('latin1').includes('-----BEGIN CERTIFICATE-----')) throw new Error(`caFile: ${file} holds no PEM certificate`);
  return pem;
}

/**
 * A network that trusts `ca` — and only it, in place of the system's public CAs — for mqtts:// and https://.
 * HTTPS goes through a keep-alive agent, so the clock sync's exchanges reuse one TLS connection.
 */
export function trustingNetwork(ca: Buffer): Network {
  return { fetch: createHttpClient({ ca }), connect: (url, opts) => mqtt.connect(url, { ...opts, ca }) };
}
