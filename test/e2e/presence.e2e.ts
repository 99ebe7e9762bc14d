/**
 * Trusted status: the dashboard never shows a dead or frozen device as online. A killed agent goes offline through
 * its last will at once; a frozen one (process stopped, TCP connection still open) through the heartbeat timeout.
 * Every transition is in the device's connection log with its reason.
 */
import { jest } from '@jest/globals';
import { loa, spawnAgent, spawnServer, stopAll, waitFor, type TestServer } from './support/index.js';

jest.setTimeout(120_000);

const SUITE = 'presence';
const HEARTBEAT_TIMEOUT_S = 4;

interface ConnectionRow {
  at: string;
  state: 'online' | 'offline';
  reason: string;
}

describe('device presence', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await spawnServer({ suite: SUITE, env: { LOA_HEARTBEAT_TIMEOUT_S: String(HEARTBEAT_TIMEOUT_S) } });
    await loa.createArea(server.api, { code: '01', name: 'Thành phố Hà Nội', level: 'province' });
    await loa.createArea(server.api, { code: '09955', name: 'Xã Tây Đằng', level: 'commune', parentCode: '01' });
  });
  afterAll(stopAll);

  const online = async (id: string) => (await loa.getDevice(server.api, id)).online;
  const connections = (id: string) => server.api.get<ConnectionRow[]>(`/api/v1/devices/${id}/connections?limit=20`);
  const start = async (id: string) => {
    const d = await loa.createDevice(server.api, { id, name: `Loa ${id}`, kind: 'speaker', areaCode: '09955' });
    const agent = await spawnAgent({
      suite: SUITE,
      serverUrl: server.baseUrl,
      mqttUrl: server.mqttUrl,
      deviceId: id,
      secret: d.secret,
      kind: 'speaker',
      // Heartbeats well inside the server's timeout, as deployment guidance says.
      extraArgs: ['--telemetry-interval-s=1'],
    });
    await waitFor(() => online(id), 10_000, { what: `${id} online` });
    return agent;
  };

  it('marks an agent killed with SIGKILL offline within the heartbeat timeout, with the reason logged', async () => {
    const agent = await start('spk-kill-01');
    agent.proc.child.kill('SIGKILL');
    // The wait is a generous deadline, not the claim: the reason below says which mechanism decided it.
    await waitFor(async () => !(await online('spk-kill-01')), 30_000, { what: 'offline after kill -9' });
    const log = await connections('spk-kill-01');
    expect(log[0]).toMatchObject({ state: 'offline' });
    // The kernel closed the socket, so the broker published the last will at once; at the latest the heartbeat
    // timeout decides. Nothing slower (TCP keepalive, the MQTT keepalive) may be what took it offline.
    expect(['will', 'heartbeat-timeout']).toContain(log[0]?.reason);
    expect(log.some((r) => r.state === 'online' && r.reason === 'connect')).toBe(true);
  });

  it('marks a frozen agent offline by heartbeat timeout, and online again when it resumes', async () => {
    const agent = await start('spk-frozen-01');
    // SIGSTOP keeps the TCP connection open: no FIN, no last will, only silence.
    agent.proc.child.kill('SIGSTOP');
    const frozenAt = Date.now();
    try {
      await waitFor(async () => !(await online('spk-frozen-01')), HEARTBEAT_TIMEOUT_S * 1000 + 5000, { what: 'offline by heartbeat timeout' });
      expect(Date.now() - frozenAt).toBeGreaterThanOrEqual(HEARTBEAT_TIMEOUT_S * 1000 - 1500);
      expect((await connections('spk-frozen-01'))[0]).toMatchObject({ state: 'offline', reason: 'heartbeat-timeout' });
    } finally {
      agent.proc.child.kill('SIGCONT');
    }
    await waitFor(() => online('spk-frozen-01'), 10_000, { what: 'online again after resuming' });
    const log = await connections('spk-frozen-01');
    expect(log[0]?.state).toBe('online');
    expect(log.map((r) => r.state).slice(0, 2)).toEqual(['online', 'offline']);
  });
});
