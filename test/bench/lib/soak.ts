// Soak: a fresh server takes a long run of malformed MQTT and HTTP input, then idles. Its RSS and heap are read at
// the start, at the peak and after the idle period: memory that does not come back is a leak (issue 12, item 8).
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import path from 'node:path';
import { MAX_PAYLOAD_BYTES, PROTOCOL_VERSION, deviceTopic } from '@loa/shared';
import { LoaApi, provision } from '@loa/e2e/sim/dist/index.js';
import { startLoaServer, type LoaServer } from './loa-server.js';
import { ProcMeter, round, sampleProc } from './proc.js';

export interface SoakOptions {
  dir: string;
  /** Rounds of the malformed-input mix (each round: ~30 MQTT connections and ~20 HTTP requests). */
  rounds: number;
  /** Rounds in flight at once. */
  concurrency: number;
  /** Idle time after the input stops, before the last reading. */
  idleMs: number;
  /** Every child process started (so the caller can kill it on Ctrl-C). */
  track(child: ChildProcess): void;
  log(s: string): void;
  nodeArgs?: string[];
  /** Pause after the warm-up round, before the starting reading (default 2000 ms; the bench's --smoke: 300). */
  settleMs?: number;
}

export interface SoakMemory {
  rssMB: number;
  /** V8's heap: used, and committed (total); null if /api/health does not say. */
  heapUsedMB: number | null;
  heapTotalMB: number | null;
  /** Memory outside the V8 heap held by JS objects (Buffers). */
  externalMB: number | null;
}

export interface SoakResult {
  rounds: number;
  mqttConnections: number;
  httpRequests: number;
  /** Answers ≥ 500 to the HTTP input (must stay 0) and whether the server was still healthy at the end. */
  http5xx: number;
  healthy: boolean;
  durationS: number;
  start: SoakMemory;
  peakRssMB: number;
  end: SoakMemory;
  afterIdle: SoakMemory;
  idleS: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// ---- a minimal MQTT 3.1.1 encoder: the mqtt client refuses to send most of what this scenario needs ----------

function remainingLength(n: number): Buffer {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return Buffer.from(out);
}

const mqttString = (s: string | Buffer): Buffer => {
  const b = typeof s === 'string' ? Buffer.from(s) : s;
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
};

const packet = (header: number, body: Buffer): Buffer => Buffer.concat([Buffer.from([header]), remainingLength(body.length), body]);

interface ConnectFields {
  clientId: string;
  username?: string;
  password?: string;
  clean?: boolean;
  level?: number;
  will?: { topic: string; payload: Buffer; qos?: 0 | 1; retain?: boolean };
}

function connectPacket(c: ConnectFields): Buffer {
  let flags = c.clean === false ? 0 : 0x02;
  if (c.will) flags |= 0x04 | ((c.will.qos ?? 0) << 3) | (c.will.retain ? 0x20 : 0);
  if (c.password !== undefined) flags |= 0x40;
  if (c.username !== undefined) flags |= 0x80;
  const parts = [mqttString('MQTT'), Buffer.from([c.level ?? 4, flags, 0, 60]), mqttString(c.clientId)];
  if (c.will) parts.push(mqttString(c.will.topic), mqttString(c.will.payload));
  if (c.username !== undefined) parts.push(mqttString(c.username));
  if (c.password !== undefined) parts.push(mqttString(c.password));
  return packet(0x10, Buffer.concat(parts));
}

function publishPacket(topic: string, payload: Buffer, qos: 0 | 1 = 0, id = 1, retain = false): Buffer {
  const idBytes = qos > 0 ? Buffer.from([id >> 8, id & 0xff]) : Buffer.alloc(0);
  return packet(0x30 | (qos << 1) | (retain ? 1 : 0), Buffer.concat([mqttString(topic), idBytes, payload]));
}

const subscribePacket = (id: number, topic: string): Buffer => packet(0x82, Buffer.concat([Buffer.from([id >> 8, id & 0xff]), mqttString(topic), Buffer.from([1])]));

/** One raw TCP session: write bytes, optionally wait for CONNACK, then end or cut it. Never rejects. */
class RawSession {
  private readonly socket: Socket;
  private received = Buffer.alloc(0);
  private closed = false;
  private readonly closedP: Promise<void>;
  private readonly openP: Promise<boolean>;

