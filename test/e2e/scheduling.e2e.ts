/**
 * The scheduling engine end to end, with real server, broker and agent processes: preemption across priorities,
 * membership changes after scheduling, cancellation reaching an offline agent, and a server outage spanning
 * several slots.
 */
import { jest } from '@jest/globals';
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  loa,
  makeTone,
  probeDuration,
  spawnAgent,
  spawnServer,
  stopAll,
  tempDir,
  waitFor,
  type Api,
  type DeliveryView,
  type ScheduleView,
  type TestServer,
} from './support/index.js';

jest.setTimeout(300_000);

const SUITE = 'scheduling';
const iso = (ms: number) => new Date(ms).toISOString();

async function acked(api: Api, deviceId: string, atLeast = 1): Promise<void> {
  await waitFor(
    async () => {
      const d = await loa.getDevice(api, deviceId);
      return d.timelineVersion >= atLeast && (d.ackedTimelineVersion ?? -1) >= d.timelineVersion ? d : undefined;
    },
    20_000,
    { what: `${deviceId} to ack timeline version ≥ ${atLeast}` },
  );
}

async function finalDeliveries(api: Api, scheduleId: string, count: number): Promise<DeliveryView[]> {
  return waitFor(
    async () => {
      const all = await loa.deliveries(api, scheduleId);
      const done = all.filter((d) => ['finished', 'failed', 'preempted', 'skipped', 'expired'].includes(d.state));
      return done.length >= count ? all : undefined;
    },
    60_000,
    { what: `${count} final deliveries of ${scheduleId}` },
  );
}

