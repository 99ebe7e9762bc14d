import { jest } from '@jest/globals';
import { BadRequestException, NotFoundException } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { commandMessageSchema, DEVICE_CHANNELS, deviceTopic, type CommandResultMessage, type StatusMessage } from '@loa/shared';
import { CommandsRepository } from '../src/commands/commands.repository.js';
import { CommandsService, MAX_SENDS, RESEND_AFTER_MS, type CreateCommandInput } from '../src/commands/commands.service.js';
import type { Metrics } from '../src/common/metrics.js';
import { CommandResultEntity } from '../src/commands/command-result.entity.js';
import { DeviceEntity } from '../src/devices/device.entity.js';
import { GroupEntity } from '../src/groups/group.entity.js';
import { DATABASES, type TestDatabase } from './support/databases.js';
import { startTestServer, type TestServer } from './support/server.js';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { InProcessNamedLocks } from '../src/common/named-locks.js';
import { DomainEvents } from '../src/domain-events/domain-events.js';
import { TargetResolver } from '../src/targeting/target-resolver.js';
import { TargetsRepository } from '../src/targeting/targets.repository.js';
import { DevicesRepository } from '../src/devices/devices.repository.js';
import { statusUpdate } from '../src/devices/presence-state.js';
import { PresenceWriter } from '../src/devices/presence-writer.js';
import { FixedClock, RecordingBroker, newMetrics, seedArea, seedAudioContent, seedDevice, seedTextContent, silentLogger, testConfig, testGateway } from './support/fixtures.js';
import { fanoutDone, settled, testFanouts } from './support/fanouts.js';
import { TypeOrmTransactionRunner } from '../src/database/transaction-runner.js';
import type { FanoutJobs } from '../src/fanouts/fanout-jobs.js';

const NOW = Date.parse('2026-11-23T08:00:00Z');
const TTL_S = 600;

