import { createHmac } from 'node:crypto';
import { backoffMs, RETRY_POLICY } from '../src/source-system/dispatcher.js';
import { classifyStatus, retryAfterMs } from '../src/source-system/dispatcher.adapter.js';
import type { SourcePeerEntity } from '../src/source-system/peer.entity.js';
import { remoteRef, renderRequest } from '../src/source-system/rest-adapter.js';
import { signBody, verifySignature } from '../src/source-system/signing.js';
import { compileTemplate, readPath, renderTemplate, TemplateError } from '../src/source-system/templates.js';

/** Issue 16: the REST adapter's template language, the request built from it, the signature, and the retry policy. */
describe('source-system templates', () => {
  const render = (t: string, data: unknown, mode: 'json' | 'url' | 'text' = 'json') => renderTemplate(compileTemplate(t), data, mode);

  it('escapes values for the inside of a JSON string, so any text gives valid JSON', () => {
    const title = 'Thông báo "khẩn"\\ \n\t</script> \u2028 😀';
    const out = render('{"title": "{{payload.title}}", "n": {{payload.n}}, "ok": {{payload.ok}}}', { payload: { title, n: 3.5, ok: true } });
    expect(JSON.parse(out)).toEqual({ title, n: 3.5, ok: true });
  });

  it('percent-encodes in URL mode and leaves text as is in text mode', () => {
    expect(render('/bulletins/{{id}}?q={{q}}', { id: 'a/b c', q: 'x&y=z' }, 'url')).toBe('/bulletins/a%2Fb%20c?q=x%26y%3Dz');
    expect(render('{{v}}', { v: '<b>"x"</b>' }, 'text')).toBe('<b>"x"</b>');
  });

  it('repeats a section per array element, with @index, @first/@last separators and outer names', () => {
    const t = '[{{#rows}}{"i": {{@index}}, "d": "{{deviceId}}", "from": "{{origin}}"}{{^@last}},{{/@last}}{{/rows}}]';
    const out = render(t, { origin: 'Tỉnh', rows: [{ deviceId: 'a' }, { deviceId: 'b"' }, { deviceId: 'c' }] });
    expect(JSON.parse(out)).toEqual([
      { i: 0, d: 'a', from: 'Tỉnh' },
      { i: 1, d: 'b"', from: 'Tỉnh' },
      { i: 2, d: 'c', from: 'Tỉnh' },
    ]);
    expect(render('[{{#rows}}x{{/rows}}]', { rows: [] })).toBe('[]');
    expect(render('{{#xs}}{{.}};{{/xs}}', { xs: ['p', 'q'] }, 'text')).toBe('p;q;');
  });

  it('nests loops, renders objects as sections, and inverted sections for empty and missing values', () => {
    const data = { a: [{ b: [1, 2] }, { b: [3] }], o: { name: 'N' }, none: null, empty: [] };
    expect(render('{{#a}}({{#b}}{{.}}{{/b}}){{/a}}', data, 'text')).toBe('(12)(3)');
    expect(render('{{#o}}{{name}}{{/o}}', data, 'text')).toBe('N');
    expect(render('{{^none}}no{{/none}}{{^empty}}-empty{{/empty}}{{^o}}never{{/o}}', data, 'text')).toBe('no-empty');
  });

  it('writes whole values as JSON with {{json …}} and {{{…}}}, null included; missing plain values are empty', () => {
    const data = { payload: { text: null, rows: [{ a: 1 }], s: 'x"y' } };
    expect(JSON.parse(render('{"t": {{json payload.text}}, "r": {{{payload.rows}}}, "s": {{json payload.s}}}', data))).toEqual({ t: null, r: [{ a: 1 }], s: 'x"y' });
    expect(render('[{{payload.missing}}][{{payload.text}}]', data, 'text')).toBe('[][]');
  });

  it('refuses malformed templates with where the fault is, and names that reach the prototype', () => {
    expect(() => compileTemplate('{{#a}}x')).toThrow(/never closed/);
    expect(() => compileTemplate('{{#a}}x{{/b}}')).toThrow(/does not close/);
    expect(() => compileTemplate('x{{/a}}')).toThrow(/closes nothing/);
    expect(() => compileTemplate('{{a')).toThrow(/unclosed tag at 0/);
    expect(() => compileTemplate('{{a b}}')).toThrow(TemplateError);
    expect(() => compileTemplate('{{payload.__proto__}}')).toThrow(/not allowed/);
    expect(() => compileTemplate('{{constructor.name}}')).toThrow(/not allowed/);
    // Inherited properties are not reachable: only own properties of the data.
    expect(render('{{payload.toString}}', { payload: {} }, 'text')).toBe('');
  });

  it('reads dotted paths out of answers, and the remote id by refPath', () => {
    expect(readPath({ data: { items: [{ id: 7 }] } }, 'data.items.0.id')).toBe(7);
    expect(readPath({ a: 1 }, 'b.c')).toBeUndefined();
    expect(remoteRef('{"data":{"id":"R-1"}}', 'data.id')).toBe('R-1');
    expect(remoteRef('not json', 'data.id')).toBeNull();
    expect(remoteRef('{"data":{"id":"R-1"}}', null)).toBeNull();
  });

  const peer = (over: Partial<SourcePeerEntity> = {}): SourcePeerEntity =>
    ({ id: 'p', name: 'Bộ', baseUrl: 'https://nguon.example.vn', templates: {}, auth: { type: 'none' }, timeoutMs: 15_000, ...over }) as SourcePeerEntity;
  const exchange = { id: 'x', kind: 'bulletin' as const, idempotencyKey: 'bulletin:c1', attempt: 1, payload: { title: 'Bão "số 3"', rows: [{ d: 'a' }, { d: 'b' }] } };

  it('builds the request of an exchange: URL under the base, rendered JSON body, payload as is without a body template', () => {
    const template = { method: 'POST' as const, path: '/api/v2/ban-tin/{{idempotencyKey}}', body: '{"tieuDe": "{{payload.title}}", "n": [{{#payload.rows}}"{{d}}"{{^@last}},{{/@last}}{{/payload.rows}}], "nguon": "{{peer.name}}"}', contentType: 'application/json', refPath: null };
    const req = renderRequest(peer(), template, exchange, '2026-12-05T00:00:00.000Z');
    expect(req.url).toBe('https://nguon.example.vn/api/v2/ban-tin/bulletin%3Ac1');
    expect(JSON.parse(req.body)).toEqual({ tieuDe: 'Bão "số 3"', n: ['a', 'b'], nguon: 'Bộ' });
    const plain = renderRequest(peer(), { ...template, body: null }, exchange, '2026-12-05T00:00:00.000Z');
    expect(JSON.parse(plain.body)).toEqual(exchange.payload);
  });

  it('refuses a template that does not give JSON for a JSON body', () => {
    const template = { method: 'POST' as const, path: '/x', body: '{"t": {{payload.title}}}', contentType: 'application/json', refPath: null };
    expect(() => renderRequest(peer(), template, exchange, 'now')).toThrow(/did not give JSON/);
  });
});

