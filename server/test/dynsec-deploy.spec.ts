import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt from 'mqtt';
import { allDevicesTopic, deviceTopic } from '@loa/shared';
import { aclFileLines } from '../src/broker-accounts/dynsec-acl.js';
import { DynsecBrokerAccounts } from '../src/broker-accounts/dynsec-accounts.js';
import { DynsecControl } from '../src/broker-accounts/dynsec-control.js';
import { DynsecReconciler } from '../src/broker-accounts/dynsec-reconciler.js';
import { Clock } from '../src/common/clock.js';
import { Metrics } from '../src/common/metrics.js';
import { DEPLOY_DIR, mqttTransport } from './support/dynsec-broker.js';
import { silentLogger } from './support/fixtures.js';
import { dynsecPluginPath, LOA_MOSQUITTO_DEFAULTS } from './support/mosquitto.js';

/** What deploy/mosquitto ships, checked against the code and run as shipped (only paths and ports changed). */

const conf = readFileSync(path.join(DEPLOY_DIR, 'loa.conf'), 'utf8');
const settings = conf
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));
const INIT = path.join(DEPLOY_DIR, 'loa-dynsec-init.sh');
const MOSQUITTO = ['/usr/sbin/mosquitto', '/usr/local/sbin/mosquitto', '/usr/bin/mosquitto'].find((p) => existsSync(p)) ?? 'mosquitto';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe('deploy/mosquitto', () => {
  it('ships the ACL file derived from the topic table', () => {
    const shipped = readFileSync(path.join(DEPLOY_DIR, 'loa.acl'), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.startsWith('#'));
    expect(shipped).toEqual(aclFileLines());
  });

  it('ships the queue and packet settings the tests run Mosquitto with', () => {
    for (const line of LOA_MOSQUITTO_DEFAULTS) expect(settings).toContain(line);
    const tuned = ['max_queued_messages', 'max_queued_bytes', 'max_inflight_messages', 'max_packet_size', 'set_tcp_nodelay'];
    expect(settings.filter((l) => tuned.includes(l.split(' ')[0]!)).sort()).toEqual([...LOA_MOSQUITTO_DEFAULTS].sort());
  });

  it('loa-dynsec-init.sh file makes the plugin\'s file with reception denied by default, and never overwrites it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'loa-dynsec-init-'));
    try {
      const file = path.join(dir, 'dynamic-security.json');
      const run = () => spawnSync('sh', [INIT, 'file', file, 'admin'], { encoding: 'utf8', env: { ...process.env, LOA_DYNSEC_ADMIN_PASSWORD: 'admin-secret-123' } });
      const first = run();
      expect(first.status).toBe(0);
      const json = JSON.parse(readFileSync(file, 'utf8')) as { defaultACLAccess: Record<string, boolean>; clients: Array<{ username: string }> };
      expect(json.defaultACLAccess).toEqual({ publishClientSend: false, publishClientReceive: false, subscribe: false, unsubscribe: true });
      expect(json.clients.map((c) => c.username)).toEqual(['admin']);
      const second = run();
      expect(second.status).not.toBe(0);
      expect(second.stderr).toMatch(/exists/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('loa.conf as shipped, on Debian\'s main configuration', () => {
    let dir: string;
    let mosquitto: ChildProcess | null = null;
    let plainPort: number;
    let tlsPort: number;

    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'loa-mosquitto-conf-'));
      const openssl = (args: string[]) => {
        const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`openssl ${args[0]}: ${r.stderr}`);
      };
      openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'privkey.pem', '-out', 'fullchain.pem', '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1']);
      const dynsecFile = path.join(dir, 'dynamic-security.json');
      const init = spawnSync('sh', [INIT, 'file', dynsecFile, 'admin'], { encoding: 'utf8', env: { ...process.env, LOA_DYNSEC_ADMIN_PASSWORD: 'admin-secret-123' } });
      if (init.status !== 0) throw new Error(init.stderr);
      [plainPort, tlsPort] = [await freePort(), await freePort()];
      // Only what is this machine's: ports, the certificate, the files' places.
      const shipped = conf
        .replace('listener 1883 127.0.0.1', `listener ${plainPort} 127.0.0.1`)
        .replace('listener 8883', `listener ${tlsPort} 127.0.0.1`)
        .replace('/etc/mosquitto/certs/', `${dir}/`)
        .replace('/etc/mosquitto/certs/', `${dir}/`)
        .replace('/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so', dynsecPluginPath()!)
        .replace('/var/lib/mosquitto/dynamic-security.json', dynsecFile)
        .replace('/etc/mosquitto/loa.acl', path.join(DEPLOY_DIR, 'loa.acl'));
      // What Debian's /etc/mosquitto/mosquitto.conf says before including conf.d.
      const debianMain = [`persistence true`, `persistence_location ${dir}/`, 'log_dest stderr', ...(process.getuid?.() === 0 ? ['user root'] : [])];
      writeFileSync(path.join(dir, 'mosquitto.conf'), [...debianMain, shipped].join('\n'));
      const proc = spawn(MOSQUITTO, ['-c', path.join(dir, 'mosquitto.conf')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      mosquitto = proc;
      await new Promise<void>((resolve, reject) => {
        let output = '';
        const onData = (b: Buffer) => {
          output += b.toString();
          if (/mosquitto version [\d.]+ running/.test(output)) resolve();
        };
        proc.stdout!.on('data', onData);
        proc.stderr!.on('data', onData);
        proc.once('exit', (code) => reject(new Error(`mosquitto exited (${String(code)}) on the shipped loa.conf: ${output}`)));
      });
      const server = spawnSync('sh', [INIT, 'server', '-h', '127.0.0.1', '-p', String(plainPort)], {
        encoding: 'utf8',
        env: { ...process.env, LOA_DYNSEC_ADMIN_PASSWORD: 'admin-secret-123', LOA_MQTT_PASSWORD: 'loa-server-secret-456' },
      });
      if (server.status !== 0) throw new Error(server.stderr);
    });

    afterAll(async () => {
      const proc = mosquitto;
      if (proc && proc.exitCode === null) {
        await new Promise<void>((resolve) => {
          proc.once('exit', () => resolve());
          proc.kill('SIGTERM');
        });
      }
      rmSync(dir, { recursive: true, force: true });
    });

    it('lets the Loa account do what an instance does, and a device in over TLS with its own account', async () => {
      const loa = await mqtt.connectAsync(`mqtt://127.0.0.1:${plainPort}`, { username: 'loa-server', password: 'loa-server-secret-456', clientId: 'loa-server-a', protocolVersion: 5, reconnectPeriod: 0 });
      try {
        // The instance's subscriptions: shared device channels and the plugin's answers.
        const granted = await loa.subscribeAsync({ [`$share/loa/${allDevicesTopic('events')}`]: { qos: 1 }, '$CONTROL/dynamic-security/v1/response': { qos: 0 } });
        expect(granted.map((g) => g.qos)).toEqual([1, 0]);
        const control = new DynsecControl(mqttTransport(loa), 'conf', new Clock(), new Metrics(), silentLogger);
        const sources = { devices: async () => [{ id: 'spk-tls-1', areaCodes: ['01'], revoked: false }], chains: async () => new Map([['spk-tls-1', ['01']]]), pendingEnrollments: async () => [] };
        expect(await new DynsecReconciler(control, sources, new Clock(), new Metrics(), silentLogger).run()).toMatchObject({ failures: 0, missing: ['spk-tls-1'] });
        await new DynsecBrokerAccounts(control, sources, new Clock(), new Metrics(), silentLogger).issued([{ deviceId: 'spk-tls-1', secret: 'tls-device-secret-0123456789', areaCodes: ['01'] }]);
        control.close();

        const ca = readFileSync(path.join(dir, 'fullchain.pem'));
        const device = await mqtt.connectAsync(`mqtts://127.0.0.1:${tlsPort}`, { ca, clientId: 'spk-tls-1', username: 'spk-tls-1', password: 'tls-device-secret-0123456789', protocolVersion: 4, reconnectPeriod: 0 });
        const report = new Promise<string>((resolve) => loa.on('message', (topic) => resolve(topic)));
        await device.publishAsync(deviceTopic('spk-tls-1', 'events'), '[]', { qos: 1 });
        expect(await report).toBe(deviceTopic('spk-tls-1', 'events'));
        await device.endAsync(true);
      } finally {
        await loa.endAsync(true);
      }
    });
  });
});
