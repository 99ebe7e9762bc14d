import { jest } from '@jest/globals';
import { RetainedRead } from './retained-read.js';

describe(RetainedRead.name, () => {
  const make = (idleMs = 60_000) => {
    const handled: string[] = [];
    const read = new RetainedRead(7, 'loa/v1/d/+/status', 'marker', [(t) => void handled.push(t)], (h, t, p) => void h(t, p), idleMs);
    return { read, handled };
  };

  it('hands retained copies to the handlers and ends at the marker, dropping what comes after', async () => {
    const { read, handled } = make();
    read.receive('loa/v1/d/a/status', Buffer.from('x'), true);
    read.receive('loa/v1/d/b/status', Buffer.from('y'), true);
    read.receive('marker', Buffer.alloc(0), false);
    read.receive('loa/v1/d/c/status', Buffer.from('z'), true);
    expect(await read.done).toBe(2);
    expect(handled).toEqual(['loa/v1/d/a/status', 'loa/v1/d/b/status']);
  });

  it('ends at the first live copy without handling it (the shared subscription does)', async () => {
    const { read, handled } = make();
    read.receive('loa/v1/d/a/status', Buffer.from('x'), true);
    read.receive('loa/v1/d/b/status', Buffer.from('live'), false);
    expect(await read.done).toBe(1);
    expect(handled).toEqual(['loa/v1/d/a/status']);
    expect(read.isOver).toBe(true);
  });

  it('ends on its own when the broker goes quiet without the marker', async () => {
    jest.useFakeTimers();
    try {
      const { read } = make(1000);
      read.receive('loa/v1/d/a/status', Buffer.from('x'), true);
      jest.advanceTimersByTime(999);
      expect(read.isOver).toBe(false);
      jest.advanceTimersByTime(1);
      expect(await read.done).toBe(1);
    } finally {
      jest.useRealTimers();
    }
  });
});