  constructor(port: number, localAddress: string) {
    this.socket = connect({ host: '127.0.0.1', port, localAddress });
    this.socket.setNoDelay(true);
    this.socket.on('data', (d: Buffer) => (this.received = Buffer.concat([this.received, d]).subarray(-64)));
    this.socket.on('error', () => undefined);
    this.closedP = new Promise((r) => this.socket.once('close', () => ((this.closed = true), r())));
    this.openP = new Promise((r) => {
      this.socket.once('connect', () => r(true));
      this.socket.once('close', () => r(false));
    });
  }

  open(): Promise<boolean> {
    return this.openP;
  }

  write(b: Buffer): void {
    if (!this.closed) this.socket.write(b);
  }

  /** Writes and waits until the bytes left (or the connection closed); true once it is closed. */
  async writeAll(b: Buffer): Promise<boolean> {
    if (this.closed) return true;
    if (!this.socket.write(b))
      await new Promise<void>((resolve) => {
        const done = () => {
          this.socket.off('drain', done).off('close', done);
          resolve();
        };
        this.socket.on('drain', done).on('close', done);
      });
    return this.closed;
  }

  /** CONNACK return code, or null if the server closed or stayed silent. */
  async connack(timeoutMs = 5000): Promise<number | null> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const i = this.received.indexOf(0x20);
      if (i >= 0 && this.received.length >= i + 4 && this.received[i + 1] === 2) return this.received[i + 3] ?? null;
      if (this.closed) return null;
      await sleep(10);
    }
    return null;
  }

  /** Waits for the server to close the connection (bounded), then makes sure it is closed. */
  async closedByServer(timeoutMs = 3000): Promise<void> {
    await Promise.race([this.closedP, sleep(timeoutMs)]);
    this.cut();
  }

  /** Abrupt: no DISCONNECT, the TCP connection just drops. */
  cut(): void {
    this.socket.destroy();
  }
}

// ---- the input mix --------------------------------------------------------------------------------------------

interface Target {
  server: LoaServer;
  /** Devices the scenario logs in as, then misbehaves with. */
  devices: Array<{ id: string; secret: string }>;
  /** A device that only ever sees wrong passwords (so the good ones are never throttled by it). */
  victimId: string;
  token: string;
}

const garbage = (n: number) => randomBytes(n);
/** Loopback has the whole 127/8: each round comes from another source address, as a botnet or a NAT pool would. */
const addressOf = (round: number) => `127.${1 + ((round >> 16) % 250)}.${(round >> 8) & 0xff}.${1 + (round % 250)}`;

