import { writeFile } from 'node:fs/promises';
import { SIGNING_KEY_PATH } from '@loa/shared';
import { sampleTree, type SampleTreeOptions } from './area-tree.js';
import type { CredentialsFile } from './types.js';

/** A refusal from the Loa REST API, carrying the server's own message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    what: string,
  ) {
    super(`${what} → HTTP ${status}: ${body.slice(0, 500)}`);
    this.name = 'ApiError';
  }
}

/**
 * The few REST calls the simulator, the demo and the bench make (admin token after login). Access tokens are short-lived
 * (LOA_ACCESS_TOKEN_TTL_MINUTES), and a bench or demo outlives one: a 401 trades the refresh token for a new pair once.
 */
export class LoaApi {
  private refreshing: Promise<void> | null = null;

  private constructor(
    readonly baseUrl: string,
    private accessToken: string,
    private refreshToken: string | null,
  ) {}

  get token(): string {
    return this.accessToken;
  }

  static async login(baseUrl: string, username: string, password: string): Promise<LoaApi> {
    const base = baseUrl.replace(/\/+$/, '');
    const r = await call<{ accessToken: string; refreshToken?: string }>(base, null, 'POST', '/api/v1/auth/login', { username, password }, [200, 201]);
    return new LoaApi(base, r.accessToken, r.refreshToken ?? null);
  }

  async request<T>(method: string, path: string, body?: unknown, ok: number[] = [200, 201]): Promise<T> {
    const r = await this.raw(method, path, body);
    if (!ok.includes(r.status)) throw new ApiError(r.status, r.text, `${method} ${path}`);
    return (r.text ? JSON.parse(r.text) : undefined) as T;
  }

  /** Status and body without throwing on an HTTP status (e.g. to tell "exists" or "not implemented" apart). */
  async raw(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
    const used = this.accessToken;
    const r = await rawCall(this.baseUrl, used, method, path, body);
    if (r.status !== 401 || this.refreshToken === null) return r;
    await this.renew(used);
    return rawCall(this.baseUrl, this.accessToken, method, path, body);
  }

  /** One refresh however many calls hit 401 together (a refresh token works once). */
  private async renew(expired: string): Promise<void> {
    if (this.accessToken !== expired) return;
    this.refreshing ??= call<{ accessToken: string; refreshToken: string }>(this.baseUrl, null, 'POST', '/api/v1/auth/refresh', { refreshToken: this.refreshToken }, [200])
      .then((r) => {
        this.accessToken = r.accessToken;
        this.refreshToken = r.refreshToken;
      })
      .finally(() => (this.refreshing = null));
    await this.refreshing;
  }
}

async function rawCall(base: string, token: string | null, method: string, path: string, body?: unknown): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    signal: AbortSignal.timeout(300_000),
  });
  return { status: res.status, text: await res.text() };
}

async function call<T>(base: string, token: string | null, method: string, path: string, body: unknown, ok: number[]): Promise<T> {
  const r = await rawCall(base, token, method, path, body);
  if (!ok.includes(r.status)) throw new ApiError(r.status, r.text, `${method} ${path}`);
  return (r.text ? JSON.parse(r.text) : undefined) as T;
}

export interface ProvisionOptions extends SampleTreeOptions {
  serverUrl: string;
  mqttUrl?: string;
  username: string;
  password: string;
  /** Devices per bulk call (the server takes at most 20,000; the JSON body limit is the tighter bound). */
  chunk?: number;
  /** false: one `POST /api/v1/devices` per device (16 in parallel) instead of the bulk endpoint. */
  bulk?: boolean;
  onProgress?: (registered: number, total: number) => void;
}

/**
 * Creates a sample area tree and registers the devices in bulk (`POST /api/v1/devices/bulk`, falling back to one
 * `POST /api/v1/devices` per device on a server without it). Areas that already exist are reused.
 */
export async function provision(opts: ProvisionOptions): Promise<CredentialsFile & { devices: NonNullable<CredentialsFile['devices']> }> {
  const api = await LoaApi.login(opts.serverUrl, opts.username, opts.password);
  const tree = sampleTree(opts);
  for (const a of tree.areas) {
    const r = await api.raw('POST', '/api/v1/areas', { code: a.code, name: a.name, level: a.level, ...(a.parentCode ? { parentCode: a.parentCode } : {}) });
    if (r.status !== 201 && r.status !== 200 && r.status !== 409) throw new ApiError(r.status, r.text, `POST /api/v1/areas ${a.code}`);
  }
  const chunk = Math.max(1, Math.min(opts.chunk ?? 2000, 20_000));
  const secrets = new Map<string, string>();
  let bulk = opts.bulk ?? true;
  for (let i = 0; i < tree.devices.length; i += chunk) {
    const part = tree.devices.slice(i, i + chunk);
    if (bulk) {
      const r = await api.raw('POST', '/api/v1/devices/bulk', { devices: part.map(({ id, name, kind, areaCode }) => ({ id, name, kind, areaCode })) });
      if (r.status === 201 || r.status === 200) {
        const body = JSON.parse(r.text) as { devices: { id: string; secret: string }[] };
        for (const d of body.devices) secrets.set(d.id, d.secret);
        opts.onProgress?.(secrets.size, tree.devices.length);
        continue;
      }
      if (r.status !== 404) throw new ApiError(r.status, r.text, 'POST /api/v1/devices/bulk');
      bulk = false;
    }
    await pool(part, 16, async (d) => {
      const body = await api.request<{ secret: string }>('POST', '/api/v1/devices', { id: d.id, name: d.name, kind: d.kind, areaCode: d.areaCode }, [201]);
      secrets.set(d.id, body.secret);
    });
    opts.onProgress?.(secrets.size, tree.devices.length);
  }
  const devices = tree.devices.map((d) => {
    const secret = secrets.get(d.id);
    if (!secret) throw new Error(`the server returned no secret for ${d.id}`);
    return { id: d.id, secret, kind: d.kind, areaCode: d.areaCode, areaCodes: d.areaCodes };
  });
  const key = await api.request<{ publicKey: string }>('GET', SIGNING_KEY_PATH);
  return {
    serverUrl: api.baseUrl,
    ...(opts.mqttUrl ? { mqttUrl: opts.mqttUrl } : {}),
    serverPublicKey: key.publicKey,
    provinceCode: tree.provinceCode,
    areas: tree.areas,
    devices,
  };
}

/** Writes a credentials file readable only by its owner (it holds device secrets). */
export async function writeCredentials(path: string, creds: CredentialsFile): Promise<void> {
  await writeFile(path, `${JSON.stringify(creds, null, 1)}\n`, { mode: 0o600 });
}

async function pool<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await fn(item);
      }
    }),
  );
}
