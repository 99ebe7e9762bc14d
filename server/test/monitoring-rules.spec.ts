import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppConfig } from '../src/config/app-config.js';
import { startServer, type RunningServer } from '../src/bootstrap.js';
import { copySqliteTemplate } from './support/databases.js';
import { silentLogger } from './support/fixtures.js';
import { promtool, sample } from './support/prometheus.js';

const MONITORING = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../deploy/monitoring');
const file = (name: string) => path.join(MONITORING, name);

/** The shipped files' `loa_*` metric names (histogram series folded onto their family). */
function loaNames(text: string): Set<string> {
  return new Set([...text.matchAll(/\b(loa_[a-z0-9_]+)/g)].map((m) => m[1]!.replace(/_(bucket|count|sum)$/, '')));
}

describe('deploy/monitoring: Prometheus rules and config', () => {
  it('the alert rules pass promtool check rules', async () => {
    const r = await promtool(['check', 'rules', file('loa-alerts.yml')]);
    expect(r.out).toContain('SUCCESS: 9 rules found');
    expect(r.code).toBe(0);
  });

  it('the rules\' unit tests pass promtool test rules, and each alert is shown firing at least once', async () => {
    const r = await promtool(['test', 'rules', file('loa-alerts.test.yml')]);
    expect(r.out).toContain('SUCCESS');
    expect(r.code).toBe(0);
    const alerts = [...readFileSync(file('loa-alerts.yml'), 'utf8').matchAll(/- alert: (\w+)/g)].map((m) => m[1]!);
    const tests = readFileSync(file('loa-alerts.test.yml'), 'utf8');
    // An expectation that fires: `alertname: X` followed by a non-empty exp_alerts list.
    const firing = new Set([...tests.matchAll(/alertname: (\w+)\n\s+exp_alerts:\n\s+- exp_labels/g)].map((m) => m[1]!));
    const quiet = new Set([...tests.matchAll(/alertname: (\w+)\n\s+exp_alerts: \[\]/g)].map((m) => m[1]!));
    expect(alerts.filter((a) => !firing.has(a))).toEqual([]);
    expect(alerts.filter((a) => !quiet.has(a))).toEqual([]);
  });

  it('the sample prometheus.yml passes promtool check config (rules included)', async () => {
    const r = await promtool(['check', 'config', file('prometheus.yml')]);
    expect(r.out).toMatch(/SUCCESS: .*prometheus\.yml is valid/);
    expect(r.code).toBe(0);
  });

  it('the Grafana dashboard asks for its datasource as the ${DS_PROMETHEUS} input', () => {
    const dash = JSON.parse(readFileSync(file('grafana-dashboard.json'), 'utf8')) as { __inputs: Array<{ name: string }>; panels: Array<{ type: string; datasource?: { uid: string }; targets?: Array<{ expr: string }> }> };
    expect(dash.__inputs.map((i) => i.name)).toEqual(['DS_PROMETHEUS']);
    const queried = dash.panels.filter((p) => p.type !== 'row');
    expect(queried.length).toBeGreaterThanOrEqual(10);
    for (const p of queried) {
      expect(p.datasource?.uid).toBe('${DS_PROMETHEUS}');
      expect(p.targets?.length).toBeGreaterThan(0);
    }
  });
});

/** GET over HTTPS from a server whose certificate is self-signed. */
function getInsecure(url: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { rejectUnauthorized: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('a server with TLS: every metric the rules and the dashboard name is exported', () => {
  let dir: string;
  let server: RunningServer;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'loa-metrics-tls-'));
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'key.pem', '-out', 'cert.pem', '-days', '10', '-subj', '/CN=127.0.0.1'], { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl: ${r.stderr}`);
    await copySqliteTemplate(path.join(dir, 'loa.sqlite'));
    const config = AppConfig.load({
      LOA_DATA_DIR: dir,
      LOA_HTTP_HOST: '127.0.0.1',
      LOA_HTTP_PORT: '0',
      LOA_MQTT_HOST: '127.0.0.1',
      LOA_MQTT_PORT: '0',
      LOA_MQTTS_PORT: '0',
      LOA_TLS_CERT_FILE: path.join(dir, 'cert.pem'),
      LOA_TLS_KEY_FILE: path.join(dir, 'key.pem'),
      LOA_ADMIN_PASSWORD: 'test-password',
      LOA_LOG_LEVEL: 'silent',
    });
    server = await startServer(config, silentLogger);
  });

  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports the certificate\'s expiry, and names no metric the server lacks', async () => {
    const { status, text } = await getInsecure(`https://127.0.0.1:${server.httpPort}/metrics`);
    expect(status).toBe(200);
    const notAfter = Date.parse(new X509Certificate(readFileSync(path.join(dir, 'cert.pem'))).validTo) / 1000;
    expect(sample(text, 'loa_tls_certificate_expiry_timestamp_seconds')).toBe(notAfter);
    const exported = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
    const named = new Set([...loaNames(readFileSync(file('loa-alerts.yml'), 'utf8')), ...loaNames(readFileSync(file('grafana-dashboard.json'), 'utf8'))]);
    expect([...named].filter((n) => !exported.has(n))).toEqual([]);
    expect(named.size).toBeGreaterThan(20);
  });
});
