import { OnEvent } from '@nestjs/event-emitter';
import { Metrics } from '../common/metrics.js';
import type { DomainEventMap } from '../domain-events/domain-events.js';
import { createLogger } from '../logging/logger.js';
import { TestDomainEvents } from '../../test/support/domain-events.js';
import type { DevicesRepository } from './devices.repository.js';
import type { PresenceTransition, PresenceUpdate } from './presence-state.js';
import { PresenceWriter } from './presence-writer.js';

/** Every status update is a transition; heartbeats are not. Counts the commits. */
class TransitionsRepository {
  commits = 0;
  async writePresence(updates: readonly PresenceUpdate[]): Promise<{ written: number; transitions: PresenceTransition[] }> {
    this.commits++;
    const transitions = updates
      .filter((u) => u.online !== undefined)
      .map((u) => ({ deviceId: u.deviceId, at: u.at, state: u.online ? ('online' as const) : ('offline' as const), reason: u.online ? ('connect' as const) : ('will' as const) }));
    return { written: updates.length, transitions };
  }
}

/** Holds presence.changed until released; a second handler always fails. */
class GatedListener {
  readonly seen: string[][] = [];
  release!: () => void;
  private readonly gate = new Promise<void>((resolve) => (this.release = resolve));
  private start!: () => void;
  readonly started = new Promise<void>((resolve) => (this.start = resolve));

  @OnEvent('presence.changed')
  async hold({ changes }: DomainEventMap['presence.changed']): Promise<void> {
    this.start();
    await this.gate;
    this.seen.push(changes.map((c) => c.deviceId));
  }

  @OnEvent('presence.changed')
  broken(): void {
    throw new Error('listener bug');
  }
}

describe(`${PresenceWriter.name} announcing presence.changed`, () => {
  const setup = () => {
    const repo = new TransitionsRepository();
    const events = new TestDomainEvents();
    const sut = new PresenceWriter(repo as unknown as DevicesRepository, new Metrics(), createLogger('silent'), events);
    return { repo, events, sut };
  };

  it('emits one event per committed batch, with its transitions in order, and none for heartbeats alone', async () => {
    const { repo, events, sut } = setup();
    await Promise.all([
      sut.write({ deviceId: 'a', at: 1, online: true, reason: 'connect' }),
      sut.write({ deviceId: 'b', at: 2 }),
      sut.write({ deviceId: 'c', at: 3, online: false, reason: 'will' }),
    ]);
    await sut.write({ deviceId: 'b', at: 4 });
    expect(repo.commits).toBe(2);
    expect(events.emitted.map((e) => e.name)).toEqual(['presence.changed']);
    expect(events.payloads('presence.changed')[0]!.changes.map((c) => [c.deviceId, c.state])).toEqual([
      ['a', 'online'],
      ['c', 'offline'],
    ]);
  });

  it('resolves a write only once the listeners of its batch have finished, and a failing listener fails nothing', async () => {
    const { events, sut } = setup();
    const listener = new GatedListener();
    events.listen(listener);
    const done: string[] = [];
    const written = sut.write({ deviceId: 'a', at: 1, online: true, reason: 'connect' }).then(() => done.push('write'));
    await listener.started;
    expect(done).toEqual([]);
    listener.release();
    await written;
    expect(listener.seen).toEqual([['a']]);
    expect(done).toEqual(['write']);
  });
});
