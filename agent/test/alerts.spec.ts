import { join } from 'node:path';
import { areaTopic, deviceTopic, type AlertMessage, type PlaybackEvent, type RelaySlot } from '@loa/shared';
import { AlertBook, alertSlot } from '../src/features/alerts/alert-book.js';
import { isLiveMic } from '../src/features/playback/runners.js';
import { Backoff } from '../src/backoff.js';
import { agentConfigSchema } from '../src/config.js';
import { Controller } from '../src/controller.js';
import { startBroker, type TestBroker } from './broker.js';
import { silentLogger, tempDir, waitFor } from './helpers.js';

const NOW = 1_800_000_000_000;
const alert = (over: Partial<AlertMessage> = {}): AlertMessage => ({
  v: 1,
  id: 'a-1',
  msgType: 'alert',
  areaCode: '01',
  priority: 'emergency',
  sentAt: NOW,
  effectiveAt: NOW,
  expiresAt: NOW + 600_000,
  title: 'Cảnh báo bão',
  text: 'Bão số 3 đổ bộ, người dân ở trong nhà',
  ...over,
});
const buf = (v: unknown) => Buffer.from(JSON.stringify(v));

describe(alertSlot.name, () => {
  it('shows the text on a board until the alert expires', () => {
    expect(alertSlot(alert(), 'board', NOW)).toMatchObject({ occurrenceId: 'alert:a-1', type: 'text', priority: 'emergency', startAt: NOW, durationMs: 600_000, text: 'Bão số 3 đổ bộ, người dân ở trong nhà' });
  });

  it('plays the audio once on a speaker, and nothing when there is no audio', () => {
    const media = { sha256: 'c'.repeat(64), bytes: 10, durationMs: 4000, mime: 'audio/mpeg' };
    expect(alertSlot(alert({ media, volume: 100 }), 'speaker', NOW)).toMatchObject({ type: 'audio', durationMs: 4000, volume: 100, media });
    expect(alertSlot(alert(), 'speaker', NOW)).toBeNull();
  });

  it('relays a stream on a speaker until the alert ends, saying when it is a live microphone (issue 18)', () => {
    const live = alertSlot(alert({ stream: { url: 'https://loa.example/api/v1/live/s1/stream?token=t', live: true } }), 'speaker', NOW);
    expect(live).toMatchObject({ type: 'relay', durationMs: 600_000, url: 'https://loa.example/api/v1/live/s1/stream?token=t', live: true });
    expect(isLiveMic(live as RelaySlot)).toBe(true);
    const station = alertSlot(alert({ stream: { url: 'https://radio.example/vov1.mp3' } }), 'speaker', NOW);
    expect(station).toMatchObject({ type: 'relay', url: 'https://radio.example/vov1.mp3' });
    expect(station).not.toHaveProperty('live');
    expect(isLiveMic(station as RelaySlot)).toBe(false);
    // A server from before the flag: its live stream is recognised by the path.
    expect(isLiveMic({ url: 'https://loa.example/api/v1/live/s1/stream?token=t' })).toBe(true);
    expect(isLiveMic({ url: 'https://loa.example/api/v1/live/s1/stream?token=t', live: false })).toBe(false);
    // The board shows the alert's text meanwhile.
    expect(alertSlot(alert({ stream: { url: 'https://radio.example/vov1.mp3' } }), 'board', NOW)).toMatchObject({ type: 'text' });
  });

  it('yields nothing for a cancellation or an expired alert', () => {
    expect(alertSlot(alert({ msgType: 'cancel' }), 'board', NOW)).toBeNull();
    expect(alertSlot(alert(), 'board', NOW + 600_000)).toBeNull();
  });
});

describe(AlertBook.name, () => {
  it('replaces, cancels and clears per area, and survives a restart', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const book = new AlertBook(dir);
      await book.load();
      expect((await book.apply(alert())).kind).toBe('set');
      expect((await book.apply(alert())).kind).toBe('ignored');
      await book.apply(alert({ id: 'a-2', msgType: 'update', references: 'a-1', text: 'Cập nhật', sentAt: NOW + 1 }));
      // A superseded alert coming back is a replay, not news.
      expect((await book.apply(alert())).kind).toBe('stale');
      const reopened = new AlertBook(dir);
      await reopened.load();
      expect(reopened.slots('board', NOW).map((s) => s.occurrenceId)).toEqual(['alert:a-2']);
      await reopened.apply(alert({ id: 'a-2:cancel', msgType: 'cancel', references: 'a-2', sentAt: NOW + 2 }));
      expect(reopened.slots('board', NOW)).toEqual([]);
      await reopened.apply(alert({ id: 'a-3', sentAt: NOW + 3 }));
      expect(reopened.slots('board', NOW).map((s) => s.occurrenceId)).toEqual(['alert:a-3']);
      await reopened.retain(['02']);
      expect(reopened.slots('board', NOW)).toEqual([]);
    } finally {
      await cleanup();
    }
  });
});

