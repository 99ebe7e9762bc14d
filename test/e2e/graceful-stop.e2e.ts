/**
 * A planned restart of the real server process with a real agent connected: SIGTERM ends the process cleanly (exit
 * code 0, awaited on its exit event), the agent's session is logged as ended by the server (not as a lost link),
 * and the agent is back online on the restarted server by itself. How long the stop and the return take is measured
 * by `npm run bench` (scenario restart), not here.
 */
import { jest } from '@jest/globals';
import { loa, spawnAgent, spawnServer, stopAll, waitFor, type TestServer } from './support/index.js';

jest.setTimeout(120_000);

const SUITE = 'graceful-stop';

interface ConnectionRow {
  state: 'online' | 'offline';
  reason: string;
}

describe('graceful stop and restart', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await spawnServer({ suite: SUITE });
    await loa.createArea(server.api, { code: '01', name: 'Thành phố Hà Nội', level: 'province' });
    await loa.createArea(server.api, { code: '09955', name: 'Xã Tây Đằng', level: 'commune', parentCode: '01' });
  });
  afterAll(stopAll);

  it('exits with code 0 on SIGTERM, leaves presence as it was, and the agent comes back to the new process', async () => {
    const id = 'spk-restart-01';
    const d = await loa.createDevice(server.api, { id, name: 'Loa restart', kind: 'speaker', areaCode: '09955' });
    const agent = await spawnAgent({ suite: SUITE, serverUrl: server.baseUrl, mqttUrl: server.mqttUrl, deviceId: id, secret: d.secret, kind: 'speaker' });
    await waitFor(async () => (await loa.getDevice(server.api, id)).online, 15_000, { what: `${id} online` });

    server.proc.child.kill('SIGTERM');
    const exit = await server.proc.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(server.proc.stderr()).toContain('SIGTERM received, shutting down');

    server = await spawnServer({ ...server.options, name: 'server-restarted' });
    // The agent's second session is with the new process.
    await waitFor(async () => agent.proc.stdout().split('"msg":"connected to broker"').length === 3, 60_000, { what: `${id} reconnected after the restart` });
    expect((await loa.getDevice(server.api, id)).online).toBe(true);
    const log = await server.api.get<ConnectionRow[]>(`/api/v1/devices/${id}/connections?limit=10`);
    // A server restart is no device outage: no offline row, only the first connect.
    expect(log.map((r) => `${r.state}:${r.reason}`)).toEqual(['online:connect']);
    expect(agent.proc.exit).toBeNull();
  });
});