describe.each(DATABASES)(`${CommandsService.name} on %s`, (_name, open) => {
  let db: TestDatabase;
  let ds: DataSource;
  let broker: RecordingBroker;
  let clock: FixedClock;
  let metrics: Metrics;
  let sut: CommandsService;
  let presence: PresenceWriter;
  let fanouts: FanoutJobs;

  beforeEach(async () => {
    db = await open();
    ds = db.dataSource;
    const province = await seedArea(ds, '01', null, 'province');
    const commune = await seedArea(ds, '00004', province);
    await seedArea(ds, '02', null, 'province');
    await seedDevice(ds, 'spk-1', commune.code);
    await seedDevice(ds, 'spk-2', commune.code);
    await seedDevice(ds, 'brd-1', commune.code, 'board');
    await seedDevice(ds, 'spk-other', '02');
    broker = new RecordingBroker();
    clock = new FixedClock(NOW);
    metrics = newMetrics();
    presence = new PresenceWriter(new DevicesRepository(ds), metrics, silentLogger, new DomainEvents(new EventEmitter2(), silentLogger));
    fanouts = testFanouts(ds, clock);
    sut = new CommandsService(new CommandsRepository(ds), testGateway(broker), new InProcessNamedLocks(), presence, clock, testConfig({ LOA_COMMAND_TTL_S: '3600' }), metrics, silentLogger, new DomainEvents(new EventEmitter2(), silentLogger), new TargetResolver(new TargetsRepository(ds)), new TypeOrmTransactionRunner(ds), fanouts);
    fanouts.register('command', { run: (r) => sut.fanOut(r), checkReadable: async () => undefined });
  });
  afterEach(async () => {
    await sut.onModuleDestroy();
    await presence.onModuleDestroy();
    await db.close();
  });

  const setOnline = (ids: string[], online = true) => ds.getRepository(DeviceEntity).update(ids, { online });
  /** A `status` message, routed as the server does: to presence (committed in the background) and to commands. */
  const status = (deviceId: string, msg: StatusMessage) => {
    void presence.write(statusUpdate(deviceId, msg, clock.t));
    return sut.handleStatus(deviceId, msg);
  };
  /** A command once its fan-out has queued and sent it, with its counts as they then are. */
  const create = async (over: Partial<CreateCommandInput> = {}) => {
    const c = await settled(fanouts, sut.create({ command: { type: 'setVolume', volume: 40 }, target: { areaCode: '01' }, ttlS: TTL_S, ...over }, 'user-1'));
    return { ...c, counts: (await sut.get(c.id, { limit: 1, offset: 0 })).counts };
  };
  /** Commands published so far, verified as an agent would (signature, schema), with their topic. */
  const sent = () =>
    broker.published
      .filter((p) => p.topic.endsWith('/req'))
      .map((p) => {
        expect(p.signed).toBe(true);
        expect(p.options).toEqual({ qos: DEVICE_CHANNELS.req.qos, retain: false });
        return { topic: p.topic, msg: commandMessageSchema.parse(JSON.parse(p.payload)) };
      });
  const row = (commandId: string, deviceId: string) => ds.getRepository(CommandResultEntity).findOneByOrFail({ commandId, deviceId });
  const answer = (commandId: string, over: Partial<CommandResultMessage> = {}): CommandResultMessage => ({ v: 1, id: commandId, at: clock.now(), status: 'ok', ...over });

  describe('create', () => {
    it('fans out to the area subtree: a row per device, sent signed at once to those online, queued for the others', async () => {
      await setOnline(['spk-1', 'brd-1']);
      const c = await create();
      expect(c).toMatchObject({ type: 'setVolume', command: { type: 'setVolume', volume: 40 }, target: { areaCode: '01' }, devices: 3, expiresAt: new Date(NOW + TTL_S * 1000).toISOString() });
      expect(c.counts).toEqual({ queued: 1, sent: 2, ok: 0, error: 0, rejected: 0, expired: 0 });
      const msgs = sent();
      expect(msgs.map((m) => m.topic).sort()).toEqual([deviceTopic('brd-1', 'req'), deviceTopic('spk-1', 'req')]);
      expect(msgs.find((m) => m.msg.deviceId === 'spk-1')?.msg).toEqual({ v: 1, id: c.id, deviceId: 'spk-1', sentAt: NOW, expiresAt: NOW + TTL_S * 1000, command: { type: 'setVolume', volume: 40 } });
      expect(await row(c.id, 'spk-1')).toMatchObject({ state: 'sent', sentAt: NOW, attempts: 1 });
      expect(await row(c.id, 'spk-2')).toMatchObject({ state: 'queued', sentAt: null, attempts: 0 });
      expect(await ds.getRepository(CommandResultEntity).countBy({ deviceId: 'spk-other' })).toBe(0);
    });

    it('targets one device, or a group (listed devices and tag rule), and uses the configured ttl by default', async () => {
      const one = await create({ target: { deviceId: 'spk-2' }, ttlS: undefined });
      expect(one.devices).toBe(1);
      expect(one.expiresAt).toBe(new Date(NOW + 3600_000).toISOString());
      await ds.getRepository(DeviceEntity).update('spk-other', { tags: ['coastal'] });
      await ds.getRepository(GroupEntity).insert({ id: 'g1', name: 'g', deviceIds: ['brd-1'], tagRule: { any: ['coastal'] }, createdBy: 'u', createdAt: 0, updatedAt: 0 });
      const g = await create({ target: { groupId: 'g1' } });
      expect((await sut.get(g.id, { limit: 10, offset: 0 })).results.items.map((r) => r.deviceId)).toEqual(['brd-1', 'spk-other']);
    });

    it.each([
      ['an unknown device', { target: { deviceId: 'nope' } }, /unknown device/],
      ['an unknown group', { target: { groupId: 'nope' } }, /unknown group/],
      ['an unknown area', { target: { areaCode: '99' } }, /unknown area/],
      ['a ttl over the maximum', { ttlS: 8 * 86_400 }, /ttlS/],
      ['playNow of unknown content', { command: { type: 'playNow' as const, contentId: 'nope' } }, /unknown content/],
      ['playNow of audio on a board', { command: { type: 'playNow' as const, contentId: 'content-audio' }, target: { deviceId: 'brd-1' } }, /cannot play/],
    ])('refuses %s and stores nothing', async (_l, over, message) => {
      await seedAudioContent(ds);
      await expect(create(over)).rejects.toThrow(BadRequestException);
      await expect(create(over)).rejects.toThrow(message);
      expect(await ds.getRepository(CommandResultEntity).count()).toBe(0);
      expect(broker.published).toHaveLength(0);
    });

    it('resolves playNow into a one-off slot compiled as timelines do, only for devices that can render it', async () => {
      const content = await seedAudioContent(ds, 'content-audio', 4000);
      await setOnline(['spk-1', 'spk-2', 'brd-1']);
      const c = await create({ command: { type: 'playNow', contentId: content.id, volume: 70 } });
      expect(c.devices).toBe(2);
      const msgs = sent();
      expect(msgs.map((m) => m.msg.deviceId).sort()).toEqual(['spk-1', 'spk-2']);
      expect(msgs[0]?.msg.command).toEqual({
        type: 'playNow',
        slot: {
          type: 'audio',
          occurrenceId: `cmd-${c.id}`,
          scheduleId: `cmd-${c.id}`,
          contentId: content.id,
          title: content.title,
          priority: 'priority',
          startAt: NOW,
          durationMs: 4000,
          volume: 70,
          onPreempt: 'resume',
          media: { sha256: content.mediaSha256, bytes: 48_000, durationMs: 4000, mime: 'audio/mpeg' },
        },
      });
      const text = await seedTextContent(ds);
      const onBoards = await create({ command: { type: 'playNow', contentId: text.id, priority: 'emergency' } });
      expect(onBoards.devices).toBe(1);
      expect(sent().at(-1)?.msg).toMatchObject({ deviceId: 'brd-1', command: { slot: { type: 'text', priority: 'emergency', text: text.text } } });
    });

    it('fans out to 3,000 devices with a bounded number of statements, not one per device', async () => {
      const area = await seedArea(ds, '00099');
      const ids = Array.from({ length: 3000 }, (_, i) => `bulk-${String(i).padStart(4, '0')}`);
      for (let i = 0; i < ids.length; i += 500) {
        await ds.getRepository(DeviceEntity).insert(ids.slice(i, i + 500).map((id) => ({ id, name: id, kind: 'speaker' as const, areaCode: area.code, secretHash: 'x', online: true, lastSeenAt: null, agentVersion: null, timelineVersion: 0, ackedTimelineVersion: 0, createdAt: 0 })));
      }
      const runner = ds.createQueryRunner();
      const spy = jest.spyOn(Object.getPrototypeOf(runner) as { query: (...a: unknown[]) => Promise<unknown> }, 'query');
      await runner.release();
      try {
        const c = await create({ target: { areaCode: '00099' } });
        expect(c.counts.sent).toBe(3000);
        // 3,000 rows: a few multi-row INSERTs and UPDATEs (500 per statement), never thousands of round trips.
        expect(spy.mock.calls.length).toBeGreaterThanOrEqual(12);
        expect(spy.mock.calls.length).toBeLessThan(60);
      } finally {
        spy.mockRestore();
      }
      expect(new Set(sent().map((m) => m.msg.deviceId)).size).toBe(3000);
    });
  });

  describe('results', () => {
    it('closes each row with its answer, counted, and keeps per-device detail paginated', async () => {
      await setOnline(['spk-1', 'spk-2', 'brd-1']);
      const c = await create();
      await sut.handleResult('spk-1', answer(c.id, { data: { volume: 40 } }));
      await sut.handleResult('spk-2', answer(c.id, { status: 'error', message: 'mixer unavailable' }));
      await sut.handleResult('brd-1', answer(c.id, { status: 'rejected', message: 'expired', data: { reason: 'expired' } }));
      expect(await row(c.id, 'spk-1')).toMatchObject({ state: 'ok', data: { volume: 40 }, resultAt: NOW });
      expect(await row(c.id, 'spk-2')).toMatchObject({ state: 'error', message: 'mixer unavailable' });
      const detail = await sut.get(c.id, { limit: 2, offset: 1 });
      expect(detail.counts).toEqual({ queued: 0, sent: 0, ok: 1, error: 1, rejected: 1, expired: 0 });
      expect(detail.results).toMatchObject({ total: 3, limit: 2, offset: 1 });
      expect(detail.results.items.map((r) => [r.deviceId, r.state])).toEqual([
        ['spk-1', 'ok'],
        ['spk-2', 'error'],
      ]);
      expect((await sut.get(c.id, { state: 'rejected', limit: 10, offset: 0 })).results.items.map((r) => r.deviceId)).toEqual(['brd-1']);
      expect(metrics.get('commands_result_ok')).toBe(1);
      expect(metrics.get('commands_result_error')).toBe(1);
      expect(metrics.get('commands_result_rejected')).toBe(1);
    });

    it('ignores answers for unknown ids, for another device’s command, and after the row is closed', async () => {
      await setOnline(['spk-1', 'spk-2']);
      const c = await create({ target: { deviceId: 'spk-1' } });
      await sut.handleResult('spk-1', answer('00000000-0000-7000-8000-000000000000'));
      await sut.handleResult('spk-2', answer(c.id, { status: 'error', message: 'forged' }));
      expect((await row(c.id, 'spk-1')).state).toBe('sent');
      expect(await ds.getRepository(CommandResultEntity).countBy({ deviceId: 'spk-2' })).toBe(0);
      await sut.handleResult('spk-1', answer(c.id));
      await sut.handleResult('spk-1', answer(c.id, { status: 'error', message: 'late' }));
      expect(await row(c.id, 'spk-1')).toMatchObject({ state: 'ok', message: null });
      expect(metrics.get('commands_result_ignored')).toBe(3);
    });

    it('does not let a replay refusal close a row: the agent answered the genuine copy separately', async () => {
      await setOnline(['spk-1']);
      const c = await create({ target: { deviceId: 'spk-1' } });
      await sut.handleResult('spk-1', answer(c.id, { status: 'rejected', message: 'replay', data: { reason: 'replay' } }));
      expect((await row(c.id, 'spk-1')).state).toBe('sent');
      expect(metrics.get('commands_replay_reported')).toBe(1);
    });
  });

  describe('offline devices', () => {
    it('sends what a device is owed when it comes online, oldest first, and a sent one again with a new sentAt', async () => {
      const first = await create({ target: { deviceId: 'spk-1' } });
      clock.t += 1;
      const second = await create({ target: { deviceId: 'spk-1' }, command: { type: 'selfTest' } });
      expect(sent()).toHaveLength(0);
      clock.t = NOW + 10_000;
      await status('spk-1', { v: 1, state: 'online', at: clock.t });
      expect(sent().map((m) => [m.msg.id, m.msg.sentAt])).toEqual([
        [first.id, NOW + 10_000],
        [second.id, NOW + 10_000],
      ]);
      await sut.handleResult('spk-1', answer(first.id));
      // Connection lost before the second answer: on the next online only the unanswered one goes, with a later sentAt.
      await status('spk-1', { v: 1, state: 'offline', reason: 'will' });
      clock.t = NOW + 20_000;
      await status('spk-1', { v: 1, state: 'online', at: clock.t });
      expect(sent().slice(2).map((m) => [m.msg.id, m.msg.sentAt])).toEqual([[second.id, NOW + 20_000]]);
      expect(await row(second.id, 'spk-1')).toMatchObject({ state: 'sent', sentAt: NOW + 20_000, attempts: 2 });
      // Even within the same millisecond a resend never repeats a sentAt (the agent would take it for a replay).
      await status('spk-1', { v: 1, state: 'online', at: clock.t });
      expect(sent().at(-1)?.msg.sentAt).toBe(NOW + 20_001);
    });

    it('sends to a device that announced itself online even before the presence table says so', async () => {
      await status('spk-2', { v: 1, state: 'online', at: NOW });
      const c = await create({ target: { deviceId: 'spk-2' } });
      expect(sent().map((m) => m.msg.id)).toEqual([c.id]);
    });

    it('expires what was not answered in time; an expired command is never sent and a late answer is ignored', async () => {
      await setOnline(['spk-1']);
      const c = await create({ ttlS: 30 });
      clock.t = NOW + 30_000;
      await status('spk-2', { v: 1, state: 'online', at: clock.t });
      // spk-2 comes online exactly at expiry: too late.
      expect(sent().map((m) => m.msg.deviceId)).toEqual(['spk-1']);
      expect(await sut.sweep()).toEqual({ expired: 3, resent: 0 });
      expect((await sut.get(c.id, { limit: 10, offset: 0 })).counts).toEqual({ queued: 0, sent: 0, ok: 0, error: 0, rejected: 0, expired: 3 });
      await sut.handleResult('spk-1', answer(c.id));
      expect((await row(c.id, 'spk-1')).state).toBe('expired');
      await status('spk-2', { v: 1, state: 'online', at: clock.t });
      expect(sent()).toHaveLength(1);
      expect(await sut.sweep()).toEqual({ expired: 0, resent: 0 });
    });

    it('sends an unanswered command again to an online device after a while, a few times at most', async () => {
      await setOnline(['spk-1']);
      const c = await create({ target: { deviceId: 'spk-1' } });
      clock.t = NOW + RESEND_AFTER_MS - 1;
      expect((await sut.sweep()).resent).toBe(0);
      for (let i = 1; i < MAX_SENDS; i++) {
        clock.t += RESEND_AFTER_MS;
        expect((await sut.sweep()).resent).toBe(1);
      }
      clock.t += RESEND_AFTER_MS;
      expect((await sut.sweep()).resent).toBe(0);
      const sentAts = sent().map((m) => m.msg.sentAt);
      expect(sentAts).toHaveLength(MAX_SENDS);
      expect(new Set(sentAts).size).toBe(MAX_SENDS);
      expect((await row(c.id, 'spk-1')).attempts).toBe(MAX_SENDS);
    });
  });

  describe('queries', () => {
    it('lists recent commands newest first and a device’s own commands', async () => {
      const a = await create({ target: { deviceId: 'spk-1' } });
      clock.t += 5;
      const b = await create({ command: { type: 'collectLogs', lines: 50 } });
      const list = await sut.list(10, 0);
      expect(list.items.map((c) => c.id)).toEqual([b.id, a.id]);
      expect(list.total).toBe(2);
      const mine = await sut.forDevice('spk-1', 10, 0);
      expect(mine.items.map((r) => [r.commandId, r.type, r.state])).toEqual([
        [b.id, 'collectLogs', 'queued'],
        [a.id, 'setVolume', 'queued'],
      ]);
      expect((await sut.forDevice('spk-2', 10, 0)).total).toBe(1);
      await expect(sut.forDevice('nope', 10, 0)).rejects.toThrow(NotFoundException);
      await expect(sut.get('nope', { limit: 1, offset: 0 })).rejects.toThrow(NotFoundException);
    });
  });
});

