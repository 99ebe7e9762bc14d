import { jest } from '@jest/globals';
import { BrokerUnavailableError } from './broker-errors.js';
import { PublishWindow } from './publish-window.js';

/** Settles what is already resolvable (no clock involved). */
const flush = () => new Promise((resolve) => setImmediate(resolve));

function track(p: Promise<void>): { state: 'pending' | 'resolved' | Error } {
  const t: { state: 'pending' | 'resolved' | Error } = { state: 'pending' };
  p.then(
    () => (t.state = 'resolved'),
    (err: Error) => (t.state = err),
  );
  return t;
}

describe(PublishWindow.name, () => {
  afterEach(() => jest.useRealTimers());

  it('admits at most `limit` publishes at once, first come first served', async () => {
    const w = new PublishWindow(10, 1000);
    w.setOnline(true, 2);
    const calls = [w.admit(), w.admit(), w.admit(), w.whenOnline(), w.admit()].map(track);
    await flush();
    expect(calls.map((c) => c.state)).toEqual(['resolved', 'resolved', 'pending', 'pending', 'pending']);
    expect(w.pending).toEqual({ inFlight: 2, waiting: 3 });
    w.release();
    await flush();
    // The QoS 0 publish behind it goes in its turn, without a slot; the last waits for another.
    expect(calls.map((c) => c.state)).toEqual(['resolved', 'resolved', 'resolved', 'resolved', 'pending']);
    expect(w.pending).toEqual({ inFlight: 2, waiting: 1 });
    w.release();
    await flush();
    expect(calls[4]!.state).toBe('resolved');
  });

  it('admits nothing while the broker is away and lets the callers in when it is back', async () => {
    const w = new PublishWindow(10, 60_000);
    const queued = track(w.admit());
    const qos0 = track(w.whenOnline());
    await flush();
    expect([queued.state, qos0.state]).toEqual(['pending', 'pending']);
    w.setOnline(true, 5);
    await flush();
    expect([queued.state, qos0.state]).toEqual(['resolved', 'resolved']);
    expect(w.size).toBe(5);
  });

  it('gives a caller offlineWaitMs from the loss of the connection, then rejects it unsent', async () => {
    jest.useFakeTimers();
    const w = new PublishWindow(1, 30_000);
    w.setOnline(true);
    await w.admit(); // the only slot, sent and awaiting its PUBACK
    const expired: Error[] = [];
    const forget = w.deadline((err) => expired.push(err));
    const queued = track(w.admit());
    jest.advanceTimersByTime(60_000); // online: nobody's deadline runs
    await Promise.resolve();
    expect(queued.state).toBe('pending');
    w.setOnline(false);
    jest.advanceTimersByTime(29_999);
    await Promise.resolve();
    expect(queued.state).toBe('pending');
    jest.advanceTimersByTime(1);
    await Promise.resolve();
    expect(queued.state).toBeInstanceOf(BrokerUnavailableError);
    expect(expired).toHaveLength(1);
    expect(w.pending.waiting).toBe(0);
    forget(); // its PUBACK after all: nothing more happens
    w.release();
    expect(w.pending.inFlight).toBe(0);
  });

  it('disarms the deadlines when the broker comes back in time', async () => {
    jest.useFakeTimers();
    const w = new PublishWindow(1, 30_000);
    const queued = track(w.admit());
    jest.advanceTimersByTime(20_000);
    w.setOnline(true);
    await Promise.resolve();
    expect(queued.state).toBe('resolved');
    jest.advanceTimersByTime(60_000);
    await Promise.resolve();
    expect(queued.state).toBe('resolved');
  });

  it('rejects everyone waiting, and every later caller, when closed', async () => {
    const w = new PublishWindow(1, 30_000);
    w.setOnline(true);
    await w.admit();
    const expired: Error[] = [];
    w.deadline((err) => expired.push(err));
    const queued = track(w.admit());
    const closedError = new BrokerUnavailableError('closed');
    w.close(closedError);
    await flush();
    expect(queued.state).toBe(closedError);
    expect(expired).toEqual([closedError]);
    await expect(w.admit()).rejects.toBe(closedError);
    await expect(w.whenOnline()).rejects.toBe(closedError);
  });
});
