import { readFile } from 'node:fs/promises';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';

/** The fetch subset the agent uses (media download, clock sync, enrolment). */
export type HttpFetch = (
  url: string,
  init?: { method?: string; headers?: Record<string, string>; body?: string; signal?: AbortSignal },
) => Promise<Response>;

export type MqttConnect = (url: string, opts: IClientOptions) => MqttClient;

/** How the agent reaches the server: plain fetch and mqtt.connect, or both trusting a private CA. */
export interface Network {
  fetch: HttpFetch;
  connect: MqttConnect;
}

export const defaultNetwork = (): Network => ({ fetch: (url, init) => fetch(url, init), connect: (url, opts) => mqtt.connect(url, opts) });

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
 * Node's fetch cannot be given a CA without the undici package, so https:// requests go through node:https with a
 * keep-alive agent (the clock sync's exchanges then reuse one TLS connection) and are answered as standard
 * Response objects; other URLs use fetch unchanged.
 */
export function trustingNetwork(ca: Buffer): Network {
  const agent = new HttpsAgent({ ca, keepAlive: true, maxSockets: 8 });
  const fetchWithCa: HttpFetch = (url, init = {}) => {
    const target = new URL(url);
    if (target.protocol !== 'https:') return fetch(url, init);
    return new Promise<Response>((resolve, reject) => {
      const req = httpsRequest(target, { method: init.method ?? 'GET', headers: init.headers, agent, signal: init.signal }, (res) => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          if (Array.isArray(value)) for (const v of value) headers.append(name, v);
          else if (value !== undefined) headers.set(name, value);
        }
        const status = res.statusCode ?? 502;
        const noBody = init.method === 'HEAD' || status === 204 || status === 205 || status === 304;
        if (noBody) res.resume();
        const body = noBody ? null : (Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>);
        resolve(new Response(body, { status, statusText: res.statusMessage ?? '', headers }));
      });
      req.on('error', reject);
      req.end(init.body);
    });
  };
  return { fetch: fetchWithCa, connect: (url, opts) => mqtt.connect(url, { ...opts, ca }) };
}