describe('commands over HTTP', () => {
  let srv: TestServer;
  beforeAll(async () => {
    srv = await startTestServer();
    await srv.api('POST', '/api/v1/areas', { code: '01', name: 'Hà Nội', level: 'province' });
    await srv.api('POST', '/api/v1/devices', { id: 'spk-http', name: 'Loa', kind: 'speaker', areaCode: '01' });
  });
  afterAll(() => srv.close());

  it('creates, lists and details commands, and validates what it is given', async () => {
    const created = await srv.api<{ id: string; devices: number; counts: Record<string, number>; fanout: { id: string } }>('POST', '/api/v1/commands', {
      command: { type: 'collectLogs', lines: 20 },
      target: { deviceId: 'spk-http' },
      ttlS: 60,
    });
    expect(created.status).toBe(201);
    // Accepted at once; its fan-out queues it for the (offline) device in the background.
    expect(created.body).toMatchObject({ devices: 1, fanout: { kind: 'command', ref: created.body.id, total: 1 } });
    expect(await fanoutDone(srv.api, created.body.fanout.id)).toMatchObject({ state: 'done', total: 1, done: 1, deferred: 1 });
    const list = await srv.api<{ total: number; items: Array<{ id: string }> }>('GET', '/api/v1/commands?limit=5');
    expect(list.body.items.map((c) => c.id)).toEqual([created.body.id]);
    const detail = await srv.api<{ results: { items: Array<{ deviceId: string; state: string }> } }>('GET', `/api/v1/commands/${created.body.id}?state=queued`);
    expect(detail.body.results.items).toEqual([expect.objectContaining({ deviceId: 'spk-http', state: 'queued' })]);
    const mine = await srv.api<{ total: number }>('GET', '/api/v1/devices/spk-http/commands');
    expect(mine.body.total).toBe(1);

    for (const bad of [
      { command: { type: 'setVolume' }, target: { deviceId: 'spk-http' } },
      { command: { type: 'reboot' }, target: { deviceId: 'spk-http' } },
      { command: { type: 'stop' }, target: { deviceId: 'spk-http', areaCode: '01' } },
      { command: { type: 'stop' }, target: { deviceId: 'spk-http' }, ttlS: 0 },
    ]) {
      expect((await srv.api('POST', '/api/v1/commands', bad)).status).toBe(400);
    }
    expect((await srv.api('GET', '/api/v1/commands/nope')).status).toBe(404);
    expect((await srv.api('GET', '/api/v1/devices/nope/commands')).status).toBe(404);
    expect((await srv.api('GET', `/api/v1/commands/${created.body.id}?state=bogus`)).status).toBe(400);
  });
});
