import { copySqliteTemplate, openPostgres } from './databases.js';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AppConfig } from '../../src/config/app-config.js';
import { startServer, type RunningServer } from '../../src/bootstrap.js';
import { exportPrivateKeyPem, generateSigningKey } from '@loa/shared';
import { silentLogger } from './fixtures.js';

/**
 * Servers on one PostgreSQL database must sign with one key (SigningKeyPin): without LOA_SIGNING_KEY_FILE, every
 * test server of this process on PostgreSQL uses this one, as instances of a cluster share theirs.
 */
function sharedTestSigningKey(): string {
  const file = path.join(tmpdir(), `loa-test-signing-key-${process.pid}.pem`);
  if (!existsSync(file)) writeFileSync(file, exportPrivateKeyPem(generateSigningKey()), { mode: 0o600 });
  return file;
}

export const ADMIN_PASSWORD = 'test-password';

export interface TestServer {
  server: RunningServer;
  baseUrl: string;
  mqttUrl: string;
  dataDir: string;
  token: string;
  api<T = unknown>(method: string, url: string, body?: unknown): Promise<{ status: number; body: T }>;
  close(): Promise<void>;
}

/**
 * A whole server in this process on ephemeral loopback ports, SQLite in a temp dir, logged in as admin. Approval rules
 * default to `permissive` (the behaviour before issue 7) so suites about other features are not held for approval;
 * pass LOA_APPROVAL_RULES_DEFAULT=standard or PUT /api/v1/settings/approval to test the rules. `env` overrides any
 * setting, e.g. LOA_MQTT_URL and LOA_BROKER_ACCOUNTS=none to run the server on an external broker (see
 * test/external-broker.spec.ts), whose URL then is `mqttUrl`.
 */
export async function startTestServer(env: Record<string, string> = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'loa-srv-'));
  // The server's default SQLite file, pre-migrated: the server's own migration run then finds nothing to do.
  if (!env.LOA_DATABASE_URL) await copySqliteTemplate(path.join(dataDir, 'loa.sqlite'));
  const config = AppConfig.load({
    LOA_DATA_DIR: dataDir,
    LOA_HTTP_HOST: '127.0.0.1',
    LOA_HTTP_PORT: '0',
    LOA_MQTT_HOST: '127.0.0.1',
    LOA_MQTT_PORT: '0',
    LOA_ADMIN_PASSWORD: ADMIN_PASSWORD,
    LOA_LOG_LEVEL: 'silent',
    LOA_APPROVAL_RULES_DEFAULT: 'permissive',
    ...(env.LOA_DATABASE_URL?.startsWith('postgres') ? { LOA_SIGNING_KEY_FILE: sharedTestSigningKey() } : {}),
    ...env,
  });
  const server = await startServer(config, silentLogger).catch((err: unknown) => {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  });
  const baseUrl = `http://127.0.0.1:${server.httpPort}`;
  let token = '';
  const api = async <T>(method: string, url: string, body?: unknown) => {
    const res = await fetch(baseUrl + url, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
  const login = await api<{ accessToken: string }>('POST', '/api/v1/auth/login', { username: 'admin', password: ADMIN_PASSWORD });
  token = login.body.accessToken;
  return {
    server,
    baseUrl,
    // Devices connect to the external broker when the server runs on one (LOA_MQTT_URL), else to the embedded one.
    mqttUrl: env.LOA_MQTT_URL ?? `mqtt://127.0.0.1:${server.mqttPort}`,
    dataDir,
    token,
    api,
    close: async () => {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The whole server in-process, on SQLite or on a fresh PostgreSQL database (dropped on close). */
export async function startTestServerOn(db: string, env: Record<string, string> = {}): Promise<{ t: TestServer; close(): Promise<void> }> {
  if (db === 'sqlite') {
    const t = await startTestServer(env);
    return { t, close: () => t.close() };
  }
  const pg = await openPostgres();
  const t = await startTestServer({ LOA_DATABASE_URL: (pg.dataSource.options as { url: string }).url, ...env });
  return {
    t,
    close: async () => {
      await t.close();
      await pg.close();
    },
  };
}
