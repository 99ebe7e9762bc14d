import { createHmac } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { MAX_CONCURRENT_UPLOADS, PublicFeedbackReceiver } from './public-feedback.receiver.js';
import { FixedClock, silentLogger, testConfig } from '../../test/support/fixtures.js';
import { FeedbackLimits } from './feedback-limits.js';
import type { FeedbackThrottleRepository } from './feedback-throttle.repository.js';
import { sniff } from './attachment-checker.js';
import { parseSmsBody, pickField, smsTitle, splitCommune, timestampSeconds, verifySmsSignature } from './sms-inbound.parse.js';
import { renderSmsBody, renderSmsHeaders, renderSmsUrl } from './sms-sender.js';
import { spamReason } from './spam-check.js';

const hmac = (secret: string, text: string) => createHmac('sha256', secret).update(text).digest('hex');

describe('spamReason', () => {
  const ok = { title: 'Đèn đường thôn Đông bị hỏng', content: 'Đèn đường ở đầu thôn Đông đã hỏng ba tuần, tối đi lại rất nguy hiểm. Số nhà 12/3, km 5+200.' };

  it('lets ordinary Vietnamese prose through, digits and a link or two included', () => {
    expect(spamReason(ok)).toBeNull();
    expect(spamReason({ ...ok, content: `${ok.content} Xem https://a.vn/1 và https://b.vn/2` })).toBeNull();
    expect(spamReason({ title: 'Km 12+300', content: 'QL1A, km 12+300' })).toBeNull();
  });

  it('refuses a filled honeypot, more than three links, padding and symbol noise', () => {
    expect(spamReason({ ...ok, website: 'http://spam.example' })).toMatch(/honeypot/);
    expect(spamReason({ ...ok, content: 'http://a.x http://b.x www.c.x https://d.x mua ngay' })).toMatch(/4 links/);
    expect(spamReason({ ...ok, content: `Khẩn cấp${'!'.repeat(25)}` })).toMatch(/repeated/);
    expect(spamReason({ ...ok, content: '$$ 1234 %% 5678 ## 9012 @@ 3456 && 7890 ** 1234 ^^ 5678 ~~ 90' })).toMatch(/letters/);
  });
});