async function mqttRound(t: Target, round: number): Promise<number> {
  const port = t.server.mqttPort;
  const addr = addressOf(round);
  const dev = t.devices[round % t.devices.length] ?? t.devices[0]!;
  let sessions = 0;
  const session = async (fn: (s: RawSession) => Promise<void>, from = addr) => {
    const s = new RawSession(port, from);
    sessions++;
    if (await s.open()) await fn(s);
    s.cut();
  };
  const rnd = randomBytes(6).toString('hex');
  await Promise.all([
    // Noise instead of a CONNECT.
    session(async (s) => {
      s.write(garbage(1 + (round % 2000)));
      await s.closedByServer();
    }),
    // A protocol level aedes does not speak.
    session(async (s) => {
      s.write(connectPacket({ clientId: `x-${rnd}`, level: 9 }));
      await s.closedByServer();
    }),
    // A CONNECT announced long and cut short.
    session(async (s) => {
      s.write(Buffer.concat([Buffer.from([0x10]), remainingLength(400)]));
      s.write(garbage(40));
      await sleep(20);
    }),
    // Client id is not the username.
    session(async (s) => {
      s.write(connectPacket({ clientId: `imposter-${rnd}`, username: dev.id, password: dev.secret }));
      await s.connack();
    }),
    // Wrong password for a real device, with a will and a persistent session.
    session(async (s) => {
      s.write(connectPacket({ clientId: t.victimId, username: t.victimId, password: `wrong-${rnd}`, clean: false, will: { topic: deviceTopic(t.victimId, 'status'), payload: garbage(64), qos: 1, retain: true } }));
      await s.connack();
    }),
    // Unknown device ids, a new one every time.
    session(async (s) => {
      const id = `ghost-${rnd}`;
      s.write(connectPacket({ clientId: id, username: id, password: rnd, clean: false }));
      await s.connack();
    }),
    // No credentials at all, a very long client id.
    session(async (s) => {
      s.write(connectPacket({ clientId: `long-${rnd}-${'x'.repeat(4000)}`, clean: false }));
      await s.connack();
    }),
    // A CONNECT announced at 64 MB and streamed until the server hangs up (every tenth round).
    round % 10 === 0
      ? session(async (s) => {
          s.write(Buffer.concat([Buffer.from([0x10]), remainingLength(64 * 1024 * 1024)]));
          for (let sent = 0; sent < 32 * 1024 * 1024 && !(await s.writeAll(garbage(256 * 1024))); sent += 256 * 1024);
          await s.closedByServer();
        })
      : Promise.resolve(),
    // Logged in, then misbehaving: garbage on its own topics, forbidden subscriptions, forged topics, oversize,
    // duplicate CONNECT, abrupt disconnect with a garbage will. Always from one address the limiter never sees fail.
    session(async (s) => {
      s.write(connectPacket({ clientId: dev.id, username: dev.id, password: dev.secret, clean: round % 2 === 0, will: { topic: deviceTopic(dev.id, 'status'), payload: garbage(80), qos: 1, retain: true } }));
      if ((await s.connack()) !== 0) return;
      s.write(subscribePacket(1, deviceTopic(dev.id, 'req')));
      s.write(subscribePacket(2, '#'));
      s.write(subscribePacket(3, deviceTopic(`other-${rnd}`, 'timeline')));
      for (const ch of ['status', 'telemetry', 'events', 'timeline/ack', 'res'] as const) {
        s.write(publishPacket(deviceTopic(dev.id, ch), garbage(200), 1, 10));
        s.write(publishPacket(deviceTopic(dev.id, ch), Buffer.from(JSON.stringify({ v: PROTOCOL_VERSION, bogus: rnd, at: 'never', items: [1, 2, 3] })), 1, 11));
        s.write(publishPacket(deviceTopic(dev.id, ch), Buffer.from('{"v":'), 0));
      }
      const kind = round % 4;
      if (kind === 0) s.write(publishPacket(deviceTopic(`other-${rnd}`, 'status'), Buffer.from('{}'), 1, 12));
      else if (kind === 1) s.write(publishPacket(deviceTopic(dev.id, 'telemetry'), garbage(MAX_PAYLOAD_BYTES + 1024), 0));
      else if (kind === 2) s.write(connectPacket({ clientId: dev.id, username: dev.id, password: dev.secret }));
      await (kind === 3 ? sleep(50) : s.closedByServer());
    }, '127.0.0.1'),
  ]);
  return sessions;
}

/** One HTTP request from raw parts; resolves with the status (0 when the connection failed or was cut). */
function http(server: LoaServer, method: string, url: string, headers: Record<string, string>, body?: Buffer | string, opts: { abortAfterBytes?: number; localAddress?: string } = {}): Promise<number> {
  return new Promise((resolve) => {
    const req = httpRequest({ host: '127.0.0.1', port: server.httpPort, method, path: url, headers, localAddress: opts.localAddress ?? '127.0.0.1', agent: false });
    req.setTimeout(30_000, () => req.destroy());
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', () => resolve(0));
    if (body === undefined) return void req.end();
    if (opts.abortAfterBytes !== undefined) {
      req.write(Buffer.from(body).subarray(0, opts.abortAfterBytes));
      setTimeout(() => req.destroy(), 30);
      return;
    }
    req.end(body);
  });
}

function multipart(field: string, filename: string, mime: string, content: Buffer): { body: Buffer; type: string } {
  const boundary = `----soak${randomBytes(8).toString('hex')}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${filename}"\r\nContent-Type: ${mime}\r\n\r\n`);
  return { body: Buffer.concat([head, content, Buffer.from(`\r\n--${boundary}--\r\n`)]), type: `multipart/form-data; boundary=${boundary}` };
}

const HUGE_JSON = Buffer.from(`{"devices":[${'"x",'.repeat((9 * 1024 * 1024) / 4)}"x"]}`);

