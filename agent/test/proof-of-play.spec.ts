import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { areaTopic, deviceTopic, type AlertMessage, type PlaybackEvent, type Slot, type TimelineMessage } from '@loa/shared';
import { Backoff } from '../src/backoff.js';
import { agentConfigSchema } from '../src/config.js';
import { Controller } from '../src/controller.js';
import { FfmpegPlayer } from '../src/features/playback/player.js';
import { makeTone } from './audio.js';
import { startBroker, type TestBroker } from './broker.js';
import { silentLogger, tempDir, waitFor } from './helpers.js';
import { startMediaServer, type MediaServer } from './media-server.js';
import { measureWav, positionWav, type Measured } from './position-audio.js';

/**
 * Issue 12, item 7: a report says what the speaker really output. Measured independently: the agent writes its
 * output to WAV files (`{seq}` keeps a resumed run from overwriting the first), the source is position-coded, and
 * the files tell which parts of the bulletin were heard and how much audio went out.
 */

describe('player: the output limit ends ffmpeg, whatever its input', () => {
  it('stops a metered playback of an endless input when the output limit is reached, and counts the output', async () => {
    // Before the fix `-t` limited only the output: the meter branch kept reading the endless input forever.
    const player = new FfmpegPlayer({ output: { kind: 'null' }, meter: true });
    const playback = await player.play({ file: 'sine=frequency=440:sample_rate=8000', inputArgs: ['-f', 'lavfi'], occurrenceId: 'endless', maxMs: 700 });
    const r = await playback.done;
    expect(r).toMatchObject({ ok: true });
    expect(r.mediaMs).toBeGreaterThanOrEqual(650);
    expect(r.mediaMs).toBeLessThanOrEqual(750);
  }, 15_000);
});

const DEVICE = 'spk-pop-01';
const SECRET = 'pw-pop';
const BULLETIN_S = 8;
/** What the file measurement and a report may differ by: ffmpeg's stop, rounding, one 10 ms block each side. */
const SLACK_MS = 120;