describe('SMS webhook parsing', () => {
  const raw = Buffer.from('{"from":"+84912345678","text":"XA 00115 Cống bị tắc"}');

  it('accepts the hex HMAC of the body, with or without "sha256=", and refuses a wrong or missing one', () => {
    const sig = hmac('s3cret-s3cret-s3cret', raw.toString());
    expect(verifySmsSignature({ secret: 's3cret-s3cret-s3cret', raw, signature: sig, timestamp: null, nowS: 0 })).toEqual({ ok: true });
    expect(verifySmsSignature({ secret: 's3cret-s3cret-s3cret', raw, signature: `sha256=${sig.toUpperCase()}`, timestamp: null, nowS: 0 })).toEqual({ ok: true });
    expect(verifySmsSignature({ secret: 'other-secret-other', raw, signature: sig, timestamp: null, nowS: 0 })).toEqual({ ok: false, reason: 'signature does not match' });
    expect(verifySmsSignature({ secret: 's3cret-s3cret-s3cret', raw, signature: undefined, timestamp: null, nowS: 0 }).ok).toBe(false);
    expect(verifySmsSignature({ secret: 's3cret-s3cret-s3cret', raw, signature: 'abc', timestamp: null, nowS: 0 }).ok).toBe(false);
  });

  it('signs "<timestamp>.<body>" when a timestamp header is configured, within ±300 s', () => {
    const now = 1_765_000_000;
    const sig = hmac('k', `${now}.${raw.toString()}`);
    expect(verifySmsSignature({ secret: 'k', raw, signature: sig, timestamp: String(now), nowS: now + 299 })).toEqual({ ok: true });
    expect(verifySmsSignature({ secret: 'k', raw, signature: sig, timestamp: String(now), nowS: now + 301 }).ok).toBe(false);
    expect(verifySmsSignature({ secret: 'k', raw, signature: sig, timestamp: undefined, nowS: now }).ok).toBe(false);
    // The body alone is not enough once a timestamp is required.
    expect(verifySmsSignature({ secret: 'k', raw, signature: hmac('k', raw.toString()), timestamp: String(now), nowS: now }).ok).toBe(false);
    expect(timestampSeconds('2025-12-06T01:00:00Z')).toBe(Date.parse('2025-12-06T01:00:00Z') / 1000);
    expect(timestampSeconds('1765000000123')).toBe(1_765_000_000);
    expect(timestampSeconds('yesterday')).toBeNull();
  });

  it('reads JSON and form bodies and picks fields by dotted path', () => {
    const json = parseSmsBody(Buffer.from('{"message":{"from":"0912345678","id":42,"parts":["a"]}}'), 'application/json')!;
    expect(pickField(json, 'message.from')).toBe('0912345678');
    expect(pickField(json, 'message.id')).toBe('42');
    expect(pickField(json, 'message.parts')).toBeUndefined();
    expect(pickField(json, 'message.nothing.deeper')).toBeUndefined();
    const form = parseSmsBody(Buffer.from('From=%2B84912345678&Body=XA+00115+C%E1%BB%91ng'), 'application/x-www-form-urlencoded')!;
    expect(pickField(form, 'From')).toBe('+84912345678');
    expect(pickField(form, 'Body')).toBe('XA 00115 Cống');
    expect(parseSmsBody(Buffer.from('{not json'), 'application/json')).toBeNull();
    expect(parseSmsBody(Buffer.from('[1,2]'), 'application/json')).toBeNull();
    expect(pickField({ constructor: 'x' }, 'toString')).toBeUndefined();
  });

  it('takes the commune from "XA <code> …" and makes a title of at most 60 characters', () => {
    expect(splitCommune('XA 00115 Cống bị tắc')).toEqual({ areaCode: '00115', content: 'Cống bị tắc' });
    expect(splitCommune('xa 00115   Cống')).toEqual({ areaCode: '00115', content: 'Cống' });
    expect(splitCommune('Xin hỏi về trợ cấp')).toEqual({ areaCode: null, content: 'Xin hỏi về trợ cấp' });
    const long = 'Đường liên thôn từ thôn Đông sang thôn Tây bị sạt lở nghiêm trọng sau mưa lớn, đề nghị xã sửa';
    expect(smsTitle(long).length).toBeLessThanOrEqual(60);
    expect(long.startsWith(smsTitle(long).replace(/…$/, ''))).toBe(true);
    expect(smsTitle('Ngắn')).toBe('Ngắn');
  });
});

describe('SMS outbound templates', () => {
  const m = { to: '0912345678', text: 'Trả lời: "đã sửa"\nCảm ơn', id: 'PA-7K3M9QXR-answered' };

  it('fills the body with JSON-escaped values, so a quote in the text cannot break the JSON', () => {
    const body = renderSmsBody('{"to":"{{to}}","message":"{{ text }}","ref":"{{id}}"}', m);
    expect(JSON.parse(body)).toEqual({ to: m.to, message: m.text, ref: m.id });
  });

  it('fills URLs encoded and headers with the secret', () => {
    expect(renderSmsUrl('https://gw.example/send?to={{to}}&msg={{text}}', m)).toBe(`https://gw.example/send?to=0912345678&msg=${encodeURIComponent(m.text)}`);
    expect(renderSmsHeaders({ authorization: 'Bearer {{secret}}', 'x-a': 'b' }, 'tok')).toEqual({ authorization: 'Bearer tok', 'x-a': 'b' });
  });
});

describe('sniff', () => {
  it('knows JPEG, PNG, WebP and PDF by their first bytes, and nothing else', () => {
    expect(sniff(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))?.mime).toBe('image/jpeg');
    expect(sniff(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]))?.mime).toBe('image/png');
    expect(sniff(Buffer.from('RIFF\0\0\0\0WEBPVP8 '))?.mime).toBe('image/webp');
    expect(sniff(Buffer.from('%PDF-1.7\n'))?.mime).toBe('application/pdf');
    expect(sniff(Buffer.from('GIF89a'))).toBeNull();
    expect(sniff(Buffer.from('<html>'))).toBeNull();
  });
});

