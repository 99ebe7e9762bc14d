import type { PlaybackEvent } from '@loa/shared';
import { applyEvent } from './delivery-transition.js';

const ev = (type: PlaybackEvent['type'], at: number, extra: Partial<PlaybackEvent> = {}): PlaybackEvent => ({ id: `e-${type}-${at}`, occurrenceId: 'o', type, at, ...extra });
const queued = { state: 'queued' as const, deliveredAt: null, startedAt: null };

describe(applyEvent.name, () => {
  it('advances queued → started with its time', () => {
    expect(applyEvent(queued, ev('started', 100), 999)).toEqual({ state: 'started', startedAt: 100, updatedAt: 999 });
  });

  it('records end time, played duration and reason on a terminal state', () => {
    const started = { state: 'started' as const, deliveredAt: 5, startedAt: 100 };
    expect(applyEvent(started, ev('failed', 200, { reason: 'media missing', playedMs: 0 }), 999)).toEqual({
      state: 'failed',
      endedAt: 200,
      playedMs: 0,
      reason: 'media missing',
      updatedAt: 999,
    });
  });

  it('never moves backwards when an old report arrives late', () => {
    const finished = { state: 'finished' as const, deliveredAt: 5, startedAt: 100 };
    expect(applyEvent(finished, ev('started', 100), 999)).toBeNull();
    expect(applyEvent(finished, ev('failed', 300), 999)).toBeNull();
  });

  it('fills in a late delivered time without changing a later state', () => {
    const finished = { state: 'finished' as const, deliveredAt: null, startedAt: 100 };
    expect(applyEvent(finished, ev('delivered', 50), 999)).toEqual({ deliveredAt: 50, updatedAt: 999 });
  });

  it('leaves "delivered" to the timeline ack: the agent\'s own report never moves a queued record', () => {
    expect(applyEvent(queued, ev('delivered', 50), 999)).toBeNull();
    expect(applyEvent({ state: 'delivered' as const, deliveredAt: 40, startedAt: null }, ev('delivered', 50), 999)).toBeNull();
  });
});