describe('source-system signature', () => {
  it('signs <t>.<raw body> with HMAC-SHA256 and verifies it (independent computation)', () => {
    const body = '{"idempotencyKey":"k-12345678"}';
    const header = signBody('s3cret-s3cret-s3cret', body, 1_765_000_000);
    const mac = createHmac('sha256', 's3cret-s3cret-s3cret').update(`1765000000.${body}`).digest('hex');
    expect(header).toBe(`t=1765000000,v1=${mac}`);
    expect(verifySignature('s3cret-s3cret-s3cret', header, body, 1_765_000_100)).toEqual({ ok: true });
  });

  it('refuses a changed body, another secret, a stale or future time, and garbage', () => {
    const body = 'payload';
    const header = signBody('secret-a', body, 1_000_000);
    expect(verifySignature('secret-a', header, 'payload!', 1_000_000)).toMatchObject({ ok: false, reason: /does not match/ });
    expect(verifySignature('secret-b', header, body, 1_000_000)).toMatchObject({ ok: false });
    expect(verifySignature('secret-a', header, body, 1_000_301)).toMatchObject({ ok: false, reason: /time window/ });
    expect(verifySignature('secret-a', header, body, 999_699)).toMatchObject({ ok: false, reason: /time window/ });
    expect(verifySignature('secret-a', undefined, body, 1_000_000)).toMatchObject({ ok: false, reason: /no signature/ });
    expect(verifySignature('secret-a', 'v1=abc', body, 1_000_000)).toMatchObject({ ok: false, reason: /malformed/ });
  });

  it('accepts any one matching v1 (a secret being rotated)', () => {
    const good = signBody('new', 'b', 50).split(',v1=')[1];
    expect(verifySignature('new', `t=50,v1=${'0'.repeat(64)},v1=${good}`, 'b', 50)).toEqual({ ok: true });
  });
});

describe('source-system retry policy', () => {
  it('doubles from 10 s with ±25 % jitter and stops at 1 h', () => {
    expect(backoffMs(1, 0)).toBe(7_500);
    expect(backoffMs(1, 1)).toBe(12_500);
    expect(backoffMs(2, 0.5)).toBe(20_000);
    expect(backoffMs(3, 0.5)).toBe(40_000);
    expect(backoffMs(12, 0.5)).toBe(RETRY_POLICY.capMs);
    expect(backoffMs(12, 1)).toBe(RETRY_POLICY.capMs);
    // 20 attempts fit within the 3 days (the age limit is the other bound).
    let total = 0;
    for (let a = 1; a < RETRY_POLICY.maxAttempts; a++) total += backoffMs(a, 0.5);
    expect(total).toBeLessThan(RETRY_POLICY.maxAgeMs);
  });

  it('classifies answers: 2xx sent, 408/429/5xx retried, other 4xx and 3xx dead', () => {
    expect([200, 201, 204].map(classifyStatus)).toEqual(['sent', 'sent', 'sent']);
    expect([408, 429, 500, 502, 503, 504].map(classifyStatus)).toEqual(Array(6).fill('retry'));
    expect([400, 401, 403, 404, 409, 422, 301, 302].map(classifyStatus)).toEqual(Array(8).fill('dead'));
    expect(retryAfterMs('120', 0)).toBe(120_000);
    expect(retryAfterMs(new Date(60_000).toUTCString(), 0)).toBe(60_000);
    expect(retryAfterMs(null, 0)).toBeNull();
  });
});
