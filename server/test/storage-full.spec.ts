import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { startServer, type RunningServer } from '../src/bootstrap.js';
import { AppConfig } from '../src/config/app-config.js';
import { PG_ADMIN_URL } from './support/databases.js';
import { silentLogger } from './support/fixtures.js';
import { makeMediaFixtures, type MediaFixtures } from './support/media-fixtures.js';
import { mountSmallDisk, type SmallDisk } from '../../test/support/small-disk.js';

interface Job {
  id: string;
  state: string;
  reason: string | null;
  message: string | null;
}

// Issue 12, item 3: the server's data directory on a real, small file system (tmpfs) that the tests fill up.
/** A server on loopback with ephemeral ports, its data where the test says. */
function loopbackConfig(env: Record<string, string>): AppConfig {
  return AppConfig.load({
    LOA_HTTP_HOST: '127.0.0.1',
    LOA_HTTP_PORT: '0',
    LOA_MQTT_HOST: '127.0.0.1',
    LOA_MQTT_PORT: '0',
    LOA_ADMIN_PASSWORD: 'test-password',
    LOA_LOG_LEVEL: 'silent',
    ...env,
  });
}

async function startAndLogin(config: AppConfig): Promise<{ server: RunningServer; base: string; bearer: string }> {
  const server = await startServer(config, silentLogger);
  const base = `http://127.0.0.1:${server.httpPort}`;
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'admin', password: 'test-password' }),
  });
  return { server, base, bearer: `Bearer ${((await login.json()) as { accessToken: string }).accessToken}` };
}

