/**
 * Issue 14: a schedule change reaches a device holding its week as a patch of the version it holds, not as the whole
 * 7-day timeline again; the real `loa-agent` applies it, checks it against the server's digest, acks it and plays
 * what it added on time. A device that restarts from its stored timeline is caught up the same way.
 */
import { jest } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { loa, makeTone, probeDuration, spawnAgent, spawnServer, stopAll, tempDir, waitFor, type Api, type DeliveryView, type TestServer } from './support/index.js';

jest.setTimeout(180_000);

const SUITE = 'timeline-patch';
const DEVICE = 'spk-patch-01';
const iso = (ms: number) => new Date(ms).toISOString();

async function ackedAbove(api: Api, version: number): Promise<number> {
  return waitFor(
    async () => {
      const d = await loa.getDevice(api, DEVICE);
      return d.timelineVersion > version && (d.ackedTimelineVersion ?? -1) >= d.timelineVersion ? d.timelineVersion : undefined;
    },
    30_000,
    { what: `${DEVICE} to ack a timeline above version ${version}` },
  );
}

/** The agent's "timeline stored" log lines: version and whether it came as a patch or whole. */
function stored(stdout: string): Array<{ version: number; slots: number; via: string }> {
  return stdout
    .split('\n')
    .filter((l) => l.includes('"msg":"timeline stored"'))
    .map((l) => JSON.parse(l) as { version: number; slots: number; via: string });
}

describe('timeline patches end to end', () => {
  const work = tempDir(SUITE);
  let server: TestServer;
  let api: Api;

  beforeAll(async () => {
    server = await spawnServer({ suite: SUITE });
    api = server.api;
    await loa.createArea(api, { code: '01', name: 'Thành phố Hà Nội', level: 'province' });
    await loa.createArea(api, { code: '10001', name: 'Xã Tây Đằng', level: 'commune', parentCode: '01' });
  });

  afterAll(stopAll);

  it('sends a schedule change as a patch that the agent applies, acks and plays', async () => {
    const device = await loa.createDevice(api, { id: DEVICE, name: 'Cụm loa thôn Đông', kind: 'speaker', areaCode: '10001' });
    const tone = await loa.uploadAudio(api, await makeTone(path.join(work, 'ban-tin.mp3'), 2, 440));
    const content = await loa.createAudioContent(api, 'Bản tin thời sự', tone.sha256);
    // A week planned: a bulletin every morning for the 7-day horizon.
    const morning = Date.now() + 6 * 3_600_000;
    await api.post('/api/v1/schedules', { contentId: content.id, startAt: iso(morning), rrule: 'FREQ=DAILY', targets: { areas: ['10001'] } });

    const agent = await spawnAgent({
      suite: SUITE,
      serverUrl: server.baseUrl,
      mqttUrl: server.mqttUrl,
      deviceId: DEVICE,
      secret: device.secret,
      kind: 'speaker',
      audioOutput: `file:${work}/out-{occurrenceId}.wav`,
    });
    const week = await ackedAbove(api, 0);
    await waitFor(() => stored(agent.proc.stdout()).some((s) => s.version === week), 10_000, { what: 'the week stored' });
    const weekSlots = stored(agent.proc.stdout()).find((s) => s.version === week)!.slots;
    expect(weekSlots).toBeGreaterThanOrEqual(6);

    // The change: one more announcement, soon.
    const at = Date.now() + 20_000;
    const added = await loa.createSchedule(api, { contentId: content.id, startAt: iso(at), targets: { devices: [DEVICE] } });
    const changed = await ackedAbove(api, week);
    const arrival = await waitFor(() => stored(agent.proc.stdout()).find((s) => s.version === changed), 10_000, { what: `version ${changed} stored` });
    // A patch of the held week, applied and matching the server's digest (else it would have been fetched whole).
    expect(arrival).toMatchObject({ via: 'patch', slots: weekSlots + 1 });

    const delivery = await waitFor(
      async () => (await loa.deliveries(api, added.id)).find((d: DeliveryView) => d.deviceId === DEVICE && ['finished', 'failed'].includes(d.state)),
      40_000,
      { what: 'the added announcement played' },
    );
    expect(delivery.state).toBe('finished');
    expect(Date.parse(String(delivery.startedAt))).toBeGreaterThanOrEqual(at - 500);
    const occurrence = added.occurrences[0]!.id;
    expect(await probeDuration(path.join(work, `out-${occurrence}.wav`))).toBeCloseTo(2, 0);

    // Restarted from its stored timeline while a change was made: it comes back and is caught up.
    await agent.stop();
    const later = await loa.createSchedule(api, { contentId: content.id, startAt: iso(Date.now() + 2 * 3_600_000), targets: { devices: [DEVICE] } });
    const restarted = await spawnAgent({ suite: SUITE, name: `agent-${DEVICE}-2`, serverUrl: server.baseUrl, mqttUrl: server.mqttUrl, deviceId: DEVICE, secret: device.secret, kind: 'speaker', dataDir: agent.dataDir, audioOutput: 'null' });
    const caughtUp = await ackedAbove(api, changed);
    await waitFor(() => stored(restarted.proc.stdout()).find((s) => s.version === caughtUp), 10_000, { what: `version ${caughtUp} stored after the restart` });
    // What it stored is the week with the later announcement (the one already played may have left the horizon).
    const held = JSON.parse(await readFile(path.join(agent.dataDir, 'timeline.json'), 'utf8')) as { version: number; slots: Array<{ occurrenceId: string }> };
    expect(held.version).toBe(caughtUp);
    expect(held.slots.map((s) => s.occurrenceId)).toContain(later.occurrences[0]!.id);
    expect(held.slots.length).toBeGreaterThanOrEqual(weekSlots);
  });
});
