import { EventEmitter2 } from '@nestjs/event-emitter';
import { Metrics } from '../common/metrics.js';
import { DomainEvents } from '../domain-events/domain-events.js';
import { createLogger } from '../logging/logger.js';
import type { DevicesRepository } from './devices.repository.js';
import { applyPresence, type PresenceState, type PresenceUpdate } from './presence-state.js';
import { PresenceWriter } from './presence-writer.js';

/** A devices table whose commits the test releases by hand. */
class HeldRepository {
  readonly online = new Set<string>();
  private release: (() => void) | null = null;
  commitStarted: Promise<void>;
  private started!: () => void;
  fail = false;
  constructor() {
    this.commitStarted = new Promise((resolve) => (this.started = resolve));
  }
  async onlineAmong(ids: readonly string[]): Promise<string[]> {
    return ids.filter((id) => this.online.has(id));
  }
  async writePresence(updates: readonly PresenceUpdate[]) {
    this.started();
    await new Promise<void>((resolve) => (this.release = resolve));
    if (this.fail) throw new Error('commit failed');
    for (const u of updates) if (u.online !== undefined) (u.online ? this.online.add(u.deviceId) : this.online.delete(u.deviceId));
    return { written: updates.length, transitions: [] };
  }
  commit(): void {
    this.release?.();
  }
}

describe(`${PresenceWriter.name} as PresenceReader`, () => {
  let repo: HeldRepository;
  let sut: PresenceWriter;
  beforeEach(() => {
    repo = new HeldRepository();
    const logger = createLogger('silent');
    sut = new PresenceWriter(repo as unknown as DevicesRepository, new Metrics(), logger, new DomainEvents(new EventEmitter2(), logger));
  });

  it('answers from the table, with a status accepted but not yet committed counting at once', async () => {
    repo.online.add('stored-on');
    repo.online.add('going-off');
    const written = Promise.all([
      sut.write({ deviceId: 'coming-on', at: 1, online: true, reason: 'connect' }),
      sut.write({ deviceId: 'going-off', at: 1, online: false, reason: 'will' }),
      // A heartbeat may change nothing (e.g. after a revocation): it does not count before its commit.
      sut.write({ deviceId: 'heartbeat', at: 1 }),
    ]);
    await repo.commitStarted;
    expect([...(await sut.onlineAmong(['stored-on', 'coming-on', 'going-off', 'heartbeat', 'unknown']))].sort()).toEqual(['coming-on', 'stored-on']);
    repo.commit();
    await written;
    expect([...(await sut.onlineAmong(['stored-on', 'coming-on', 'going-off', 'heartbeat']))].sort()).toEqual(['coming-on', 'stored-on']);
  });

  it('falls back to the table when the commit failed', async () => {
    repo.fail = true;
    const written = sut.write({ deviceId: 'coming-on', at: 1, online: true, reason: 'connect' });
    await repo.commitStarted;
    expect(await sut.onlineAmong(['coming-on'])).toEqual(new Set(['coming-on']));
    repo.commit();
    await expect(written).rejects.toThrow('commit failed');
    expect(await sut.onlineAmong(['coming-on'])).toEqual(new Set());
  });
});

