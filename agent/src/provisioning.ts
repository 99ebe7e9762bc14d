import { mkdir, readFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { ENROLL_PATH, enrollmentStatusPath, enrollmentStatusSchema, enrollResponseSchema, type EnrollRequest, type EnrollResponse } from '@loa/shared';
import { Backoff } from './backoff.js';
import { hasIdentity, type AgentConfig, type AgentSettings } from './config.js';
import { errorMessage } from './fsutil.js';
import { readIdentity, writeIdentity, type StoredIdentity } from './identity.js';
import { defaultHttpFetch, type HttpFetch } from './http.js';

/** Enrolment cannot go on without a person: the key is refused, the device was rejected, the identity is unknown. */
export class ProvisioningError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProvisioningError';
  }
}

export interface ProvisioningDeps {
  logger: Logger;
  fetch?: HttpFetch;
  /** Aborts the waiting (shutdown); the promise then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Delay between retries and status polls (default full jitter, 2 s base, capped at 60 s for enrolment, 30 s for polls). */
  backoff?: Backoff;
  /** Where the default hardware id comes from (tests). */
  machineIdFile?: string;
}

/**
 * The agent's identity, from the settings when they carry it whole, else from dataDir/identity.json, else by
 * enrolling with the provisioning key (stored at once, then waiting until an operator claims the device). Resolves
 * only once the device may connect: a complete AgentConfig.
 */
export async function resolveIdentity(settings: AgentSettings, deps: ProvisioningDeps): Promise<AgentConfig> {
  if (hasIdentity(settings)) return settings;
  const dataDir = resolve(settings.dataDir);
  await mkdir(dataDir, { recursive: true });
  let identity = await readIdentity(dataDir);
  if (identity) {
    deps.logger.info({ deviceId: identity.deviceId, claimed: identity.claimed }, 'using the stored device identity');
  } else {
    const key = settings.provisioningKey;
    if (key === undefined) throw new ProvisioningError('no device identity: give deviceId, secret and serverPublicKey, or a provisioningKey');
    const hardwareId = settings.hardwareId ?? (await defaultHardwareId(deps.machineIdFile));
    const enrolled = await enroll(settings.serverUrl, { provisioningKey: key, hardwareId, kind: settings.kind, ...(settings.deviceId ? { deviceId: settings.deviceId } : {}) }, deps);
    if (settings.serverPublicKey !== undefined && settings.serverPublicKey !== enrolled.serverPublicKey) {
      throw new ProvisioningError('the server answered with a signing key other than the configured serverPublicKey: this is not the expected server');
    }
    identity = {
      v: 1,
      deviceId: enrolled.deviceId,
      secret: enrolled.secret,
      serverPublicKey: enrolled.serverPublicKey,
      claimed: enrolled.state === 'claimed',
      serverUrl: settings.serverUrl,
      hardwareId,
      enrolledAt: new Date().toISOString(),
    };
    await writeIdentity(dataDir, identity);
    deps.logger.info({ deviceId: identity.deviceId, hardwareId }, 'enrolled; identity stored');
  }
  if (settings.serverPublicKey !== undefined && settings.serverPublicKey !== identity.serverPublicKey) {
    throw new ProvisioningError('the server key stored at enrolment differs from the configured serverPublicKey: this is not the expected server');
  }
  if (!identity.claimed) {
    await waitUntilClaimed(settings.serverUrl, identity, deps);
    identity = { ...identity, claimed: true };
    await writeIdentity(dataDir, identity);
  }
  return { ...settings, deviceId: identity.deviceId, secret: identity.secret, serverPublicKey: identity.serverPublicKey };
}

