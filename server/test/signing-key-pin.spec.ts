/**
 * Devices pin one server key: instances on one PostgreSQL database refuse to start with another key than the one
 * recorded by the first (SigningKeyPin), and say which setting to fix.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DataSource } from 'typeorm';
import { exportPrivateKeyPem, generateSigningKey, type SigningKey } from '@loa/shared';
import { ConfigError } from '../src/config/app-config.js';
import { SIGNING_KEY_SETTING } from '../src/signing/signing-key.repository.js';
import { openPostgres, type TestDatabase } from './support/databases.js';
import { startTestServer } from './support/server.js';

describe('one device signing key for every instance on PostgreSQL', () => {
  let db: TestDatabase;
  let url: string;
  let dir: string;
  const keyFile = (name: string, key: SigningKey): string => {
    const file = path.join(dir, `${name}.pem`);
    writeFileSync(file, exportPrivateKeyPem(key), { mode: 0o600 });
    return file;
  };
  const recorded = async (): Promise<unknown> =>
    ((await db.dataSource.query('SELECT value FROM settings WHERE key = $1', [SIGNING_KEY_SETTING])) as Array<{ value: string }>).map((r) => JSON.parse(r.value) as unknown);

  beforeAll(async () => {
    db = await openPostgres();
    url = (db.dataSource.options as { url: string }).url;
    dir = mkdtempSync(path.join(tmpdir(), 'loa-keys-'));
  });

  afterAll(async () => {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records the first key, lets the same key in again, and refuses another, naming LOA_SIGNING_KEY_FILE', async () => {
    const first = generateSigningKey();
    const other = generateSigningKey();
    const firstFile = keyFile('first', first);
    const otherFile = keyFile('other', other);

    const a = await startTestServer({ LOA_DATABASE_URL: url, LOA_INSTANCE_ID: 'pin-a', LOA_SIGNING_KEY_FILE: firstFile });
    try {
      expect(await recorded()).toEqual([{ kid: first.kid, publicKey: first.publicKeyB64 }]);
      // A second instance beside the first: same key, starts; another key, refused.
      const b = await startTestServer({ LOA_DATABASE_URL: url, LOA_INSTANCE_ID: 'pin-b', LOA_SIGNING_KEY_FILE: firstFile });
      await b.close();
      const refused = startTestServer({ LOA_DATABASE_URL: url, LOA_INSTANCE_ID: 'pin-c', LOA_SIGNING_KEY_FILE: otherFile });
      await expect(refused).rejects.toThrow(ConfigError);
      await expect(refused).rejects.toThrow(`LOA_SIGNING_KEY_FILE: ${otherFile} holds the device signing key ${other.kid}, but the instances of this database sign with key ${first.kid}`);
      // The refused instance changed nothing, and the running one still signs with its key.
      expect(await recorded()).toEqual([{ kid: first.kid, publicKey: first.publicKeyB64 }]);
      expect((await a.api<{ kid: string }>('GET', '/api/v1/signing-key')).body.kid).toBe(first.kid);
    } finally {
      await a.close();
    }

    // With every instance stopped, the database still remembers: a restart with the other key is refused too.
    await expect(startTestServer({ LOA_DATABASE_URL: url, LOA_INSTANCE_ID: 'pin-a', LOA_SIGNING_KEY_FILE: otherFile })).rejects.toThrow(/LOA_SIGNING_KEY_FILE/);
    const again = await startTestServer({ LOA_DATABASE_URL: url, LOA_INSTANCE_ID: 'pin-a', LOA_SIGNING_KEY_FILE: firstFile });
    await again.close();
  });

  it('leaves a single SQLite server alone (nothing to agree with)', async () => {
    const t = await startTestServer({ LOA_SIGNING_KEY_FILE: keyFile('solo', generateSigningKey()) });
    try {
      expect((await t.server.app.get(DataSource).query('SELECT key FROM settings WHERE key = ?', [SIGNING_KEY_SETTING])) as unknown[]).toEqual([]);
    } finally {
      await t.close();
    }
  });
});