describe('board agent and area alerts', () => {
  const DEVICE = 'board-alert-01';
  let broker: TestBroker;
  let agent: Controller;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    broker = await startBroker({ [DEVICE]: 'pw' }, 0, { [DEVICE]: ['01', '00004'] });
    const t = await tempDir();
    cleanup = t.cleanup;
    agent = new Controller(
      agentConfigSchema.parse({ serverUrl: 'http://127.0.0.1:9', mqttUrl: broker.url, serverPublicKey: broker.publicKey, deviceId: DEVICE, secret: 'pw', kind: 'board', boardPort: 0, dataDir: join(t.dir, 'd') }),
      { logger: silentLogger(), reconnectBackoff: new Backoff({ baseMs: 100, capMs: 400 }), resendAfterMs: 1000 },
    );
  });
  afterEach(async () => {
    await agent.stop();
    await broker.close();
    await cleanup();
  });

  it('follows the alert channels of its areas, preempts the board, and withdraws a cancelled alert', async () => {
    await agent.start();
    const board = agent.boardServer!;
    const state = async () => ((await (await fetch(`${board.url}/state`)).json()) as { current: { text: string; occurrenceId: string } | null }).current;
    const now = Date.now();
    await broker.publish(
      deviceTopic(DEVICE, 'timeline'),
      {
        v: 1,
        deviceId: DEVICE,
        version: 1,
        generatedAt: now,
        areaCodes: ['01', '00004'],
        slots: [{ type: 'text', occurrenceId: 'routine', scheduleId: 's', contentId: 'c', title: 'Lịch tiêm chủng', priority: 'normal', startAt: now, durationMs: 60_000, text: 'Tiêm chủng tại trạm y tế xã' }],
      },
      { retain: true },
    );
    await waitFor(async () => (await state())?.occurrenceId === 'routine', 5000, 'routine message shown');
    // Retained before the agent subscribes, as a province-wide alert would be for a board that just came online.
    const t0 = Date.now();
    await broker.publish(areaTopic('01', 'alert'), alert({ id: 'storm', sentAt: t0, effectiveAt: t0, expiresAt: t0 + 60_000 }), { retain: true });
    await broker.publish(areaTopic('02', 'alert'), alert({ id: 'elsewhere', areaCode: '02', sentAt: t0, effectiveAt: t0, expiresAt: t0 + 60_000, text: 'không phải của bạn' }), { retain: true });
    const shown = await waitFor(async () => ((await state())?.occurrenceId === 'alert:storm' ? state() : null), 5000, 'alert shown');
    expect(shown?.text).toBe('Bão số 3 đổ bộ, người dân ở trong nhà');
    const events = () => broker.published.filter((p) => p.topic === deviceTopic(DEVICE, 'events')).flatMap((p) => (JSON.parse(p.payload.toString()) as { events: PlaybackEvent[] }).events);
    await waitFor(() => events().some((e) => e.occurrenceId === 'alert:storm' && e.type === 'started'), 5000, 'alert started');
    // The routine message is interrupted, not over: its default policy is to resume, so no terminal report yet.
    expect(events().filter((e) => e.occurrenceId === 'routine').map((e) => e.type)).toEqual(['delivered', 'started']);

    await broker.publish(areaTopic('01', 'alert'), alert({ id: 'storm:cancel', msgType: 'cancel', references: 'storm', sentAt: Date.now(), effectiveAt: t0, expiresAt: t0 + 60_000 }), { retain: true });
    await waitFor(async () => (await state())?.occurrenceId !== 'alert:storm', 5000, 'alert withdrawn');
    await waitFor(async () => (await state())?.occurrenceId === 'routine', 5000, 'routine message back after the alert');
    expect(events().some((e) => e.occurrenceId === 'alert:elsewhere')).toBe(false);
  });
});
