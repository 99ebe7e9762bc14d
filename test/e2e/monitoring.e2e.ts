/**
 * Issue 20: a real Prometheus scrapes a real Loa server and evaluates the shipped alert rules. Devices of one
 * district go online, then lose power together (their sockets die, the broker publishes their last wills), and
 * Prometheus must show LoaManyDevicesOfflineInArea firing for that district and no other. The rules are the shipped
 * file with only its `for:` durations shortened; every Grafana panel's expression must parse in that Prometheus.
 */
import { jest } from '@jest/globals';
import mqtt, { type MqttClient } from 'mqtt';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { artifactsDir, childEnv, freePort, loa, ManagedProcess, REPO_ROOT, spawnServer, stopAll, tempDir, waitFor, WaitAborted, type TestServer } from './support/index.js';

jest.setTimeout(180_000);

const SUITE = 'monitoring';
const PROMETHEUS = '/usr/bin/prometheus';
const MONITORING = path.join(REPO_ROOT, 'deploy/monitoring');
const deviceTopic = (id: string, channel: string) => `loa/v1/d/${id}/${channel}`;

interface PromAlert {
  labels: Record<string, string>;
  state: 'pending' | 'firing' | 'inactive';
}

/** The shipped rules with every `for:` set to 1 s; nothing else may differ (checked below). */
function shortenedRules(shipped: string): string {
  return shipped.replace(/^(\s+for: )\S+$/gm, '$11s');
}

