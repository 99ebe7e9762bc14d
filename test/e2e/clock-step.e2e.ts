/**
 * A device's wall clock is set while a slot is coming (NTP stepping a board that booted without an RTC, or a person
 * changing the time): the agent must still play the slot at server time and say so. Real server, broker and agent
 * processes; the agent's wall clock is faked with libfaketime (its monotonic clock stays true), and the step is
 * applied at run time through libfaketime's timestamp file. The agent keeps the default 300 s sync interval, so
 * only its own step detection can save the slot.
 */
import { jest } from '@jest/globals';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { loa, makeTone, probeDuration, sleep, spawnAgent, spawnServer, stopAll, tempDir, waitFor, type Api, type DeliveryView, type TestAgent, type TestServer } from './support/index.js';

jest.setTimeout(180_000);

const SUITE = 'clock-step';
const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const STEP_S = 600;
/** The step lands this long before the slot, as in the field report. */
const STEP_BEFORE_SLOT_MS = 8000;
const TONE_S = 3;
const FINAL = ['finished', 'failed', 'preempted', 'skipped', 'expired'];

/** Environment that runs a process on a fake wall clock: offset read from `file`, monotonic clock left alone. */
function fakeClockEnv(file: string): Record<string, string> {
  writeFileSync(file, '+0\n');
  return {
    LD_PRELOAD: LIBFAKETIME,
    FAKETIME_TIMESTAMP_FILE: file,
    FAKETIME_NO_CACHE: '1',
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
  };
}

/** Index of the first log line (JSON, pino) whose msg matches, after line `from`; -1 if none. */
function logIndex(log: string, msg: RegExp, from = 0): number {
  const lines = log.split('\n');
  for (let i = Math.max(0, from); i < lines.length; i++) {
    const m = /"msg":"([^"]*)"/.exec(lines[i]!);
    if (m && msg.test(m[1]!)) return i;
  }
  return -1;
}

describe('agent clock steps', () => {
  const work = tempDir(SUITE);
  let server: TestServer;
  let api: Api;
  let contentId: string;
  let sha256: string;

  beforeAll(async () => {
    if (!existsSync(LIBFAKETIME)) throw new Error(`${LIBFAKETIME} is missing: install Debian's libfaketime (.ci/run does)`);
    server = await spawnServer({ suite: SUITE });
    api = server.api;
    await loa.createArea(api, { code: '01', name: 'Thành phố Hà Nội', level: 'province' });
    await loa.createArea(api, { code: '10003', name: 'Xã Phú Cường', level: 'commune', parentCode: '01' });
    const tone = await loa.uploadAudio(api, await makeTone(path.join(work, 'ban-tin.mp3'), TONE_S, 440));
    sha256 = tone.sha256;
    contentId = (await loa.createAudioContent(api, 'Bản tin sáng', sha256)).id;
  });

  afterAll(stopAll);

  async function startFakedAgent(deviceId: string): Promise<{ agent: TestAgent; stepFile: string }> {
    const d = await loa.createDevice(api, { id: deviceId, name: `Cụm loa ${deviceId}`, kind: 'speaker', areaCode: '10003' });
    const stepFile = path.join(work, `${deviceId}.faketime`);
    const agent = await spawnAgent({
      suite: SUITE,
      serverUrl: server.baseUrl,
      mqttUrl: server.mqttUrl,
      deviceId,
      secret: d.secret,
      kind: 'speaker',
      audioOutput: `file:${work}/${deviceId}-{occurrenceId}.wav`,
      env: fakeClockEnv(stepFile),
      // No --clock-sync-interval-s: the default 300 s applies, as in the field.
    });
    await waitFor(() => logIndex(agent.proc.stdout(), /^clock synchronised with the server$/) >= 0, 20_000, { what: `${deviceId} to measure its clock` });
    return { agent, stepFile };
  }

  async function playsThroughStep(deviceId: string, stepS: number): Promise<void> {
    const { agent, stepFile } = await startFakedAgent(deviceId);
    const startAt = Date.now() + 20_000;
    const s = await loa.createSchedule(api, { contentId, startAt: new Date(startAt).toISOString(), targets: { devices: [deviceId] } });
    const occurrenceId = s.occurrences[0]!.id;
    await waitFor(
      async () => {
        const d = await loa.getDevice(api, deviceId);
        return d.timelineVersion >= 1 && (d.ackedTimelineVersion ?? -1) >= d.timelineVersion && existsSync(agent.mediaPath(sha256));
      },
      15_000,
      { what: `${deviceId} to hold the timeline and the audio` },
    );

    // Setting the scene, not asserting: the step must land a few seconds before the slot.
    await sleep(Math.max(0, startAt - STEP_BEFORE_SLOT_MS - Date.now()));
    writeFileSync(stepFile, `${stepS > 0 ? '+' : ''}${stepS}\n`);

    const done = await waitFor(
      async () => (await loa.deliveries(api, s.id)).find((d): d is DeliveryView => d.deviceId === deviceId && FINAL.includes(d.state)),
      60_000,
      { what: `a final report of ${occurrenceId} from ${deviceId}` },
    ).catch((err: Error) => {
      throw new Error(`${err.message}\n${agent.proc.tail(40)}`);
    });
    expect({ state: done.state, reason: done.reason }).toEqual({ state: 'finished', reason: null });
    expect(done.playedMs).toBeGreaterThan((TONE_S - 0.5) * 1000);
    // Stamped on server time, not on the stepped wall clock (the fault put reports 10 min off).
    const startedAt = Date.parse(String(done.startedAt));
    expect(Math.abs(startedAt - startAt)).toBeLessThan((STEP_S * 1000) / 10);
    expect(Date.parse(String(done.endedAt))).toBeLessThanOrEqual(Date.now());
    // The speaker really output the item (measured on the written file, not taken from the report).
    expect(Math.abs((await probeDuration(path.join(work, `${deviceId}-${occurrenceId}.wav`))) - TONE_S)).toBeLessThan(0.5);

    // The agent saw the step itself and asked the server again before the slot, not at its next periodic sync.
    // Its periodic sync is 300 s away, so a measurement logged after the step was caused by the step.
    const log = agent.proc.stdout();
    const stepped = logIndex(log, /^local clock stepped/);
    expect(stepped).toBeGreaterThanOrEqual(0);
    const { stepMs } = JSON.parse(log.split('\n')[stepped]!) as { stepMs: number };
    expect(Math.abs(stepMs - stepS * 1000)).toBeLessThan(2000);
    expect(logIndex(log, /^clock re-measured after the local clock stepped/, stepped)).toBeGreaterThan(stepped);
  }

  it(`plays a slot when the wall clock is stepped forward ${STEP_S} s shortly before it`, () => playsThroughStep('spk-step-fwd', STEP_S));

  it(`plays a slot when the wall clock is stepped back ${STEP_S} s shortly before it`, () => playsThroughStep('spk-step-back', -STEP_S));
});
