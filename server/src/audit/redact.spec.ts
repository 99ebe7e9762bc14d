import { boundedJson, MAX_NODES, parseJson, redact } from './redact.js';

describe(redact.name, () => {
  it('drops every key naming a password, secret, token or key, at any depth and in arrays', () => {
    const sut = redact;
    const out = sut({
      username: 'op',
      password: 'p1',
      newPassword: 'p2',
      passwordHash: 'scrypt$…',
      device: { id: 'd1', secretHash: 'sha256$…', nested: [{ apiKey: 'k', accessToken: 't', keep: 1 }] },
      secret: 's',
      serverPublicKey: 'pk',
      REFRESH_TOKEN: 'r',
    });
    expect(out).toEqual({ username: 'op', device: { id: 'd1', nested: [{ keep: 1 }] } });
    expect(JSON.stringify(out)).not.toMatch(/p1|p2|scrypt|sha256|"k"|"t"|"s"|pk|"r"/);
  });

  it('turns what JSON cannot hold into storable values and survives cycles', () => {
    const cyclic: Record<string, unknown> = { name: 'a', at: new Date(0), big: 10n, inf: Infinity, fn: () => 1, buf: Buffer.from('x') };
    cyclic.self = cyclic;
    expect(redact(cyclic)).toEqual({ name: 'a', at: '1970-01-01T00:00:00.000Z', big: '10', inf: null, buf: '[binary]', self: '[…]' });
    expect(redact('plain')).toBe('plain');
    expect(redact([1, undefined])).toEqual([1, null]);
  });
});

describe(boundedJson.name, () => {
  it('keeps small values as their redacted JSON and null for nothing', () => {
    expect(boundedJson({ a: 1, token: 'x' }, 100)).toBe('{"a":1}');
    expect(boundedJson(null, 100)).toBeNull();
    expect(boundedJson(undefined, 100)).toBeNull();
  });

  it('replaces JSON over the limit with a valid truncated preview within the limit, multi-byte text included', () => {
    for (const text of ['x'.repeat(20_000), 'Ủy ban nhân dân "xã" thông báo\n'.repeat(1000)]) {
      const sut = boundedJson({ text, password: 'never' }, 8192)!;
      expect(Buffer.byteLength(sut, 'utf8')).toBeLessThanOrEqual(8192);
      const parsed = JSON.parse(sut) as { truncated: boolean; bytes: number; preview: string };
      expect(parsed.truncated).toBe(true);
      expect(parsed.bytes).toBeGreaterThan(8192);
      expect(parsed.preview.startsWith('{"text":"')).toBe(true);
      expect(parsed.preview.length).toBeGreaterThan(2000);
      expect(sut).not.toContain('never');
    }
  });
});

describe(parseJson.name, () => {
  it('parses stored JSON and gives damaged text back as is', () => {
    expect(parseJson('{"a":[1]}')).toEqual({ a: [1] });
    expect(parseJson(null)).toBeNull();
    expect(parseJson('{oops')).toBe('{oops');
  });
});

describe('redact on hostile sizes', () => {
  it('copies at most MAX_NODES values of a huge body and says how much was left out', () => {
    const huge = Array.from({ length: 300_000 }, () => ({}));
    const out = redact({ list: huge }) as { list: unknown[] };
    expect(out.list).toHaveLength(MAX_NODES);
    expect(out.list[MAX_NODES - 1]).toBe(`[… ${300_000 - MAX_NODES + 1} more]`);
    const wide = Object.fromEntries(Array.from({ length: MAX_NODES + 10 }, (_, i) => [`k${i}`, i]));
    const cut = redact(wide) as Record<string, unknown>;
    expect(cut['…']).toBe('more properties left out');
    expect(Object.keys(cut)).toHaveLength(MAX_NODES + 1);
  });
});
