/**
 * Remote commands with a real server process and real agent processes: a command waits for an offline device and
 * runs when it comes back; one whose ttl passes first expires and never runs; a live device answers at once.
 * Deadlines of the waits below are generous: what proves "at once" or "never" is an order of events, not a time.
 */
import { jest } from '@jest/globals';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loa, spawnAgent, spawnServer, stopAll, waitFor, type Api, type TestAgent, type TestServer } from './support/index.js';

jest.setTimeout(180_000);

const SUITE = 'commands';

type State = 'queued' | 'sent' | 'ok' | 'error' | 'rejected' | 'expired';
interface CommandDetail {
  id: string;
  devices: number;
  counts: Record<State, number>;
  results: { total: number; items: Array<{ deviceId: string; state: State; message: string | null; data: Record<string, unknown> | null; sentAt: string | null }> };
}

const createCommand = (api: Api, body: unknown) => api.post<CommandDetail>('/api/v1/commands', body);
const getCommand = (api: Api, id: string) => api.get<CommandDetail>(`/api/v1/commands/${id}`);
const stateOf = async (api: Api, id: string, deviceId: string) => (await getCommand(api, id)).results.items.find((r) => r.deviceId === deviceId);
const outputSetting = (agent: TestAgent): unknown => {
  const file = path.join(agent.dataDir, 'output.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
};

describe('remote commands', () => {
  let server: TestServer;
  let api: Api;
  const devices: Record<string, { secret: string }> = {};

  beforeAll(async () => {
    server = await spawnServer({ suite: SUITE });
    api = server.api;
    await loa.createArea(api, { code: '01', name: 'Thành phố Hà Nội', level: 'province' });
    await loa.createArea(api, { code: '09955', name: 'Xã Tây Đằng', level: 'commune', parentCode: '01' });
    await loa.createArea(api, { code: '09956', name: 'Xã Phú Châu', level: 'commune', parentCode: '01' });
    for (const [id, areaCode] of [
      ['spk-cmd-a', '09955'],
      ['spk-cmd-b', '09955'],
      ['spk-cmd-c', '09956'],
    ] as const) {
      const d = await loa.createDevice(api, { id, name: id, kind: 'speaker', areaCode });
      devices[id] = { secret: d.secret };
    }
  });
  afterAll(stopAll);

  const startAgent = (deviceId: string, dataDir?: string, name?: string) =>
    spawnAgent({
      suite: SUITE,
      name: name ?? `agent-${deviceId}`,
      serverUrl: server.baseUrl,
      mqttUrl: server.mqttUrl,
      deviceId,
      secret: devices[deviceId]!.secret,
      kind: 'speaker',
      ...(dataDir ? { dataDir } : {}),
    });
  const waitPresence = (deviceId: string, online: boolean) =>
    waitFor(async () => (await loa.getDevice(api, deviceId)).online === online, 15_000, { what: `${deviceId} ${online ? 'online' : 'offline'}` });

  it('answers a setVolume to a live device at once, on its live session', async () => {
    const agent = await startAgent('spk-cmd-a');
    await waitPresence('spk-cmd-a', true);
    const c = await createCommand(api, { command: { type: 'setVolume', volume: 60 }, target: { deviceId: 'spk-cmd-a' } });
    expect(c.devices).toBe(1);
    const row = await waitFor(async () => {
      const r = await stateOf(api, c.id, 'spk-cmd-a');
      return r?.state === 'ok' ? r : undefined;
    }, 30_000, { what: 'the setVolume answer', intervalMs: 100 });
    // Sent to the session that was live when it was created: not held for a reconnect.
    expect(agent.proc.stdout().split('"msg":"connected to broker"')).toHaveLength(2);
    expect(row.data).toEqual({ volume: 60, muted: false });
    expect(outputSetting(agent)).toEqual({ volume: 60, muted: false });
    await agent.stop();
  });

  it('runs a self-test through the output and restarts on command: answered ok, then the process exits with 0', async () => {
    const agent = await startAgent('spk-cmd-a', undefined, 'agent-spk-cmd-a-restart');
    await waitPresence('spk-cmd-a', true);
    const test = await createCommand(api, { command: { type: 'selfTest', durationMs: 1000 }, target: { deviceId: 'spk-cmd-a' } });
    const tested = await waitFor(async () => {
      const r = await stateOf(api, test.id, 'spk-cmd-a');
      return r?.state === 'ok' ? r : undefined;
    }, 10_000, { what: 'the self-test answer' });
    expect(tested.data?.levelLufs).toBeGreaterThan(-26);
    expect(tested.data?.levelLufs).toBeLessThan(-20);

    const restart = await createCommand(api, { command: { type: 'restart' }, target: { deviceId: 'spk-cmd-a' } });
    const exit = await agent.proc.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    // Answered before it went: the answer is recorded (committed in the server's next batch).
    await waitFor(async () => (await stateOf(api, restart.id, 'spk-cmd-a'))?.state === 'ok', 5000, { what: 'the restart answer' });
    expect(agent.proc.stdout()).toContain('"msg":"loa agent stopped"');
  });

  it('keeps a command for an offline device and runs it when the agent comes back; the result is recorded ok', async () => {
    const first = await startAgent('spk-cmd-a', undefined, 'agent-spk-cmd-a-1');
    await waitPresence('spk-cmd-a', true);
    await first.stop();
    await waitPresence('spk-cmd-a', false);

    const c = await createCommand(api, { command: { type: 'setVolume', volume: 25, muted: true }, target: { areaCode: '09955' }, ttlS: 300 });
    expect(c.devices).toBe(2);
    expect(c.counts.queued).toBe(2);
    expect((await stateOf(api, c.id, 'spk-cmd-a'))?.state).toBe('queued');
    expect(outputSetting(first)).not.toEqual({ volume: 25, muted: true });

    // Kept while offline: it is sent only once the device is back (server time, same host as this clock).
    const backAt = Date.now();
    const again = await startAgent('spk-cmd-a', first.dataDir, 'agent-spk-cmd-a-2');
    const row = await waitFor(async () => {
      const r = await stateOf(api, c.id, 'spk-cmd-a');
      return r?.state === 'ok' ? r : undefined;
    }, 30_000, { what: 'the queued command to run after the restart' });
    expect(Date.parse(String(row.sentAt))).toBeGreaterThanOrEqual(backAt);
    expect(row.data).toEqual({ volume: 25, muted: true });
    expect(outputSetting(again)).toEqual({ volume: 25, muted: true });
    expect(again.proc.stdout()).toContain(c.id);
    // The device that never came online still waits for it.
    expect((await stateOf(api, c.id, 'spk-cmd-b'))?.state).toBe('queued');
    const mine = await api.get<{ items: Array<{ commandId: string; state: State }> }>('/api/v1/devices/spk-cmd-a/commands');
    expect(mine.items.find((r) => r.commandId === c.id)?.state).toBe('ok');
    await again.stop();
  });

  it('expires a command with a short ttl to an offline device: it never runs there, even when the device comes back', async () => {
    const short = await createCommand(api, { command: { type: 'setVolume', volume: 5 }, target: { deviceId: 'spk-cmd-c' }, ttlS: 2 });
    const long = await createCommand(api, { command: { type: 'setVolume', volume: 70 }, target: { deviceId: 'spk-cmd-c' }, ttlS: 300 });
    expect(short.counts.queued).toBe(1);
    await waitFor(async () => (await stateOf(api, short.id, 'spk-cmd-c'))?.state === 'expired', 15_000, { what: 'the command to expire' });
    expect((await stateOf(api, long.id, 'spk-cmd-c'))?.state).toBe('queued');

    const agent = await startAgent('spk-cmd-c');
    // The one still valid is delivered and runs: the device does get its queue on coming back...
    await waitFor(async () => (await stateOf(api, long.id, 'spk-cmd-c'))?.state === 'ok', 30_000, { what: 'the valid command to run' });
    // Sentinel: a command created after all that, on the same channel to the device. Once it has run, anything
    // sent to the device before it has arrived too.
    const sentinel = await createCommand(api, { command: { type: 'collectLogs', lines: 1 }, target: { deviceId: 'spk-cmd-c' } });
    await waitFor(async () => (await stateOf(api, sentinel.id, 'spk-cmd-c'))?.state === 'ok', 30_000, { what: 'the sentinel command to run' });
    expect(agent.proc.stdout()).toContain(sentinel.id);
    // ...but never the expired one: not sent, not received (no journal entry, not in its log), not run.
    const detail = await getCommand(api, short.id);
    expect(detail.counts).toMatchObject({ expired: 1, ok: 0, sent: 0, queued: 0, rejected: 0 });
    expect(detail.results.items[0]?.sentAt).toBeNull();
    expect(existsSync(path.join(agent.dataDir, 'commands', `${short.id}.json`))).toBe(false);
    expect(existsSync(path.join(agent.dataDir, 'commands', `${long.id}.json`))).toBe(true);
    expect(agent.proc.stdout()).not.toContain(short.id);
    expect(outputSetting(agent)).toEqual({ volume: 70, muted: false });
    await agent.stop();
  });
});