async function httpRound(t: Target, round: number): Promise<{ requests: number; fivexx: number }> {
  const auth = { authorization: `Bearer ${t.token}` };
  const json = { ...auth, 'content-type': 'application/json' };
  const dev = t.devices[round % t.devices.length] ?? t.devices[0]!;
  const rnd = randomBytes(6).toString('hex');
  const addr = addressOf(round);
  const upload = multipart('file', `soak-${rnd}.wav`, 'audio/wav', garbage(4096));
  const wrongField = multipart('nope', 'x.wav', 'audio/wav', garbage(512));
  const basic = (id: string, secret: string) => ({ authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` });
  const statuses = await Promise.all([
    http(t.server, 'POST', '/api/v1/areas', json, '{"code": "01", "name": '),
    http(t.server, 'POST', '/api/v1/areas', json, JSON.stringify({ code: `a/${rnd}`, name: 'x', level: 'hamlet' })),
    http(t.server, 'PATCH', `/api/v1/devices/${encodeURIComponent(dev.id)}`, json, JSON.stringify({ areaCode: { $gt: '' }, tags: 'not-a-list' })),
    http(t.server, 'POST', '/api/v1/schedules', json, JSON.stringify({ contentId: rnd, startAt: 'soon', targets: { areas: [null] } })),
    http(t.server, 'GET', `/api/v1/devices?limit=abc&areaCode=${'%'.repeat(3)}`, auth),
    http(t.server, 'GET', '/api/v1/devices', {}),
    http(t.server, 'GET', '/api/v1/devices', { authorization: `Bearer ${rnd}.${rnd}.${rnd}` }),
    http(t.server, 'GET', '/api/v1/areas', { authorization: `Weird ${rnd}` }),
    http(t.server, 'POST', '/api/v1/auth/login', { 'content-type': 'application/json' }, JSON.stringify({ username: `nobody-${round % 50}`, password: rnd })),
    http(t.server, 'POST', '/api/v1/auth/refresh', { 'content-type': 'application/json' }, JSON.stringify({ refreshToken: rnd })),
    http(t.server, 'HEAD', `/api/v1/media/${'0'.repeat(64)}`, basic(t.victimId, rnd), undefined, { localAddress: addr }),
    http(t.server, 'GET', `/api/v1/media/${'0'.repeat(64)}`, basic(`ghost-http-${rnd}`, rnd), undefined, { localAddress: addr }),
    http(t.server, 'POST', '/api/v1/provisioning/enroll', { 'content-type': 'application/json' }, JSON.stringify({ key: rnd, hardwareId: rnd })),
    http(t.server, 'POST', '/api/v1/media', { ...auth, 'content-type': upload.type }, upload.body),
    http(t.server, 'POST', '/api/v1/media', { ...auth, 'content-type': wrongField.type }, wrongField.body),
    http(t.server, 'POST', '/api/v1/media', { ...auth, 'content-type': upload.type, 'content-length': String(upload.body.length) }, upload.body, { abortAfterBytes: 1500 }),
    http(t.server, 'POST', '/api/v1/media', { ...auth, 'content-type': 'multipart/form-data; boundary=nothing' }, 'garbage'),
    http(t.server, 'POST', '/api/v1/media', { 'content-type': upload.type }, upload.body),
    http(t.server, 'GET', `/api/v1/${rnd}/../../etc/passwd`, auth),
    round % 10 === 0 ? http(t.server, 'POST', '/api/v1/devices/bulk', json, HUGE_JSON) : Promise.resolve(413),
  ]);
  return { requests: statuses.length, fivexx: statuses.filter((s) => s >= 500).length };
}

// ---- the scenario ----------------------------------------------------------------------------------------------

/** The server's own figures, from /api/health (heap used is V8's, after whatever GC it ran). */
async function memoryOf(server: LoaServer): Promise<SoakMemory> {
  const rss = sampleProc(server.pid)?.rssBytes ?? 0;
  const mb = (v: number | undefined) => (typeof v === 'number' ? round(v / 1048576, 1) : null);
  const m = ((await server.health().catch(() => ({}))) as { memory?: { heapUsedBytes?: number; heapTotalBytes?: number; externalBytes?: number } }).memory;
  return { rssMB: round(rss / 1048576, 1), heapUsedMB: mb(m?.heapUsedBytes), heapTotalMB: mb(m?.heapTotalBytes), externalMB: mb(m?.externalBytes) };
}

export async function measureSoak(opts: SoakOptions): Promise<SoakResult> {
  const password = `soak-${randomBytes(9).toString('base64url')}`;
  const server = await startLoaServer({
    dataDir: path.join(opts.dir, 'soak'),
    adminPassword: password,
    logLevel: 'warn',
    ...(opts.nodeArgs ? { nodeArgs: opts.nodeArgs } : {}),
  });
  opts.track(server.proc);
  try {
    const creds = await provision({ serverUrl: server.httpUrl, username: 'admin', password, devices: 5, idPrefix: 'soak', bulk: true, provinceCode: '77' });
    const [victim, ...devices] = creds.devices;
    if (!victim || devices.length === 0) throw new Error('soak: provisioning gave no devices');
    const api = await LoaApi.login(server.httpUrl, 'admin', password);
    const target: Target = { server, devices, victimId: victim.id, token: api.token };
    // Warm-up: one round of each, so that lazily loaded code is not counted as growth.
    await mqttRound(target, 0);
    await httpRound(target, 0);
    await sleep(opts.settleMs ?? 2000);
    const start = await memoryOf(server);
    opts.log(`soak: server pid ${server.pid}, RSS ${start.rssMB} MB at start; ${opts.rounds} rounds of malformed MQTT and HTTP input`);
    const meter = new ProcMeter(server.pid);
    const sampler = setInterval(() => meter.sample(), 250);
    const t0 = Date.now();
    let next = 1;
    let mqttConnections = 0;
    let httpRequests = 0;
    let http5xx = 0;
    try {
      await Promise.all(
        Array.from({ length: opts.concurrency }, async () => {
          while (next <= opts.rounds) {
            const n = next++;
            const [m, h] = await Promise.all([mqttRound(target, n), httpRound(target, n)]);
            mqttConnections += m;
            httpRequests += h.requests;
            http5xx += h.fivexx;
            if (n % 100 === 0) opts.log(`soak: ${n}/${opts.rounds} rounds, RSS ${meter.result().rssMB} MB`);
          }
        }),
      );
    } finally {
      clearInterval(sampler);
    }
    const durationS = round((Date.now() - t0) / 1000, 1);
    const end = await memoryOf(server);
    const peakRssMB = Math.max(meter.result().peakRssMB, end.rssMB);
    opts.log(`soak: input done in ${durationS} s, RSS ${end.rssMB} MB (peak ${peakRssMB}); idling ${opts.idleMs / 1000} s`);
    await sleep(opts.idleMs);
    const afterIdle = await memoryOf(server);
    let healthy = false;
    try {
      healthy = (await server.health()).status === 'ok';
    } catch {
      healthy = false;
    }
    return { rounds: opts.rounds, mqttConnections, httpRequests, http5xx, healthy, durationS, start, peakRssMB, end, afterIdle, idleS: round(opts.idleMs / 1000) };
  } finally {
    const code = await server.stop();
    if (code !== 0 && code !== null) opts.log(`soak: server exited with ${code}; see ${server.logFile}`);
  }
}

/** Rows for the bench table; "raw" is empty: a bare broker has no login, ACL or API to be fed malformed input. */
export function soakRows(r: SoakResult): Array<{ scenario: string; metric: string; loa: number | null; raw: number | null; ratio: number | null; target: string }> {
  const s = '12 soak, malformed input';
  const row = (metric: string, loa: number | null, target = '') => ({ scenario: s, metric, loa, raw: null, ratio: null, target });
  return [
    row(`rounds (${r.mqttConnections} MQTT connections, ${r.httpRequests} HTTP requests, ${r.durationS} s)`, r.rounds),
    row('server RSS at start (MB)', r.start.rssMB),
    row('server RSS peak (MB)', r.peakRssMB, '≤ 800'),
    row('server RSS at the end of the input (MB)', r.end.rssMB),
    row(`server RSS after ${r.idleS} s idle (MB)`, r.afterIdle.rssMB, '≤ start + 100'),
    row('heap used at start (MB)', r.start.heapUsedMB),
    row(`heap used after ${r.idleS} s idle (MB)`, r.afterIdle.heapUsedMB),
    row('HTTP answers ≥ 500', r.http5xx, '0'),
    row('server healthy at the end (1 = yes)', r.healthy ? 1 : 0, '1'),
  ];
}
