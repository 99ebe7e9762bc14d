/**
 * Offline promise: once the timeline (and its media) is on the device, the bulletin plays on time with the server
 * and broker gone, and the report reaches the server exactly once after it comes back.
 */
import { jest } from '@jest/globals';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { loa, makeTone, probeDuration, sleep, spawnAgent, spawnServer, stopAll, tempDir, waitFor, type TestServer } from './support/index.js';

// jest.config.js's per-project testTimeout is not applied by Jest (only the root 30 s is), so set it here.
jest.setTimeout(240_000);

const SUITE = 'offline';

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

    // Let the slot pass (3 s of audio) while the agent keeps running on its own.
    await sleep(Math.max(0, startAt + 3000 + 2500 - Date.now()));
    expect(agent.proc.exit).toBeNull();
    const out = path.join(work, `out-${occurrenceId}.wav`);
    expect(existsSync(out)).toBe(true);
    const st = statSync(out);
    const seconds = await probeDuration(out);
    expect(seconds).toBeGreaterThan(2.7);
    expect(seconds).toBeLessThan(3.3);
    // Played on time: the last write of the (real-time rendered) file lands at start + duration.
    expect(st.mtimeMs).toBeGreaterThan(startAt + 2000);
    expect(st.mtimeMs).toBeLessThan(startAt + 3000 + 1500);
    if (st.birthtimeMs > 0) {
      expect(st.birthtimeMs).toBeGreaterThan(startAt - 1000);
      expect(st.birthtimeMs).toBeLessThan(startAt + 1000);
    }

    // Same data dir, same ports: the agent reconnects (jittered back-off) and replays its outbox.
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
      // The agent's own clock of the start, reported afterwards, not the time the report arrived.
      const t = typeof startedAt === 'number' ? startedAt : Date.parse(startedAt);
      expect(Math.abs(t - startAt)).toBeLessThan(1500);
    }

    // Give the agent a moment to get its ack and make sure a second pass does not create a duplicate.
    await sleep(2000);
    const again = (await loa.deliveries(server.api, schedule.id)).filter((d) => d.deviceId === spk.device.id);
    expect(again).toHaveLength(1);
    expect(again[0]!.state).toBe('finished');
  }, 240_000);
});