describe('FeedbackLimits', () => {
  /** The counters in memory, as the repository keeps them in the database. */
  class MemoryThrottle {
    readonly counts = new Map<string, number>();
    async hit(key: string, windowStart: number): Promise<number> {
      const k = `${key}@${windowStart}`;
      this.counts.set(k, (this.counts.get(k) ?? 0) + 1);
      return this.counts.get(k)!;
    }
    async release(key: string, windowStart: number): Promise<void> {
      const k = `${key}@${windowStart}`;
      this.counts.set(k, Math.max(0, (this.counts.get(k) ?? 0) - 1));
    }
    async purgeBefore(): Promise<void> {}
  }
  // 2026-12-07 23:30 in Hà Nội (16:30 UTC): the phone's day ends at local midnight, 30 minutes later.
  const at = Date.UTC(2026, 11, 7, 16, 30);
  const make = () => {
    const repo = new MemoryThrottle();
    const limits = new FeedbackLimits(repo as unknown as FeedbackThrottleRepository, new FixedClock(at), testConfig({ LOA_TIMEZONE: 'Asia/Ho_Chi_Minh' }), silentLogger);
    return { repo, limits };
  };

  it('refuses the hit over the limit, with the seconds until the window ends (local midnight for a phone)', async () => {
    const { limits } = make();
    expect((await limits.take('phone', 'h', 2)).ok).toBe(true);
    expect((await limits.take('phone', 'h', 2)).ok).toBe(true);
    expect(await limits.take('phone', 'h', 2)).toEqual({ ok: false, retryAfterSeconds: 30 * 60 });
    // An hour window from the epoch: 16:30 → 17:00 UTC.
    for (let i = 0; i < 3; i++) await limits.take('address', 'h', 3);
    expect(await limits.take('address', 'h', 3)).toEqual({ ok: false, retryAfterSeconds: 30 * 60 });
    // Kinds and keys count apart.
    expect((await limits.take('lookup', 'h', 1)).ok).toBe(true);
    expect((await limits.take('address', 'other', 1)).ok).toBe(true);
  });

  it('gives a hit back (a duplicate submission is not counted twice)', async () => {
    const { limits } = make();
    const first = await limits.take('phone', 'p', 1);
    if (!first.ok) throw new Error('first hit refused');
    await first.release();
    expect((await limits.take('phone', 'p', 1)).ok).toBe(true);
    expect((await limits.take('phone', 'p', 1)).ok).toBe(false);
  });
});

describe('PublicFeedbackReceiver', () => {
  const BOUNDARY = 'xYz';
  const request = () => {
    const s = new PassThrough() as PassThrough & { headers: Record<string, string> };
    s.headers = { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` };
    return s;
  };
  const form = (fields: Record<string, string>) =>
    Object.entries(fields)
      .map(([k, v]) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`)
      .join('') + `--${BOUNDARY}--\r\n`;

  it('reads the fields of a multipart body', async () => {
    const receiver = new PublicFeedbackReceiver();
    const req = request();
    const got = receiver.receive(req as unknown as IncomingMessage);
    req.end(form({ title: 'Cống tắc', areaCode: '00115' }));
    const r = await got;
    expect(r.fields).toEqual({ title: 'Cống tắc', areaCode: '00115' });
    expect(r.files).toEqual([]);
    r.release();
  });

  it(`tells the ${MAX_CONCURRENT_UPLOADS + 1}th upload at once to come back (busy), and takes one again when a slot frees`, async () => {
    const receiver = new PublicFeedbackReceiver();
    const pending = Array.from({ length: MAX_CONCURRENT_UPLOADS }, () => request());
    const inFlight = pending.map((p) => receiver.receive(p as unknown as IncomingMessage));
    await expect(receiver.receive(request() as unknown as IncomingMessage)).rejects.toMatchObject({ code: 'busy', retryAfterSeconds: 10 });
    pending[0]!.end(form({ a: '1' }));
    (await inFlight[0]!).release();
    const next = request();
    const accepted = receiver.receive(next as unknown as IncomingMessage);
    next.end(form({ b: '2' }));
    expect((await accepted).fields).toEqual({ b: '2' });
    for (const p of pending.slice(1)) p.end(form({}));
    await Promise.allSettled(inFlight);
  });
});