/** A devices table applying presence as the real one does, recording every update it committed. */
class PresenceTable {
  readonly states = new Map<string, PresenceState>();
  readonly committed: PresenceUpdate[] = [];
  private waiters: Array<() => void> = [];
  async writePresence(updates: readonly PresenceUpdate[]) {
    const seenOnline = new Map<string, number>();
    const transitions = [];
    for (const u of updates) {
      const r = applyPresence(this.states.get(u.deviceId) ?? { online: false, lastSeenAt: null, agentVersion: null, changedAt: null, reason: null }, u);
      this.states.set(u.deviceId, r.state);
      if (r.transition) transitions.push(r.transition);
      this.committed.push(u);
    }
    for (const u of updates) {
      const s = this.states.get(u.deviceId)!;
      if (s.online && s.lastSeenAt !== null) seenOnline.set(u.deviceId, s.lastSeenAt);
    }
    for (const w of this.waiters.splice(0)) w();
    return { written: updates.length, transitions, seenOnline };
  }
  /** Resolves at the next commit. */
  nextCommit(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  heartbeatsOf(id: string): number[] {
    return this.committed.filter((u) => u.deviceId === id && u.online === undefined && !u.decided).map((u) => u.at);
  }
}

describe(`${PresenceWriter.name} heartbeat throttle (issue 14)`, () => {
  const INTERVAL = 1000;
  let table: PresenceTable;
  let sut: PresenceWriter;
  let now: number;
  beforeEach(() => {
    table = new PresenceTable();
    const logger = createLogger('silent');
    sut = new PresenceWriter(table as unknown as DevicesRepository, new Metrics(), logger, new DomainEvents(new EventEmitter2(), logger));
    now = 10_000;
    sut.throttleHeartbeats({ intervalMs: INTERVAL, now: () => now });
  });
  afterEach(() => sut.onModuleDestroy());

  const connect = (id: string, at = now) => sut.write({ deviceId: id, at, online: true, reason: 'connect' });

  it('does not rewrite the row of a device heard less than an interval ago, and writes the latest heartbeat once it is due', async () => {
    await connect('d');
    // Resolved without a commit: a heartbeat that was submitted would only resolve after its batch committed.
    await sut.write({ deviceId: 'd', at: now + 100 });
    await sut.write({ deviceId: 'd', at: now + 200 });
    expect(table.heartbeatsOf('d')).toEqual([]);
    expect(table.states.get('d')?.lastSeenAt).toBe(now);
    // The row is an interval old: the periodic flush writes the latest heartbeat held, with the time it was heard.
    now += INTERVAL;
    await table.nextCommit();
    expect(table.heartbeatsOf('d')).toEqual([10_200]);
    expect(table.states.get('d')?.lastSeenAt).toBe(10_200);
    // A heartbeat an interval after the last write is written at once.
    await sut.write({ deviceId: 'd', at: 10_200 + INTERVAL });
    expect(table.heartbeatsOf('d')).toEqual([10_200, 11_200]);
  });

  it('writes a held heartbeat before any presence change of its device, in order, so a change never overtakes it', async () => {
    await connect('d');
    await sut.write({ deviceId: 'd', at: now + 100 });
    await sut.write({ deviceId: 'd', at: now + 300, online: false, reason: 'will' });
    const ofD = table.committed.filter((u) => u.deviceId === 'd').map((u) => `${u.online ?? 'heartbeat'}@${u.at}`);
    expect(ofD).toEqual(['true@10000', 'heartbeat@10100', 'false@10300']);
    // Offline now: the next heartbeat is not held, it brings the device back at once.
    await sut.write({ deviceId: 'd', at: now + 400 });
    expect(table.states.get('d')).toMatchObject({ online: true, reason: 'resumed', lastSeenAt: 10_400 });
  });

  it('writes heartbeats at once while a status of the device is in flight, and for devices it has not committed online', async () => {
    const status = connect('d');
    await sut.write({ deviceId: 'd', at: now + 10 }); // the status is not committed yet
    await status;
    expect(table.heartbeatsOf('d')).toEqual([10_010]);
    await sut.write({ deviceId: 'never-connected', at: now });
    expect(table.heartbeatsOf('never-connected')).toEqual([now]);
    // A sweep's decision is a change too: the held heartbeat goes first and vetoes it (silentBefore).
    await sut.write({ deviceId: 'd', at: now + 20 });
    expect(table.heartbeatsOf('d')).toEqual([10_010]);
    await sut.write({ deviceId: 'd', at: now + 30, online: false, decided: true, reason: 'heartbeat-timeout', silentBefore: now + 15 });
    expect(table.heartbeatsOf('d')).toEqual([10_010, 10_020]);
    expect(table.states.get('d')?.online).toBe(true);
  });

  it('writes every held heartbeat when the server stops', async () => {
    await connect('d');
    await sut.write({ deviceId: 'd', at: now + 100 });
    await sut.onModuleDestroy();
    expect(table.heartbeatsOf('d')).toEqual([10_100]);
  });
});
