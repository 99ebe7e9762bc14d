/**
 * Offline promise: once the timeline (and its media) is on the device, the bulletin plays on time with the server
 * and broker gone, and the report reaches the server exactly once after it comes back.
 */
import { jest } from '@jest/globals';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { loa, makeTone, probeDuration, spawnAgent, spawnServer, stopAll, tempDir, waitFor, type TestAgent, type TestServer } from './support/index.js';

// jest.config.js's per-project testTimeout is not applied by Jest (only the root 30 s is), so set it here.
jest.setTimeout(240_000);

const SUITE = 'offline';

/** The agent's JSON log lines that carry `msg` (and, when given, are about `occurrenceId`). */
const logged = (agent: TestAgent, msg: string, occurrenceId?: string): Array<Record<string, unknown>> =>
  agent.proc
    .stdout()
    .split('\n')
    .filter((l) => l.includes(`"msg":"${msg}"`))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => occurrenceId === undefined || l.occurrenceId === occurrenceId);

describe('offline playback', () => {
  const work = tempDir(SUITE);

  afterAll(stopAll);

  it('plays on time while the server is down and reports exactly once after it returns', async () => {
    let server: TestServer = await spawnServer({ suite: SUITE, name: 'server-1' });
    const { api } = server;
    await loa.createArea(api, { code: '01', name: 'Thành phố Hà Nội', level: 'province' });
    await loa.createArea(api, { code: '09955', name: 'Xã Tây Đằng', level: 'commune', parentCode: '01' });
    const spk = await loa.createDevice(api, { id: 'spk-taydang-02', name: 'Cụm loa thôn Thái Bạt', kind: 'speaker', areaCode: '09955' });
    const agent = await spawnAgent({
      suite: SUITE,
      serverUrl: server.baseUrl,
      mqttUrl: server.mqttUrl,
      deviceId: spk.device.id,
      secret: spk.secret,
      kind: 'speaker',
      audioOutput: `file:${work}/out-{occurrenceId}.wav`,
    });

    const media = await loa.uploadAudio(api, await makeTone(path.join(work, 'ban-tin-trua.mp3'), 3, 660));
    const content = await loa.createAudioContent(api, 'Bản tin trưa xã Tây Đằng', media.sha256);
    // Far enough ahead to deliver, stop the server and be sure it is down before the slot.
    const startAt = Date.now() + 15_000;
    const schedule = await loa.createSchedule(api, { contentId: content.id, startAt: new Date(startAt).toISOString(), targets: { devices: [spk.device.id] } });
    const occurrenceId = schedule.occurrences[0]!.id;

    // Delivered: the agent acked the current timeline and holds the verified media file.
    await waitFor(
      async () => {
        const d = await loa.getDevice(api, spk.device.id);
        return d.timelineVersion > 0 && (d.ackedTimelineVersion ?? -1) >= d.timelineVersion ? d : undefined;
      },
      10_000,
      { what: 'the device to ack its timeline' },
    );
    await waitFor(() => existsSync(agent.mediaPath(media.sha256)), 10_000, { what: 'the agent to cache the media' });

    const { options } = server;
    await server.stop();
    const serverDownAt = Date.now();
    expect(server.proc.exit).not.toBeNull();
    expect(serverDownAt).toBeLessThan(startAt - 1000);

    // The slot passes (3 s of audio) while the agent keeps running on its own: wait for it to say it is done
    // (before the server comes back, so it played offline).
    await waitFor(() => logged(agent, 'playback ended', occurrenceId).length > 0, 60_000, { what: 'the agent to end playback' });
    expect(agent.proc.exit).toBeNull();
    const out = path.join(work, `out-${occurrenceId}.wav`);
    expect(existsSync(out)).toBe(true);
    const st = statSync(out);
    const seconds = await probeDuration(out);
    expect(seconds).toBeGreaterThan(2.7);
    expect(seconds).toBeLessThan(3.3);
    // Never early: the (real-time rendered) file is begun no sooner than the slot and its last write lands no
    // sooner than start + duration. How late is the bench's business (sync scenario), not a bound here.
    expect(st.mtimeMs).toBeGreaterThan(startAt + 2000);
    if (st.birthtimeMs > 0) expect(st.birthtimeMs).toBeGreaterThan(startAt - 1000);
    const started = logged(agent, 'playback started', occurrenceId);
    expect(started).toHaveLength(1);
    expect(started[0]!.lateMs).toBeGreaterThanOrEqual(-100); // the agent's own reading, same tolerance as below

    // Same data dir, same ports: the agent reconnects (jittered back-off) and replays its outbox.
    const serverBackAt = Date.now();
    server = await spawnServer({ ...options, name: 'server-2' });
    const deliveries = await waitFor(
      async () => {
        const ds = await loa.deliveries(server.api, schedule.id);
        const mine = ds.filter((d) => d.deviceId === spk.device.id && d.occurrenceId === occurrenceId);
        return mine.length > 0 && mine.every((d) => d.state === 'finished') ? mine : undefined;
      },
      120_000,
      { what: 'the finished report to arrive after the restart', intervalMs: 1000 },
    );
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toEqual(expect.objectContaining({ occurrenceId, deviceId: spk.device.id, state: 'finished' }));
    const startedAt = deliveries[0]!.startedAt;
    if (startedAt !== null && startedAt !== undefined) {
      // The agent's own clock of the start, reported afterwards, not the time the report arrived: never early
      // (same host, so the synced clocks agree to a few ms), and while the server was still down.
      const t = typeof startedAt === 'number' ? startedAt : Date.parse(startedAt);
      expect(t).toBeGreaterThanOrEqual(startAt - 100);
      expect(t).toBeLessThan(serverBackAt);
    }

    // The agent got its ack and emptied its outbox: nothing is left to send a second time. Then still one row.
    await waitFor(() => logged(agent, 'events acknowledged').some((l) => l.left === 0 && Date.parse(String(l.time)) > serverBackAt), 60_000, {
      what: 'the agent to empty its outbox after the restart',
    });
    const again = (await loa.deliveries(server.api, schedule.id)).filter((d) => d.deviceId === spk.device.id);
    expect(again).toHaveLength(1);
    expect(again[0]!.state).toBe('finished');
  }, 240_000);
});
