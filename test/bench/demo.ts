// `npm run demo`: the Loa server plus ~200 simulated devices across a sample province, so a new user sees a
// living system at once. Runs until Ctrl-C, then stops everything and removes its temporary data.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Fleet, LoaApi, provision, writeCredentials } from '@loa/e2e/sim/dist/index.js';
import { startLoaServer, type LoaServer } from './lib/loa-server.js';
import { freePort } from './lib/ports.js';
import { toneWav, uploadMedia } from './lib/wav.js';

const { values: args } = parseArgs({
  args: process.argv.slice(2),
  strict: true,
  options: {
    devices: { type: 'string', default: process.env.LOA_DEMO_DEVICES ?? '200' },
    'http-port': { type: 'string', default: process.env.LOA_HTTP_PORT },
    'mqtt-port': { type: 'string', default: process.env.LOA_MQTT_PORT },
    help: { type: 'boolean', default: false },
  },
});
if (args.help) {
  process.stdout.write('Usage: npm run demo -- [--devices 200] [--http-port 3000] [--mqtt-port 1884]\n');
  process.exit(0);
}

const say = (s: string) => process.stdout.write(`${s}\n`);

async function portOr(preferred: number): Promise<number> {
  const free = await new Promise<boolean>((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(preferred, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
  return free ? preferred : freePort();
}

let server: LoaServer | null = null;
let fleet: Fleet | null = null;
let stopping = false;

async function main(): Promise<void> {
  const devices = Math.max(1, Math.floor(Number(args.devices)));
  const dir = mkdtempSync(path.join(tmpdir(), 'loa-demo-'));
  const password = process.env.LOA_ADMIN_PASSWORD ?? `demo-${randomBytes(6).toString('hex')}`;
  const httpPort = args['http-port'] ? Number(args['http-port']) : await portOr(3000);
  // 1883 usually belongs to a system Mosquitto; the demo's embedded broker takes 1884 when it is free.
  const mqttPort = args['mqtt-port'] ? Number(args['mqtt-port']) : await portOr(1884);
  say(`Starting the Loa server (data in ${dir}) …`);
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    say(`\n${signal}: stopping the simulated devices and the server …`);
    const hard = setTimeout(() => process.exit(1), 30_000);
    hard.unref();
    await fleet?.stop({ graceful: true }).catch(() => undefined);
    await server?.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
    say('Stopped. Bye.');
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));

  server = await startLoaServer({ dataDir: path.join(dir, 'server'), adminPassword: password, httpPort, mqttPort, logLevel: 'info', logFile: path.join(dir, 'server.log') });
  say(`Registering ${devices} simulated devices across a sample province …`);
  const creds = await provision({ serverUrl: server.httpUrl, mqttUrl: server.mqttUrl, username: 'admin', password, devices, perCommune: 20, idPrefix: 'demo', bulk: true });
  const credsFile = path.join(dir, 'demo-credentials.json');
  await writeCredentials(credsFile, creds);
  fleet = new Fleet({
    devices: creds.devices,
    mqttUrl: server.mqttUrl,
    ...(creds.serverPublicKey ? { serverPublicKey: creds.serverPublicKey } : {}),
    telemetryIntervalMs: 30_000,
    // A little real-world weather: some links drop now and then, messages take 20–150 ms, clocks drift a bit.
    flakyDisconnectPerMin: 0.02,
    latencyMs: [20, 150],
    clockSkewMs: 800,
    correctSkew: true,
  });
  await fleet.start();

  const api = await LoaApi.login(server.httpUrl, 'admin', password);
  const province = creds.provinceCode ?? '42';
  const firstCommune = creds.areas?.find((a) => a.level === 'commune');
  // Speakers play audio, boards show text: the morning bulletin goes out as both, province-wide, in a minute.
  const sha = await uploadMedia(api.baseUrl, api.token, toneWav(20), 'ban-tin-sang.wav', 'audio/wav');
  const audio = await api.request<{ id: string }>('POST', '/api/v1/contents', { type: 'audio', title: 'Bản tin sáng (phát thanh)', mediaSha256: sha, approve: true });
  const bulletin = await api.request<{ id: string }>('POST', '/api/v1/contents', {
    type: 'text',
    title: 'Bản tin sáng',
    text: 'Thông báo: Ủy ban nhân dân tỉnh tổ chức tiêm chủng mở rộng vào sáng thứ Bảy tại trạm y tế các xã.',
    displaySeconds: 45,
    approve: true,
  });
  const soon = new Date(Date.now() + 60_000).toISOString();
  const s1 = await api.request<{ id: string; deviceCount: number }>('POST', '/api/v1/schedules', { contentId: audio.id, startAt: soon, targets: { areas: [province] } });
  const s1b = await api.request<{ id: string; deviceCount: number }>('POST', '/api/v1/schedules', { contentId: bulletin.id, startAt: soon, targets: { areas: [province] } });
  let s2: { id: string; deviceCount: number } | null = null;
  if (firstCommune) {
    const local = await api.request<{ id: string }>('POST', '/api/v1/contents', {
      type: 'text',
      title: 'Thông báo của xã',
      text: `${firstCommune.name}: lịch thu gom rác thay đổi từ tuần sau.`,
      displaySeconds: 30,
      approve: true,
    });
    s2 = await api.request('POST', '/api/v1/schedules', { contentId: local.id, startAt: new Date(Date.now() + 180_000).toISOString(), targets: { areas: [firstCommune.code] } });
  }

  const url = server.httpUrl;
  say('');
  say('──────────────────────────────────────────────────────────────────────────────');
  say(' Loa demo is running');
  say(`   Web / API        ${url}/`);
  say(`   API docs         ${url}/api/docs`);
  say(`   Health           ${url}/api/health`);
  say(`   MQTT broker      ${server.mqttUrl}`);
  say(`   Admin login      admin / ${password}`);
  say(`   Devices          ${creds.devices.length} simulated (${creds.areas?.length ?? 0} areas, province ${province})`);
  say(`   Credentials      ${credsFile}`);
  say(`   Bulletins        province-wide at ${soon}: audio (schedule ${s1.id}, ${s1.deviceCount} speakers)`);
  say(`                    and text (schedule ${s1b.id}, ${s1b.deviceCount} boards)`);
  if (s2 && firstCommune) say(`                    ${firstCommune.name} in 3 minutes (schedule ${s2.id}, ${s2.deviceCount} devices)`);
  say(`   Try              curl -s -H "authorization: Bearer $(curl -s -XPOST -H 'content-type: application/json' \\`);
  say(`                      -d '{"username":"admin","password":"${password}"}' ${url}/api/v1/auth/login | sed 's/.*"accessToken":"\\([^"]*\\)".*/\\1/')" \\`);
  say(`                      ${url}/api/v1/schedules/${s1.id}/deliveries`);
  say('   Server log       ' + path.join(dir, 'server.log'));
  say(' Press Ctrl-C to stop everything.');
  say('──────────────────────────────────────────────────────────────────────────────');

  const report = async () => {
    if (stopping || !fleet) return;
    const s = await fleet.stats();
    say(
      `[${new Date().toLocaleTimeString('vi-VN')}] online ${s.connected}/${s.devices} · timelines acked ${s.timelineAcks} · played ${s.playbackStarted} · finished ${s.playbackFinished} · reports acked ${s.eventsAcked} (pending ${s.eventsPending}) · telemetry ${s.telemetrySent} · reconnects ${s.disconnects}`,
    );
  };
  setInterval(() => void report(), 15_000);
  setTimeout(() => void report(), 3000);
}

main().catch(async (err: unknown) => {
  process.stderr.write(`demo failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  await fleet?.stop().catch(() => undefined);
  await server?.stop().catch(() => undefined);
  process.exit(1);
});