/** POST the enrolment, retrying network failures and 5xx/429 with back-off; a refusal needs a person. */
export async function enroll(serverUrl: string, request: EnrollRequest, deps: ProvisioningDeps): Promise<EnrollResponse> {
  const backoff = deps.backoff ?? new Backoff({ baseMs: 2000, capMs: 60_000 });
  for (;;) {
    deps.signal?.throwIfAborted();
    let retry: string;
    try {
      const res = await (deps.fetch ?? defaultHttpFetch)(`${serverUrl}${ENROLL_PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(request),
        signal: timeout(deps.signal),
      });
      const text = await res.text();
      if (res.status === 200 || res.status === 201) {
        const parsed = enrollResponseSchema.safeParse(JSON.parse(text));
        if (!parsed.success) throw new ProvisioningError(`${ENROLL_PATH}: unexpected answer`);
        return parsed.data;
      }
      if (res.status < 500 && res.status !== 429 && res.status !== 408) throw new ProvisioningError(`enrolment refused (HTTP ${res.status}): ${serverMessage(text)}`);
      retry = `HTTP ${res.status}`;
    } catch (err) {
      if (err instanceof ProvisioningError || deps.signal?.aborted) throw err;
      retry = errorMessage(err);
    }
    const delay = backoff.next();
    deps.logger.warn({ err: retry, retryInMs: delay }, 'enrolment failed; will retry');
    await sleep(delay, deps.signal);
  }
}

/** Polls the enrolment status (HTTP Basic with the new identity) until an operator claimed the device. */
export async function waitUntilClaimed(serverUrl: string, identity: StoredIdentity, deps: ProvisioningDeps): Promise<void> {
  const backoff = deps.backoff ?? new Backoff({ baseMs: 2000, capMs: 30_000 });
  const authorization = `Basic ${Buffer.from(`${identity.deviceId}:${identity.secret}`).toString('base64')}`;
  let announced = false;
  for (;;) {
    deps.signal?.throwIfAborted();
    try {
      const res = await (deps.fetch ?? defaultHttpFetch)(`${serverUrl}${enrollmentStatusPath(identity.deviceId)}`, {
        headers: { authorization, accept: 'application/json' },
        signal: timeout(deps.signal),
      });
      const text = await res.text();
      if (res.status === 200) {
        const status = enrollmentStatusSchema.parse(JSON.parse(text));
        if (status.state === 'claimed') {
          deps.logger.info({ deviceId: identity.deviceId, areaCode: status.areaCode }, 'claimed by an operator');
          return;
        }
        if (status.state === 'rejected') throw new ProvisioningError(`an operator rejected the enrolment of ${identity.deviceId}`);
        if (!announced) {
          deps.logger.info({ deviceId: identity.deviceId, hardwareId: identity.hardwareId }, 'waiting for an operator to claim this device');
          announced = true;
        }
      } else if (res.status === 401 || res.status === 404) {
        throw new ProvisioningError(`the server does not accept this enrolment of ${identity.deviceId} (HTTP ${res.status}): delete identity.json to enrol again`);
      } else {
        deps.logger.warn({ status: res.status }, 'enrolment status unavailable; will retry');
      }
    } catch (err) {
      if (err instanceof ProvisioningError || deps.signal?.aborted) throw err;
      deps.logger.warn({ err: errorMessage(err) }, 'enrolment status unavailable; will retry');
    }
    await sleep(backoff.next(), deps.signal);
  }
}

/** /etc/machine-id (stable for the installation), else the host name. */
async function defaultHardwareId(file = '/etc/machine-id'): Promise<string> {
  const id = await readFile(file, 'utf8').then(
    (s) => s.trim(),
    () => '',
  );
  return id ? `machine-id:${id.slice(0, 100)}` : `host:${hostname().slice(0, 120)}`;
}

const timeout = (outer: AbortSignal | undefined): AbortSignal => (outer ? AbortSignal.any([outer, AbortSignal.timeout(15_000)]) : AbortSignal.timeout(15_000));

function serverMessage(text: string): string {
  try {
    const m = (JSON.parse(text) as { message?: unknown }).message;
    return typeof m === 'string' ? m : Array.isArray(m) ? m.join('; ') : text.slice(0, 200);
  } catch {
    return text.slice(0, 200);
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
