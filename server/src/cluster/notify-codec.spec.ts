import { encodeMessage, MESSAGE_MAX_BYTES, NOTIFY_MAX_BYTES, NotifyDecoder } from './notify-codec.js';

const bytes = (s: string): number => Buffer.byteLength(s);

describe('cluster NOTIFY codec', () => {
  it('sends a message that fits as one payload, which every other instance reads and its sender ignores', () => {
    const texts = encodeMessage('a/1', 1, 'cache', { devices: ['spk-1'], credentials: true });
    expect(texts).toHaveLength(1);
    expect(new NotifyDecoder('b/2').decode(texts[0]!)).toEqual({ kind: 'message', message: { topic: 'cache', payload: { devices: ['spk-1'], credentials: true } } });
    expect(new NotifyDecoder('a/1').decode(texts[0]!)).toEqual({ kind: 'own' });
  });

  it('splits a message over the 8000-byte limit into parts under it, put back together in any order, among other senders', () => {
    // Multi-byte text (Vietnamese) so byte and character counts differ.
    const payload = { e: Array.from({ length: 400 }, (_, i) => ({ type: 'alarm.raised', detail: `Mất kết nối loa số ${i} ở xã Đông Anh` })) };
    const parts = encodeMessage('instance-with-a-long-name-0123456789/abcd', 7, 'live', payload);
    expect(parts.length).toBeGreaterThan(2);
    for (const p of parts) expect(bytes(p)).toBeLessThanOrEqual(NOTIFY_MAX_BYTES);

    const sut = new NotifyDecoder('me');
    const other = encodeMessage('other/1', 1, 'cache', { everything: true });
    const shuffled = [...parts.slice(1).reverse()];
    expect(sut.decode(shuffled[0]!)).toEqual({ kind: 'partial' });
    expect(sut.decode(other[0]!)).toEqual({ kind: 'message', message: { topic: 'cache', payload: { everything: true } } });
    for (const p of shuffled.slice(1)) expect(sut.decode(p)).toEqual({ kind: 'partial' });
    expect(sut.decode(parts[0]!)).toEqual({ kind: 'message', message: { topic: 'live', payload } });
    expect(sut.incomplete).toBe(0);
  });

  it('refuses a message larger than the bound at the sender', () => {
    expect(() => encodeMessage('a', 1, 'live', { blob: 'x'.repeat(MESSAGE_MAX_BYTES) })).toThrow(/exceeds/);
  });

  it('ignores what is not a message of this version, and forgets the oldest incomplete message past its bound', () => {
    const sut = new NotifyDecoder('me', 2);
    expect(sut.decode('hello')).toEqual({ kind: 'invalid', reason: 'not JSON' });
    expect(sut.decode(JSON.stringify({ v: 2, o: 'x', s: 1, t: 'cache', p: null }))).toMatchObject({ kind: 'invalid' });
    expect(sut.decode(JSON.stringify({ v: 1, o: 'x', s: 1, i: 3, n: 3, d: '' }))).toMatchObject({ kind: 'invalid' });
    const big = (origin: string) => encodeMessage(origin, 1, 'live', { blob: 'y'.repeat(20_000) });
    const [a, b, c] = [big('a'), big('b'), big('c')];
    sut.decode(a[0]!);
    sut.decode(b[0]!);
    sut.decode(c[0]!);
    expect(sut.incomplete).toBe(2);
    // a's start was forgotten: b still completes, the rest of a never does.
    expect(b.slice(1).map((p) => sut.decode(p).kind).at(-1)).toBe('message');
    for (const p of a.slice(1)) expect(sut.decode(p).kind).toBe('partial');
  });
});
