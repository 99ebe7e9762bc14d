import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { WaitAborted, waitFor } from './wait.js';

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
  text: string;
}

/** An HTTP answer other than the one the test expected; the message carries the server's own error text. */
export class ApiError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly body: unknown,
    expected: number,
  ) {
    super(`${method} ${path} → ${status} (expected ${expected}): ${typeof body === 'string' ? body : JSON.stringify(body)}`);
    this.name = 'ApiError';
  }
}

/** Minimal REST client for the Loa API; `token` is sent as a Bearer token when present. */
export class Api {
  constructor(
    readonly baseUrl: string,
    readonly token?: string,
  ) {}

  static async login(baseUrl: string, username: string, password: string): Promise<Api> {
    const anon = new Api(baseUrl);
    const { accessToken } = await anon.post<{ accessToken: string }>('/api/v1/auth/login', { username, password }, 200);
    if (typeof accessToken !== 'string' || accessToken.length === 0) throw new Error('login answered without an accessToken');
    return new Api(baseUrl, accessToken);
  }

  /** Same server, no credentials (for 401 checks). */
  anonymous(): Api {
    return new Api(this.baseUrl);
  }

  /** Never throws on an HTTP status; only on network errors. */
  async request<T = unknown>(method: string, urlPath: string, body?: unknown | FormData, headers: Record<string, string> = {}): Promise<ApiResponse<T>> {
    const h: Record<string, string> = { accept: 'application/json', ...headers };
    if (this.token) h.authorization = `Bearer ${this.token}`;
    let payload: string | FormData | undefined;
    if (body instanceof FormData) payload = body;
    else if (body !== undefined) {
      payload = JSON.stringify(body);
      h['content-type'] = 'application/json';
    }
    const res = await fetch(`${this.baseUrl}${urlPath}`, { method, headers: h, body: payload, signal: AbortSignal.timeout(60_000) });
    const text = await res.text();
    let parsed: unknown = text;
    if (text.length > 0 && (res.headers.get('content-type') ?? '').includes('json')) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = text;
      }
    }
    return { status: res.status, body: parsed as T, text };
  }

  async expect<T>(method: string, urlPath: string, expected: number, body?: unknown): Promise<T> {
    const r = await this.request<T>(method, urlPath, body);
    if (r.status !== expected) throw new ApiError(method, urlPath, r.status, r.body, expected);
    return r.body;
  }

  get<T = unknown>(urlPath: string, expected = 200): Promise<T> {
    return this.expect<T>('GET', urlPath, expected);
  }

  post<T = unknown>(urlPath: string, body: unknown, expected = 201): Promise<T> {
    return this.expect<T>('POST', urlPath, expected, body);
  }

  /** multipart/form-data upload of a local file in field `file` (POST /api/v1/media). */
  async uploadRaw<T = unknown>(urlPath: string, file: string, contentType: string, field = 'file'): Promise<ApiResponse<T>> {
    const form = new FormData();
    form.append(field, new Blob([await readFile(file)], { type: contentType }), path.basename(file));
    return this.request<T>('POST', urlPath, form);
  }

  async upload<T = unknown>(urlPath: string, file: string, contentType: string, expected = 201): Promise<T> {
    const r = await this.uploadRaw<T>(urlPath, file, contentType);
    if (r.status !== expected) throw new ApiError('POST', urlPath, r.status, r.body, expected);
    return r.body;
  }
}

// ---- the REST contract the e2e tests are written against ---------------------------------------------------

export type AreaLevel = 'country' | 'province' | 'district' | 'commune' | 'village';
export type DeviceKind = 'speaker' | 'board';

export interface Health {
  status: 'ok';
  mqttPort: number | null;
  counters: Record<string, number>;
  [k: string]: unknown;
}

export interface DeviceView {
  id: string;
  name: string;
  kind: DeviceKind;
  areaCode: string;
  online: boolean;
  timelineVersion: number;
  ackedTimelineVersion: number | null;
  lastSeenAt: string | number | null;
  [k: string]: unknown;
}

export interface CreatedDevice {
  device: DeviceView;
  secret: string;
}

export interface MediaView {
  sha256: string;
  durationMs: number;
  [k: string]: unknown;
}

export interface ContentView {
  id: string;
  durationMs: number;
  [k: string]: unknown;
}

export interface ScheduleView {
  id: string;
  occurrences: Array<{ id: string; startAt: string | number }>;
  deviceCount: number;
  [k: string]: unknown;
}

export interface DeliveryView {
  occurrenceId: string;
  deviceId: string;
  state: 'queued' | 'delivered' | 'started' | 'finished' | 'failed' | 'preempted' | 'skipped' | 'expired';
  deliveredAt: string | number | null;
  startedAt: string | number | null;
  endedAt: string | number | null;
  playedMs: number | null;
  reason: string | null;
}

/** Typed shortcuts over the contract (each throws ApiError, quoting the server, on an unexpected status). */
export const loa = {
  createArea: (api: Api, a: { code: string; name: string; level: AreaLevel; parentCode?: string }) => api.post<Record<string, unknown>>('/api/v1/areas', a),
  createDevice: (api: Api, d: { id: string; name: string; kind: DeviceKind; areaCode: string }) => api.post<CreatedDevice>('/api/v1/devices', d),
  getDevice: (api: Api, id: string) => api.get<DeviceView>(`/api/v1/devices/${encodeURIComponent(id)}`),
  uploadAudio: (api: Api, file: string, mime = 'audio/mpeg') => api.upload<MediaView>('/api/v1/media', file, mime),
  createAudioContent: (api: Api, title: string, mediaSha256: string) => api.post<ContentView>('/api/v1/contents', { type: 'audio', title, mediaSha256, approve: true }),
  createTextContent: (api: Api, title: string, text: string, displaySeconds: number) =>
    api.post<ContentView>('/api/v1/contents', { type: 'text', title, text, displaySeconds, approve: true }),
  /** A schedule saved, once its fan-out job (issue 14) has materialised it and sent its devices their timelines. */
  createSchedule: async (
    api: Api,
    s: { contentId: string; startAt: string; targets: { areas?: string[]; devices?: string[] }; priority?: 'normal' | 'priority' | 'emergency'; volume?: number },
  ) => {
    const saved = await api.post<ScheduleView & { fanout: { id: string } | null }>('/api/v1/schedules', s);
    if (saved.fanout) await loa.fanoutDone(api, saved.fanout.id);
    return saved;
  },
  /** Reads GET /api/v1/fanouts/:id until the job is done (a failed job stops the wait at once). */
  fanoutDone: (api: Api, id: string) =>
    waitFor(
      async () => {
        const job = await api.get<{ state: string; error: string | null }>(`/api/v1/fanouts/${encodeURIComponent(id)}`);
        if (job.state === 'failed') throw new WaitAborted(`fan-out ${id} failed: ${job.error ?? ''}`);
        return job.state === 'done' ? job : undefined;
      },
      30_000,
      { what: `fan-out ${id} done`, intervalMs: 50 },
    ),
  deliveries: (api: Api, scheduleId: string) => api.get<DeliveryView[]>(`/api/v1/schedules/${encodeURIComponent(scheduleId)}/deliveries`),
};

/** Pulls the human-readable message out of a NestJS error body ({message: string | string[]}) or any other shape. */
export function errorText(body: unknown): string {
  if (typeof body === 'string') return body;
  if (body && typeof body === 'object') {
    const m = (body as { message?: unknown }).message;
    if (typeof m === 'string') return m;
    if (Array.isArray(m)) return m.join('; ');
    return JSON.stringify(body);
  }
  return String(body);
}