describe('Prometheus scraping Loa with the shipped alert rules', () => {
  let server: TestServer;
  let promUrl: string;
  const clients: MqttClient[] = [];

  const prom = async <T>(apiPath: string): Promise<T> => {
    const res = await fetch(`${promUrl}${apiPath}`, { signal: AbortSignal.timeout(10_000) });
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`${apiPath}: ${body.error ?? res.status}`);
    return body.data;
  };
  const query = (expr: string) => prom<{ resultType: string; result: Array<{ metric: Record<string, string>; value: [number, string] }> }>(`/api/v1/query?query=${encodeURIComponent(expr)}`);

  beforeAll(async () => {
    if (!existsSync(PROMETHEUS)) throw new Error(`${PROMETHEUS} is missing: install Debian's "prometheus" package (apt-get install prometheus); CI installs it in .ci/run`);
    server = await spawnServer({ suite: SUITE });
    await loa.createArea(server.api, { code: '01', name: 'Tỉnh Một', level: 'province' });
    await loa.createArea(server.api, { code: '001', name: 'Huyện Đông', level: 'district', parentCode: '01' });
    await loa.createArea(server.api, { code: '002', name: 'Huyện Tây', level: 'district', parentCode: '01' });
    await loa.createArea(server.api, { code: '00011', name: 'Xã Đông Một', level: 'commune', parentCode: '001' });
    await loa.createArea(server.api, { code: '00021', name: 'Xã Tây Một', level: 'commune', parentCode: '002' });

    const dir = tempDir('prometheus');
    const shipped = readFileSync(path.join(MONITORING, 'loa-alerts.yml'), 'utf8');
    const rules = shortenedRules(shipped);
    const withoutFor = (t: string) => t.split('\n').filter((l) => !/^\s+for: /.test(l));
    expect(withoutFor(rules)).toEqual(withoutFor(shipped));
    expect(rules).not.toEqual(shipped);
    writeFileSync(path.join(dir, 'loa-alerts.yml'), rules);
    writeFileSync(
      path.join(dir, 'prometheus.yml'),
      [
        'global:',
        '  scrape_interval: 1s',
        '  evaluation_interval: 1s',
        'rule_files:',
        '  - loa-alerts.yml',
        'scrape_configs:',
        '  - job_name: loa',
        '    metrics_path: /metrics',
        '    scrape_timeout: 1s',
        '    static_configs:',
        `      - targets: ['127.0.0.1:${server.httpPort}']`,
        '',
      ].join('\n'),
    );
    const port = await freePort();
    promUrl = `http://127.0.0.1:${port}`;
    const proc = new ManagedProcess(
      'prometheus',
      PROMETHEUS,
      [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
      { env: childEnv({}), logDir: artifactsDir(SUITE), cwd: dir },
    );
    await waitFor(
      async () => {
        if (proc.exit) throw new WaitAborted(`prometheus exited: ${JSON.stringify(proc.exit)}\n${proc.tail()}`);
        return (await fetch(`${promUrl}/-/ready`)).status === 200;
      },
      30_000,
      { what: 'prometheus ready', intervalMs: 200 },
    );
  });

  afterAll(async () => {
    for (const c of clients) c.end(true);
    await stopAll();
  });

  it('scrapes the server: the target is up', async () => {
    const target = await waitFor(
      async () => {
        const t = await prom<{ activeTargets: Array<{ labels: Record<string, string>; health: string; lastError: string }> }>('/api/v1/targets');
        return t.activeTargets.find((a) => a.labels.job === 'loa' && a.health === 'up');
      },
      30_000,
      { what: 'the loa target up', intervalMs: 250 },
    );
    expect(target.lastError).toBe('');
    const up = await query('up{job="loa"}');
    expect(up.result.map((r) => r.value[1])).toEqual(['1']);
  });

  it('fires LoaManyDevicesOfflineInArea for the district whose devices all went offline, and for no other', async () => {
    const east = ['spk-e1', 'spk-e2', 'spk-e3', 'spk-e4', 'spk-e5', 'spk-e6'];
    const west = ['spk-w1'];
    for (const [ids, areaCode] of [
      [east, '00011'],
      [west, '00021'],
    ] as const) {
      for (const id of ids) {
        const d = await loa.createDevice(server.api, { id, name: id, kind: 'speaker', areaCode });
        const client = await new Promise<MqttClient>((resolve, reject) => {
          const c = mqtt.connect(server.mqttUrl, {
            clientId: id,
            username: id,
            password: d.secret,
            reconnectPeriod: 0,
            protocolVersion: 4,
            // As an agent does: the broker tells the server when the device's link dies.
            will: { topic: deviceTopic(id, 'status'), payload: Buffer.from(JSON.stringify({ v: 1, state: 'offline', reason: 'will' })), qos: 1, retain: true },
          });
          c.once('connect', () => resolve(c));
          c.once('error', reject);
        });
        clients.push(client);
        await client.publishAsync(deviceTopic(id, 'status'), JSON.stringify({ v: 1, state: 'online', reason: 'connect', kind: 'speaker' }), { qos: 1, retain: true });
      }
    }
    await waitFor(async () => (await query('max(loa_devices_online{job="loa",kind="speaker"})')).result[0]?.value[1] === '7', 30_000, { what: 'Prometheus to see 7 speakers online' });
    const offlineNow = await query('loa_area_devices_offline{job="loa",area="001"}');
    expect(offlineNow.result.map((r) => r.value[1])).toEqual(['0']);
    expect((await prom<{ alerts: PromAlert[] }>('/api/v1/alerts')).alerts.filter((a) => a.labels.alertname === 'LoaManyDevicesOfflineInArea')).toEqual([]);

    // A power cut in Huyện Đông: the sockets die without a DISCONNECT, so the broker publishes the last wills.
    for (const c of clients.filter((c) => east.includes(c.options.clientId!))) c.stream.destroy();

    const firing = await waitFor(
      async () => {
        const { alerts } = await prom<{ alerts: PromAlert[] }>('/api/v1/alerts');
        const mine = alerts.filter((a) => a.labels.alertname === 'LoaManyDevicesOfflineInArea' && a.state === 'firing');
        return mine.length > 0 ? mine : undefined;
      },
      60_000,
      { what: 'LoaManyDevicesOfflineInArea firing', intervalMs: 500 },
    );
    expect(firing.map((a) => a.labels)).toEqual([{ alertname: 'LoaManyDevicesOfflineInArea', area: '001', area_name: 'Huyện Đông', level: 'district', job: 'loa', severity: 'critical' }]);
    const west1 = await query('loa_area_devices_offline{job="loa",area="002"}');
    expect(west1.result.map((r) => r.value[1])).toEqual(['0']);
  });

  it('parses every Grafana panel expression', async () => {
    const dash = JSON.parse(readFileSync(path.join(MONITORING, 'grafana-dashboard.json'), 'utf8')) as { panels: Array<{ title: string; targets?: Array<{ expr: string }> }> };
    const exprs = dash.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));
    expect(exprs.length).toBeGreaterThan(20);
    const failures: string[] = [];
    for (const { panel, expr } of exprs) {
      try {
        await query(expr);
      } catch (err) {
        failures.push(`${panel}: ${(err as Error).message}`);
      }
    }
    expect(failures).toEqual([]);
    // Not only parsed: the fleet panels have data from this server.
    expect((await query('max without (instance) (loa_devices_online{job="loa"})')).result.length).toBeGreaterThan(0);
  });
});