describe('proof of play with a real agent, real ffmpeg and the output measured from its files', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let broker: TestBroker;
  let media: MediaServer;
  let agent: Controller | null = null;
  const bulletin = positionWav(BULLETIN_S);
  let bulletinSha: string;
  let alarmSha: string;
  let alarmBytes: number;
  let chimeSha: string;
  let chimeBytes: number;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('loa-pop-'));
    media = await startMediaServer({ user: DEVICE, pass: SECRET });
    bulletinSha = media.add(bulletin);
    await makeTone(join(dir, 'alarm.wav'), 4, 880);
    const alarm = await readFile(join(dir, 'alarm.wav'));
    alarmSha = media.add(alarm);
    alarmBytes = alarm.length;
    await makeTone(join(dir, 'chime.wav'), 1, 660);
    const chime = await readFile(join(dir, 'chime.wav'));
    chimeSha = media.add(chime);
    chimeBytes = chime.length;
  });
  beforeEach(async () => {
    broker = await startBroker({ [DEVICE]: SECRET }, 0, { [DEVICE]: ['01', '01001'] });
  });
  afterEach(async () => {
    await agent?.stop();
    agent = null;
    await broker.close();
  });
  afterAll(async () => {
    await media.close();
    await cleanup();
  });

  async function startAgent(name: string): Promise<string> {
    const dataDir = join(dir, name);
    const config = agentConfigSchema.parse({
      serverUrl: media.url,
      mqttUrl: broker.url,
      serverPublicKey: broker.publicKey,
      deviceId: DEVICE,
      secret: SECRET,
      kind: 'speaker',
      dataDir,
      audioOutput: `file:${join(dataDir, 'out', '{occurrenceId}-{seq}.wav')}`,
    });
    agent = new Controller(config, { logger: silentLogger(), reconnectBackoff: new Backoff({ baseMs: 100, capMs: 400 }), resendAfterMs: 1000 });
    await agent.start();
    return join(dataDir, 'out');
  }

  const events = (): PlaybackEvent[] =>
    broker.published.filter((p) => p.topic === deviceTopic(DEVICE, 'events')).flatMap((p) => (JSON.parse(p.payload.toString()) as { events: PlaybackEvent[] }).events);
  const outcome = (id: string) => waitFor(() => events().find((e) => e.occurrenceId === id && !['delivered', 'started'].includes(e.type)), 40_000, `outcome of ${id}`);

  const audio = (id: string, startAt: number, durationMs: number, sha: string, bytes: number, mediaMs: number, priority: Slot['priority'] = 'normal'): Slot => ({
    type: 'audio',
    occurrenceId: id,
    scheduleId: `sch-${id}`,
    contentId: `cnt-${id}`,
    title: id,
    priority,
    startAt,
    durationMs,
    media: { sha256: sha, bytes, durationMs: mediaMs, mime: 'audio/wav' },
  });
  const timeline = (slots: Slot[]): TimelineMessage => ({ v: 1, deviceId: DEVICE, version: 1, generatedAt: Date.now(), areaCodes: ['01', '01001'], slots });

  /** Every run of one occurrence, in the order played (the player numbers its playbacks). */
  async function runsOf(outDir: string, id: string): Promise<Measured[]> {
    const files = (await readdir(outDir)).filter((f) => f.startsWith(`${id}-`)).sort((a, b) => seqOf(a) - seqOf(b));
    return Promise.all(files.map((f) => measureWav(join(outDir, f))));
  }
  const seqOf = (f: string): number => Number(/-(\d+)\.wav$/.exec(f)?.[1]);
  it('an area alert interrupts a bulletin that cannot win the time back: reported preempted, with what was heard', async () => {
    const out = await startAgent('cut');
    const start = Date.now() + 2500;
    // The next bulletin starts right where the first one's window ends: no free time to resume into.
    await broker.publish(
      deviceTopic(DEVICE, 'timeline'),
      timeline([audio('news', start, BULLETIN_S * 1000, bulletinSha, bulletin.length, BULLETIN_S * 1000), audio('next', start + BULLETIN_S * 1000, 10_000, chimeSha, chimeBytes, 1000)]),
      { retain: true },
    );
    // Sent once the bulletin plays, effective 2 s into it: the agent arms the alert on its own clock.
    const started = await waitFor(() => events().find((e) => e.occurrenceId === 'news' && e.type === 'started'), 20_000, 'bulletin started');
    const t = started.at + 2000;
    const alert: AlertMessage = {
      v: 1,
      id: 'flood',
      msgType: 'alert',
      areaCode: '01',
      priority: 'emergency',
      sentAt: t,
      effectiveAt: t,
      expiresAt: t + 60_000,
      title: 'Cảnh báo lũ',
      media: { sha256: alarmSha, bytes: alarmBytes, durationMs: 4000, mime: 'audio/wav' },
    };
    await broker.publish(areaTopic('01', 'alert'), alert, { retain: true });

    const news = await outcome('news');
    expect((await outcome('alert:flood')).type).toBe('finished');
    expect((await outcome('next')).type).toBe('finished');

    const runs = await runsOf(out, 'news');
    expect(runs).toHaveLength(2);
    const [before, after] = runs as [Measured, Measured];
    // The second run continued where the first one stopped.
    expect(Math.abs(after.firstMs - (before.lastMs + 10))).toBeLessThanOrEqual(SLACK_MS);
    const heard = new Set([...before.blocks, ...after.blocks]).size * 10;
    const output = before.outputMs + after.outputMs;
    // Not all of it fitted: it was heard in part, the rest cut when the window (plus its overrun) ended.
    expect(heard).toBeLessThan(BULLETIN_S * 1000 - 1000);
    expect(news).toMatchObject({ type: 'preempted', itemMs: BULLETIN_S * 1000 });
    expect(news.reason).toMatch(/^resumed after preemption by alert:flood; cut at the end of its window/);
    expect(Math.abs(news.heardMs! - heard)).toBeLessThanOrEqual(SLACK_MS);
    expect(Math.abs(news.playedMs! - output)).toBeLessThanOrEqual(SLACK_MS);
  }, 60_000);

  it('a bulletin resumed after a higher-priority slot wins its lost time back from free time and is heard in full', async () => {
    const out = await startAgent('free');
    const start = Date.now() + 2500;
    await broker.publish(
      deviceTopic(DEVICE, 'timeline'),
      timeline([
        audio('news', start, BULLETIN_S * 1000, bulletinSha, bulletin.length, BULLETIN_S * 1000),
        audio('urgent', start + 2000, 4000, alarmSha, alarmBytes, 4000, 'emergency'),
      ]),
      { retain: true },
    );
    const news = await outcome('news');
    const runs = await runsOf(out, 'news');
    expect(runs).toHaveLength(2);
    const heard = new Set(runs.flatMap((r) => [...r.blocks]));
    const output = runs.reduce((a, r) => a + r.outputMs, 0);
    // Every 10 ms of the bulletin went out, though its window closed 4 s before it could end.
    expect(heard.size).toBe(BULLETIN_S * 100);
    expect(news).toMatchObject({ type: 'finished', heardMs: BULLETIN_S * 1000, itemMs: BULLETIN_S * 1000, reason: 'resumed after preemption by urgent' });
    expect(news.at).toBeGreaterThan(start + BULLETIN_S * 1000);
    expect(Math.abs(news.playedMs! - output)).toBeLessThanOrEqual(SLACK_MS);
  }, 60_000);
});