describe('scheduling engine', () => {
  const work = tempDir(SUITE);
  let server: TestServer;
  let api: Api;
  let tones: { long: string; mid: string; short: string };

  beforeAll(async () => {
    server = await spawnServer({ suite: SUITE });
    api = server.api;
    await loa.createArea(api, { code: '01', name: 'Thành phố Hà Nội', level: 'province' });
    await loa.createArea(api, { code: '10001', name: 'Xã Tây Đằng', level: 'commune', parentCode: '01' });
    await loa.createArea(api, { code: '10002', name: 'Xã Chu Minh', level: 'commune', parentCode: '01' });
    const long = await loa.uploadAudio(api, await makeTone(path.join(work, 'thoi-su.mp3'), 8, 330));
    const mid = await loa.uploadAudio(api, await makeTone(path.join(work, 'thong-bao.mp3'), 3, 550));
    const short = await loa.uploadAudio(api, await makeTone(path.join(work, 'khan-cap.mp3'), 2, 880));
    tones = { long: long.sha256, mid: mid.sha256, short: short.sha256 };
  });

  afterAll(stopAll);

  it('lets a priority notice preempt a bulletin and an emergency preempt both, on three agents', async () => {
    const ids = ['spk-pre-1', 'spk-pre-2', 'spk-pre-3'];
    for (const id of ids) {
      const d = await loa.createDevice(api, { id, name: `Cụm loa ${id}`, kind: 'speaker', areaCode: '10001' });
      await spawnAgent({ suite: SUITE, serverUrl: server.baseUrl, mqttUrl: server.mqttUrl, deviceId: id, secret: d.secret, kind: 'speaker', audioOutput: 'null' });
    }
    const normal = await loa.createAudioContent(api, 'Bản tin thời sự', tones.long);
    const priority = await loa.createAudioContent(api, 'Thông báo lịch tiêm chủng', tones.mid);
    const emergency = await loa.createAudioContent(api, 'Cảnh báo lũ quét', tones.short);
    const t = Date.now() + 15_000;
    const sNormal = await loa.createSchedule(api, { contentId: normal.id, startAt: iso(t), targets: { areas: ['10001'] }, priority: 'normal' });
    const sPriority = await api.post<{ id: string; conflicts?: Array<{ kind: string }> }>('/api/v1/schedules', {
      contentId: priority.id,
      startAt: iso(t + 2000),
      targets: { areas: ['10001'] },
      priority: 'priority',
    });
    // Overlapping a lower priority is a preemption notice, not a blocking conflict.
    expect(sPriority.conflicts?.some((c) => c.kind === 'preemption')).toBe(true);
    const sEmergency = await api.post<{ id: string }>('/api/v1/schedules', { contentId: emergency.id, startAt: iso(t + 3000), targets: { areas: ['10001'] }, priority: 'emergency' });

    const [dn, dp, de] = await Promise.all([finalDeliveries(api, sNormal.id, 3), finalDeliveries(api, sPriority.id, 3), finalDeliveries(api, sEmergency.id, 3)]);
    for (const id of ids) {
      const n = dn.find((d) => d.deviceId === id)!;
      const p = dp.find((d) => d.deviceId === id)!;
      const e = de.find((d) => d.deviceId === id)!;
      expect(e.state).toBe('finished');
      expect(e.playedMs).toBeGreaterThan(1500);
      // Each interrupted item ends in one terminal report that says what happened to it.
      for (const [d, playedBeforeInterruption] of [
        [p, 1000],
        [n, 2000],
      ] as const) {
        expect(['finished', 'preempted']).toContain(d.state);
        if (d.state === 'finished') expect(d.reason ?? '').toMatch(/resum|restart/i);
        else expect(d.playedMs ?? 0).toBeGreaterThanOrEqual(playedBeforeInterruption - 700);
      }
      expect(Date.parse(String(n.startedAt))).toBeLessThan(Date.parse(String(p.startedAt)));
      expect(Date.parse(String(p.startedAt))).toBeLessThan(Date.parse(String(e.startedAt)));
      expect(Date.parse(String(e.startedAt))).toBeGreaterThanOrEqual(t + 3000 - 500);
    }
  });

  it('plays on a device moved into the target area after the schedule was saved', async () => {
    const anchor = await loa.createDevice(api, { id: 'spk-anchor', name: 'Cụm loa UBND xã', kind: 'speaker', areaCode: '10002' });
    expect(anchor.secret).toBeTruthy();
    const mover = await loa.createDevice(api, { id: 'spk-mover', name: 'Cụm loa thôn mới', kind: 'speaker', areaCode: '10001' });
    await spawnAgent({ suite: SUITE, serverUrl: server.baseUrl, mqttUrl: server.mqttUrl, deviceId: 'spk-mover', secret: mover.secret, kind: 'speaker', audioOutput: `file:${work}/mover-{occurrenceId}.wav` });
    const content = await loa.createAudioContent(api, 'Thông báo xã Chu Minh', tones.mid);
    const s = await loa.createSchedule(api, { contentId: content.id, startAt: iso(Date.now() + 12_000), targets: { areas: ['10002'] } });
    expect(s.deviceCount).toBe(1);

    await api.request('PATCH', '/api/v1/devices/spk-mover', { areaCode: '10002' });
    // The anchor has no agent running, so only the mover's record reaches a final state.
    const mine = await waitFor(
      async () => (await loa.deliveries(api, s.id)).find((d) => d.deviceId === 'spk-mover' && ['finished', 'failed', 'skipped', 'expired'].includes(d.state)),
      60_000,
      { what: 'the moved device to report' },
    );
    expect(mine.state).toBe('finished');
    const out = path.join(work, `mover-${s.occurrences[0]!.id}.wav`);
    expect(Math.abs((await probeDuration(out)) - 3)).toBeLessThan(0.3);
  });

  it('withdraws a cancelled slot from an agent that was offline when it was cancelled', async () => {
    const d = await loa.createDevice(api, { id: 'spk-offline', name: 'Cụm loa thôn Đông', kind: 'speaker', areaCode: '10002' });
    const dataDir = tempDir('agent-spk-offline');
    const opts = { suite: SUITE, serverUrl: server.baseUrl, mqttUrl: server.mqttUrl, deviceId: 'spk-offline', secret: d.secret, kind: 'speaker' as const, dataDir, audioOutput: `file:${work}/offline-{occurrenceId}.wav` };
    let agent = await spawnAgent(opts);
    const content = await loa.createAudioContent(api, 'Bản tin bị huỷ', tones.mid);
    const startAt = Date.now() + 20_000;
    const s = await loa.createSchedule(api, { contentId: content.id, startAt: iso(startAt), targets: { devices: ['spk-offline'] } });
    const version = (await loa.getDevice(api, 'spk-offline')).timelineVersion;
    await acked(api, 'spk-offline', version);
    await agent.stop();

    await api.post(`/api/v1/schedules/${s.id}/cancel`, {}, 200);
    agent = await spawnAgent({ ...opts, name: 'agent-spk-offline-2' });
    await acked(api, 'spk-offline', version + 1);
    // A sentinel on the same device, due once the cancelled slot would have ended: when it has played, the agent
    // has run past the cancelled slot's time, so the checks below are not made too early.
    const sentinel = await loa.createSchedule(api, { contentId: content.id, startAt: iso(startAt + 4000), targets: { devices: ['spk-offline'] } });
    const [played] = await finalDeliveries(api, sentinel.id, 1);
    expect(played).toMatchObject({ deviceId: 'spk-offline', state: 'finished' });
    expect(existsSync(path.join(work, `offline-${sentinel.occurrences[0]!.id}.wav`))).toBe(true);
    expect(existsSync(path.join(work, `offline-${s.occurrences[0]!.id}.wav`))).toBe(false);
    const [delivery] = await loa.deliveries(api, s.id);
    expect(delivery?.state).not.toBe('finished');
    expect(delivery?.state).not.toBe('started');
    expect(agent.proc.exit).toBeNull();
  });

  it('plays several slots on time with the server down, and the server records each report exactly once', async () => {
    const d = await loa.createDevice(api, { id: 'spk-outage', name: 'Cụm loa thôn Bắc', kind: 'speaker', areaCode: '10002' });
    const agent = await spawnAgent({ suite: SUITE, serverUrl: server.baseUrl, mqttUrl: server.mqttUrl, deviceId: 'spk-outage', secret: d.secret, kind: 'speaker', audioOutput: `file:${work}/outage-{occurrenceId}.wav` });
    const content = await loa.createAudioContent(api, 'Bản tin khi mất kết nối', tones.short);
    const t0 = Date.now() + 15_000;
    const schedules: ScheduleView[] = [];
    for (const offset of [0, 4000, 8000]) {
      schedules.push(await loa.createSchedule(api, { contentId: content.id, startAt: iso(t0 + offset), targets: { devices: ['spk-outage'] } }));
    }
    await acked(api, 'spk-outage', (await loa.getDevice(api, 'spk-outage')).timelineVersion);
    await waitFor(() => existsSync(agent.mediaPath(tones.short)), 20_000, { what: 'the agent to cache the media' });
    const { options } = server;
    await server.stop();
    expect(Date.now()).toBeLessThan(t0 - 1000);
    // The agent says when each slot's playback ended (the last is due at t0 + 8 s), with the server still down.
    const ended = (occurrenceId: string) => agent.proc.stdout().split('\n').some((l) => l.includes('"msg":"playback ended"') && l.includes(`"occurrenceId":"${occurrenceId}"`));
    await waitFor(() => schedules.every((s) => ended(s.occurrences[0]!.id)), 60_000, { what: 'the agent to end all three slots' });
    const serverBackAt = Date.now();
    for (const s of schedules) {
      const seconds = await probeDuration(path.join(work, `outage-${s.occurrences[0]!.id}.wav`));
      expect(Math.abs(seconds - 2)).toBeLessThan(0.25);
    }

    server = await spawnServer({ ...options, name: 'server-after-outage' });
    api = server.api;
    const startedAt: number[] = [];
    for (const s of schedules) {
      const [delivery] = await finalDeliveries(api, s.id, 1);
      expect(delivery).toMatchObject({ deviceId: 'spk-outage', state: 'finished' });
      startedAt.push(Date.parse(String(delivery!.startedAt)));
    }
    // On time, as ordering: never early (same host, synced clocks agree to a few ms), each on air before the next
    // one was due (none waited behind another), all on the agent's own clock while the server was down.
    schedules.forEach((s, i) => {
      const due = Date.parse(String(s.occurrences[0]!.startAt));
      expect(startedAt[i]).toBeGreaterThanOrEqual(due - 100);
      const next = schedules[i + 1];
      expect(startedAt[i]).toBeLessThan(next ? Date.parse(String(next.occurrences[0]!.startAt)) : serverBackAt);
    });
    // Exactly once: the agent may resend, but each report is stored once.
    const db = new Database(path.join(options.dataDir, 'loa.sqlite'), { readonly: true, fileMustExist: true });
    try {
      const rows = db.prepare("SELECT occurrence_id AS o, type, COUNT(*) AS n FROM device_events WHERE device_id = 'spk-outage' GROUP BY occurrence_id, type").all() as Array<{ o: string; type: string; n: number }>;
      for (const s of schedules) {
        const occ = s.occurrences[0]!.id;
        expect(rows.filter((r) => r.o === occ && r.type === 'finished')).toEqual([{ o: occ, type: 'finished', n: 1 }]);
        expect(rows.filter((r) => r.o === occ && r.type === 'started').map((r) => r.n)).toEqual([1]);
      }
    } finally {
      db.close();
    }
  });
});
