import { EventEmitter2 } from '@nestjs/event-emitter';
import { Metrics } from '../common/metrics.js';
import { DomainEvents } from '../domain-events/domain-events.js';
import { createLogger } from '../logging/logger.js';
import type { DevicesRepository } from './devices.repository.js';
import type { PresenceUpdate } from './presence-state.js';
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