describe('a full data directory answers 507 and names it', () => {
  let disk: SmallDisk;
  let root: string;
  let fx: MediaFixtures;
  let config: AppConfig;
  let server: RunningServer;
  let base: string;
  let bearer: string;
  /** A source not stored before (a stored source is answered from the store without processing). */
  let otherWav: string;

  beforeAll(async () => {
    disk = mountSmallDisk(48 * 1024 * 1024, 'loa-full-data-');
    root = mkdtempSync(path.join(tmpdir(), 'loa-full-fx-'));
    fx = await makeMediaFixtures(root);
    otherWav = path.join(root, 'other.wav');
    execFileSync(ffmpegInstaller.path, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=770:duration=4', '-ac', '2', '-c:a', 'pcm_s16le', otherWav]);
    config = loopbackConfig({
      LOA_DATA_DIR: path.join(disk.dir, 'data'),
      // A delivered file larger than the room left after receiving the source (see the processing test).
      LOA_AUDIO_BITRATE_KBPS: '320',
      LOA_AUDIO_CHANNELS: '2',
    });
    ({ server, base, bearer } = await startAndLogin(config));
  }, 60_000);

  afterEach(() => disk.unfill());

  afterAll(async () => {
    await server?.close();
    disk?.close();
    rmSync(root, { recursive: true, force: true });
  });

  const post = (url: string, body: NonNullable<RequestInit['body']>, headers: Record<string, string> = {}) => fetch(`${base}${url}`, { method: 'POST', body, headers: { authorization: bearer, ...headers } });
  const postJson = (url: string, body: unknown) => post(url, JSON.stringify(body), { 'content-type': 'application/json' });
  const upload = (file: string) => {
    const form = new FormData();
    form.append('file', new Blob([readFileSync(file)]), path.basename(file));
    return post('/api/v1/media', form);
  };
  const jobs = async (): Promise<Job[]> => (await (await fetch(`${base}/api/v1/media/jobs`, { headers: { authorization: bearer } })).json()) as Job[];
  const answer = async (res: Response) => ({ status: res.status, message: ((await res.json()) as { message: string }).message });
  const uploadTemps = () => readdirSync(path.join(config.dataDir, 'tmp')).filter((n) => n.startsWith('upload-'));
  /** The WAL emptied, so the next write must grow a file on the (full) disk. */
  const truncateWal = () => server.app.get(DataSource).query('PRAGMA wal_checkpoint(TRUNCATE)');

  it('an upload that does not fit: 507 naming LOA_DATA_DIR, the job failed as disk_full, no partial file kept', async () => {
    await truncateWal();
    await disk.fill(128 * 1024); // room for the job's rows, not for the 700 KB file
    const res = await answer(await upload(fx.bigWav));
    expect(res.status).toBe(507);
    expect(res.message).toContain(config.dataDir);
    expect(res.message).toContain('LOA_DATA_DIR');
    const [job] = await jobs();
    expect(job).toMatchObject({ state: 'failed', reason: 'disk_full' });
    expect(job?.message).toContain(config.dataDir);
    expect(uploadTemps()).toEqual([]);

    await disk.unfill();
    expect((await upload(fx.bigWav)).status).toBe(201);
  });

  it('processing that runs out of space: the job fails as disk_full and the upload answers 507', async () => {
    // The source fits, the 320 kb/s stereo delivered file (~160 KB) does not.
    await truncateWal();
    await disk.fill(statSync(otherWav).size + 64 * 1024);
    const res = await answer(await upload(otherWav));
    expect(res).toMatchObject({ status: 507 });
    expect(res.message).toContain(config.dataDir);
    const [job] = await jobs();
    expect(job).toMatchObject({ state: 'failed', reason: 'disk_full' });
    expect(job?.message).toContain(config.dataDir);
  });

  it('a database write on a full disk: 507 naming the database file', async () => {
    await truncateWal();
    await disk.fill();
    const res = await answer(await postJson('/api/v1/areas', { code: '01', name: 'Hà Nội', level: 'province' }));
    expect(res.status).toBe(507);
    expect(res.message).toContain(path.join(config.dataDir, 'loa.sqlite'));
    await disk.unfill();
    expect((await postJson('/api/v1/areas', { code: '01', name: 'Hà Nội', level: 'province' })).status).toBe(201);
  });

  it('text to speech on a full disk: 507 naming LOA_DATA_DIR', async () => {
    await truncateWal();
    await disk.fill();
    const res = await answer(await postJson('/api/v1/tts', { text: 'Thông báo họp tổ dân phố lúc mười chín giờ.' }));
    expect(res.status).toBe(507);
    expect(res.message).toContain(config.dataDir);
  });

  it('an image content on a full disk: 507 naming LOA_DATA_DIR', async () => {
    const png = path.join(root, 'poster.png');
    execFileSync(ffmpegInstaller.path, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=640x480', '-frames:v', '1', png]);
    await truncateWal();
    await disk.fill();
    const res = await answer(await post('/api/v1/contents/images?title=poster&displaySeconds=15', readFileSync(png), { 'content-type': 'image/png' }));
    expect(res.status).toBe(507);
    expect(res.message).toContain(config.dataDir);
  });
});

// The same on PostgreSQL: the test database lives in a tablespace on a small tmpfs, so its files cannot grow.
describe('a full PostgreSQL disk answers 507 (SQLSTATE 53100)', () => {
  const name = `loa_full_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  let disk: SmallDisk;
  let dataDir: string;
  let server: RunningServer;
  let base: string;
  let bearer: string;
  const admin = async (sql: string) => {
    const c = new pg.Client({ connectionString: PG_ADMIN_URL });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };

  beforeAll(async () => {
    disk = mountSmallDisk(16 * 1024 * 1024, 'loa-full-pg-');
    execFileSync('chown', ['postgres:postgres', disk.dir]);
    await admin(`CREATE TABLESPACE ${name} LOCATION '${disk.dir}'`);
    await admin(`CREATE DATABASE ${name} TABLESPACE ${name}`);
    const url = new URL(PG_ADMIN_URL);
    url.pathname = `/${name}`;
    dataDir = mkdtempSync(path.join(tmpdir(), 'loa-full-pg-data-'));
    ({ server, base, bearer } = await startAndLogin(loopbackConfig({ LOA_DATA_DIR: dataDir, LOA_DATABASE_URL: url.toString() })));
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin(`DROP TABLESPACE IF EXISTS ${name}`);
    disk?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('a write that must grow a table file: 507 that says the database server is full, and the server recovers', async () => {
    await disk.fill();
    const createArea = (i: number) =>
      fetch(`${base}/api/v1/areas`, {
        method: 'POST',
        headers: { authorization: bearer, 'content-type': 'application/json' },
        body: JSON.stringify({ code: String(10 + i), name: `Tỉnh ${i}`, level: 'province' }),
      });
    // Rows fit in the pages a table already has; the first one that needs a new page cannot be written.
    let res: Response | null = null;
    for (let i = 0; i < 80; i++) {
      res = await createArea(i);
      if (res.status !== 201) break;
    }
    expect(res?.status).toBe(507);
    expect(((await res!.json()) as { message: string }).message).toMatch(/database server's disk is full \(PostgreSQL disk_full\)/);
    await disk.unfill();
    expect((await createArea(89)).status).toBe(201);
  });
});
