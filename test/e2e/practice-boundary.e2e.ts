/**
 * Issue 21, the practice boundary with real processes: a main server, a real `loa-agent` connected to it, and the
 * practice instance the main server starts for the user. The user enters practice mode, uploads audio, creates and
 * approves a schedule to the commune and sends a command to a virtual device, all through /practice/api. Once the
 * practice side has proved it ran (the virtual speaker's `finished` report and the command's answer in the sandbox),
 * the real side is checked: the agent's timeline and command journal are as they were, the main database has no new
 * schedule, command or audit row from practice, and the sandbox's broker refuses the real agent's credentials.
 */
import { jest } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Api, loa, makeTone, spawnAgent, spawnServer, stopAll, tempDir, tryConnect, waitFor, type TestAgent, type TestServer } from './support/index.js';

jest.setTimeout(240_000);

const SUITE = 'practice-boundary';
const COMMUNE = '09955';

interface DeviceRow {
  id: string;
  kind: 'speaker' | 'board';
  areaCode: string;
}
/** `GET /api/v1/audit` answers the entries themselves (the total is in X-Total-Count). */
type AuditEntries = Array<Record<string, unknown>>;

const journalOf = (agent: TestAgent): string[] => {
  const dir = path.join(agent.dataDir, 'commands');
  return existsSync(dir) ? readdirSync(dir).sort() : [];
};
const timelineOf = (agent: TestAgent): string | null => {
  const file = path.join(agent.dataDir, 'timeline.json');
  return existsSync(file) ? readFileSync(file, 'utf8') : null;
};
const listOf = <T>(body: unknown): T[] => (Array.isArray(body) ? (body as T[]) : ((body as { items?: T[] }).items ?? []));

describe('practice boundary', () => {
  let server: TestServer;
  let agent: TestAgent;
  let realSecret: string;

  beforeAll(async () => {
    server = await spawnServer({ suite: SUITE, env: { LOA_PRACTICE_MAX_SANDBOXES: '2' } });
    await loa.createArea(server.api, { code: '01', name: 'Thành phố Hà Nội', level: 'province' });
    await loa.createArea(server.api, { code: COMMUNE, name: 'Xã Tây Đằng', level: 'commune', parentCode: '01' });
    const created = await loa.createDevice(server.api, { id: 'spk-real-1', name: 'Loa thật 1', kind: 'speaker', areaCode: COMMUNE });
    realSecret = created.secret;
    agent = await spawnAgent({ suite: SUITE, serverUrl: server.baseUrl, mqttUrl: server.mqttUrl, deviceId: 'spk-real-1', secret: realSecret, kind: 'speaker' });
    // The real agent holds the timeline the server last sent it before anything is measured.
    await waitFor(
      async () => {
        const d = await loa.getDevice(server.api, 'spk-real-1');
        return d.online && d.ackedTimelineVersion === d.timelineVersion ? d : undefined;
      },
      30_000,
      { what: 'the real agent online with its timeline acknowledged' },
    );
  });
  afterAll(stopAll);

  it('what is done in practice never reaches the real agent or the main database', async () => {
    const api = server.api;
    const realBefore = await loa.getDevice(api, 'spk-real-1');
    const timelineBefore = timelineOf(agent);
    const journalBefore = journalOf(agent);
    const schedulesBefore = listOf(await api.get('/api/v1/schedules')).length;
    const commandsBefore = listOf(await api.get('/api/v1/commands')).length;
    const mark = new Date().toISOString();

    const entered = await api.post<{ sandboxId: string; state: string }>('/api/v1/practice/enter', {}, 200);
    expect(entered.state).toBe('ready');
    // The dashboard's switch: the same calls, under /practice.
    const practice = new Api(`${server.baseUrl}/practice`, api.token);
    expect(await practice.get('/api/v1/dashboard/config')).toMatchObject({ practice: true });

    const devices = listOf<DeviceRow>(await practice.get('/api/v1/devices'));
    // The sandbox has its own (virtual) devices, never the real one.
    expect(devices.map((d) => d.id)).not.toContain('spk-real-1');
    const speaker = devices.find((d) => d.kind === 'speaker' && d.areaCode === COMMUNE);
    if (!speaker) throw new Error(`no virtual speaker in ${COMMUNE} in the sandbox: ${JSON.stringify(devices)}`);

    // An upload streamed through the proxy, a schedule to the commune, approved if the rules hold it.
    const work = tempDir('practice-media');
    const media = await loa.uploadAudio(practice, await makeTone(path.join(work, 'ban-tin.mp3'), 3, 440));
    const content = await loa.createAudioContent(practice, 'Bản tin thực hành', media.sha256);
    const schedule = await loa.createSchedule(practice, { contentId: content.id, startAt: new Date(Date.now() + 8000).toISOString(), targets: { areas: [COMMUNE] } });
    const view = await practice.get<{ approval?: string }>(`/api/v1/schedules/${schedule.id}`);
    if (view.approval === 'pending') await practice.post(`/api/v1/schedules/${schedule.id}/approve`, {}, 201);
    const command = await practice.post<{ id: string }>('/api/v1/commands', { command: { type: 'setVolume', volume: 40 }, target: { deviceId: speaker.id } });

    // The practice side ran: the virtual speaker answered the command and reported the slot finished.
    await waitFor(
      async () => {
        const c = await practice.get<{ results: { items: Array<{ deviceId: string; state: string }> } }>(`/api/v1/commands/${command.id}`);
        return c.results.items.find((r) => r.deviceId === speaker.id && r.state === 'ok');
      },
      60_000,
      { what: 'the virtual speaker to answer the command in the sandbox' },
    );
    await waitFor(
      async () => (await loa.deliveries(practice, schedule.id)).find((d) => d.deviceId === speaker.id && d.state === 'finished'),
      90_000,
      { what: 'the virtual speaker to report the slot finished in the sandbox' },
    );

    // The real side did not move.
    const realAfter = await loa.getDevice(api, 'spk-real-1');
    expect(realAfter.timelineVersion).toBe(realBefore.timelineVersion);
    expect(realAfter.ackedTimelineVersion).toBe(realBefore.ackedTimelineVersion);
    expect(timelineOf(agent)).toBe(timelineBefore);
    expect(journalOf(agent)).toEqual(journalBefore);
    expect(listOf(await api.get('/api/v1/schedules')).length).toBe(schedulesBefore);
    expect(listOf(await api.get('/api/v1/commands')).length).toBe(commandsBefore);
    // The practice schedule does not exist on the real server.
    await api.get(`/api/v1/schedules/${schedule.id}`, 404);
    // The only audit rows since are the user's own entering of practice on the main server, none of its acts.
    const since = (await api.get<AuditEntries>('/api/v1/audit?limit=500')).filter((e) => String(e.at) >= mark);
    const fromPractice = since.filter((e) => !JSON.stringify(e).includes('practice'));
    expect(fromPractice).toEqual([]);

    // The sandbox's broker does not know the real device.
    const ready = server.proc
      .stdout()
      .split('\n')
      .filter((l) => l.includes('"msg":"practice sandbox ready"'))
      .map((l) => JSON.parse(l) as { mqttPort: number | null });
    const mqttPort = ready.at(-1)?.mqttPort;
    expect(mqttPort).toEqual(expect.any(Number));
    expect(mqttPort).not.toBe(server.mqttPort);
    const attempt = await tryConnect(`mqtt://127.0.0.1:${mqttPort}`, { clientId: 'spk-real-1', username: 'spk-real-1', password: realSecret });
    expect(attempt).toMatchObject({ connected: false, code: 4 });
  });
});
