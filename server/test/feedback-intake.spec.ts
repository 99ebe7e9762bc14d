import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { PDFDocument } from 'pdf-lib';
import { DataSource } from 'typeorm';
import {
  FEEDBACK_REFUSALS,
  feedbackCommuneOptionSchema,
  feedbackFormSchema,
  feedbackReceiptSchema,
  feedbackRefusalSchema,
  publicFeedbackViewSchema,
  type FeedbackSettingsView,
} from '@loa/shared/rest';
import { z } from 'zod';
import { badRequest, conflict, forbidden, notFound } from '../src/common/loa-error.js';
import { FeedbackRefusalFilter } from '../src/feedback/feedback-refusal.js';
import { startTestServer, startTestServerOn, type TestServer } from './support/server.js';

const run = promisify(execFile);
const work = mkdtempSync(path.join(tmpdir(), 'loa-feedback-intake-'));
const file = (name: string) => path.join(work, name);

interface Fixtures {
  jpeg: Buffer;
  png: Buffer;
  truncatedJpeg: Buffer;
  pdf: Buffer;
}
let fx: Fixtures;

beforeAll(async () => {
  const ffmpeg = (args: string[]) => run(ffmpegInstaller.path, ['-v', 'error', '-nostdin', '-y', ...args]);
  await Promise.all([
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=640x480', '-frames:v', '1', file('photo.jpg')]),
    ffmpeg(['-f', 'lavfi', '-i', 'testsrc=size=320x240', '-frames:v', '1', file('poster.png')]),
  ]);
  const jpeg = readFileSync(file('photo.jpg'));
  const doc = await PDFDocument.create();
  doc.addPage([595, 842]).drawText('Don kien nghi');
  fx = { jpeg, png: readFileSync(file('poster.png')), truncatedJpeg: jpeg.subarray(0, Math.floor(jpeg.length * 0.4)), pdf: Buffer.from(await doc.save()) };
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

const refusal = feedbackRefusalSchema;
type Refusal = z.infer<typeof refusal>;

/** A valid submission's fields; each test varies what it needs (and the phone, so the per-phone limit stays out of the way). */
const fields = (over: Record<string, string> = {}): Record<string, string> => ({
  areaCode: '00115',
  village: 'Thôn Đông',
  name: 'Nguyễn Văn An',
  phone: '0912 345 678',
  title: 'Đèn đường hỏng',
  content: 'Đèn đường ở đầu thôn Đông đã hỏng ba tuần, buổi tối đi lại rất nguy hiểm.',
  category: 'giao-thong',
  consent: 'true',
  ...over,
});

interface Part {
  bytes: Buffer;
  name: string;
  type: string;
}

function multipart(f: Record<string, string>, files: Part[] = []): FormData {
  const form = new FormData();
  for (const [k, v] of Object.entries(f)) form.append(k, v);
  for (const p of files) form.append('attachments', new Blob([p.bytes], { type: p.type }), p.name);
  return form;
}

describe.each(['sqlite', 'postgres'])('public feedback intake on %s', (db) => {
  let t: TestServer;
  let close: () => Promise<void>;
  let ds: DataSource;
  let ipSeq = 0;
  /** A fresh client address per test, so the per-address limit of one test never spills into another. */
  const nextIp = () => `203.0.113.${++ipSeq}`;
  let phoneSeq = 0;
  const nextPhone = () => `09${String(10_000_000 + ++phoneSeq).padStart(8, '0')}`;

  const post = async (body: FormData | string, ip: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${t.baseUrl}/api/v1/public/feedback`, { method: 'POST', body, headers: { 'x-forwarded-for': ip, ...headers } });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as unknown, retryAfter: res.headers.get('retry-after') };
  };
  const postJson = (body: unknown, ip: string) => post(JSON.stringify(body), ip, { 'content-type': 'application/json' });
  const publicCall = async (method: string, url: string, body: unknown, ip: string) => {
    const res = await fetch(`${t.baseUrl}${url}`, {
      method,
      headers: { 'x-forwarded-for': ip, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as unknown, retryAfter: res.headers.get('retry-after') };
  };
  const count = async (table: string): Promise<number> => Number(((await ds.query(`SELECT COUNT(*) AS n FROM ${table}`)) as Array<{ n: number | string }>)[0]!.n);
  const counts = async () => ({ items: await count('feedback_items'), attachments: await count('feedback_attachments') });
  const expectRefusal = (r: { status: number; body: unknown }, status: number, code: keyof typeof FEEDBACK_REFUSALS): Refusal => {
    expect({ status: r.status, body: r.body }).toEqual({ status, body: expect.objectContaining({ statusCode: status, code, message: FEEDBACK_REFUSALS[code] }) });
    return refusal.parse(r.body);
  };
  const setLimits = async (limits: { perAddressPerHour: number; perPhonePerDay: number; lookupsPerAddressPer10Min: number }) => {
    const current = await t.api<FeedbackSettingsView>('GET', '/api/v1/feedback/settings');
    const put = await t.api('PUT', '/api/v1/feedback/settings', { settings: { ...current.body.settings, limits } });
    expect(put.status).toBe(200);
  };

  beforeAll(async () => {
    ({ t, close } = await startTestServerOn(db, { LOA_TRUST_PROXY: 'loopback', LOA_PUBLIC_HTTP_URL: 'https://loa.example.vn' }));
    ds = t.server.app.get(DataSource);
    for (const a of [
      { code: '01', name: 'Tỉnh Bắc Sơn', level: 'province' },
      { code: '001', name: 'Huyện Yên Hòa', level: 'district', parentCode: '01' },
      { code: '00115', name: 'Xã Chợ Đông', level: 'commune', parentCode: '001' },
      { code: '00118', name: 'Xã Chợ Tây', level: 'commune', parentCode: '001' },
    ]) {
      expect((await t.api('POST', '/api/v1/areas', a)).status).toBe(201);
    }
    await setLimits({ perAddressPerHour: 50, perPhonePerDay: 50, lookupsPerAddressPer10Min: 100 });
  });
  afterAll(() => close());

  it('shows a commune’s form with its parents, categories, short link and QR, and refuses an unknown commune', async () => {
    const form = await publicCall('GET', '/api/v1/public/feedback/form/00115', undefined, nextIp());
    expect(form.status).toBe(200);
    const f = feedbackFormSchema.parse(form.body);
    // Exactly the declared view: nothing missing, nothing extra.
    expect(f).toEqual(form.body);
    expect(f).toMatchObject({ areaCode: '00115', areaName: 'Xã Chợ Đông', parentNames: ['Huyện Yên Hòa', 'Tỉnh Bắc Sơn'], maxAttachments: 5 });
    expect(f.categories.map((c) => c.code)).toContain('giao-thong');
    expect(f.shortUrl).toBe('https://loa.example.vn/y/00115');
    expect(f.qrSvgUrl).toBe('https://loa.example.vn/api/v1/public/feedback/qr/00115.svg');
    expectRefusal(await publicCall('GET', '/api/v1/public/feedback/form/99999', undefined, nextIp()), 404, 'unknown-commune');
    // A district is not a commune.
    expectRefusal(await publicCall('GET', '/api/v1/public/feedback/form/001', undefined, nextIp()), 404, 'unknown-commune');

    const search = await publicCall('GET', '/api/v1/public/feedback/communes?q=cho%20dong', undefined, nextIp());
    expect(search.status).toBe(200);
    expect(z.array(feedbackCommuneOptionSchema).parse(search.body)).toEqual([{ areaCode: '00115', name: 'Xã Chợ Đông', parentNames: ['Huyện Yên Hòa', 'Tỉnh Bắc Sơn'] }]);
    const both = z.array(feedbackCommuneOptionSchema).parse((await publicCall('GET', '/api/v1/public/feedback/communes?q=CHO', undefined, nextIp())).body);
    expect(both.map((c) => c.areaCode).sort()).toEqual(['00115', '00118']);
  });

  it('stores a submission with a real JPEG and a PDF, and the code then tracks with the phone (a wrong phone is the same 404 as an unknown code)', async () => {
    const before = await counts();
    const phone = nextPhone();
    const ip = nextIp();
    const res = await post(
      multipart(fields({ phone, title: 'Cống thoát nước bị tắc' }), [
        { bytes: fx.jpeg, name: 'ảnh cống.jpg', type: 'image/jpeg' },
        { bytes: fx.pdf, name: 'don.pdf', type: 'application/pdf' },
      ]),
      ip,
    );
    expect(res.status).toBe(201);
    const receipt = feedbackReceiptSchema.parse(res.body);
    expect(receipt).toEqual(res.body);
    expect(receipt).toMatchObject({ areaName: 'Xã Chợ Đông', duplicate: false });
    expect(receipt.code).toMatch(/^PA-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{8}$/);
    expect(await counts()).toEqual({ items: before.items + 1, attachments: before.attachments + 2 });
    const rows = (await ds.query(
      `SELECT a.mime, a.width, a.height, a.storage_key, i.channel, i.address_hash FROM feedback_attachments a JOIN feedback_items i ON i.id = a.item_id WHERE i.code = '${receipt.code}' ORDER BY a.mime`,
    )) as Array<{ mime: string; width: number | null; height: number | null; storage_key: string; channel: string; address_hash: string | null }>;
    expect(rows.map((r) => [r.mime, r.width === null ? null : Number(r.width), r.height === null ? null : Number(r.height)])).toEqual([
      ['application/pdf', null, null],
      ['image/jpeg', 640, 480],
    ]);
    expect(rows[0]!.channel).toBe('web');
    expect(rows[0]!.address_hash).toMatch(/^[0-9a-f]{64}$/);
    for (const r of rows) expect(existsSync(path.join(t.dataDir, 'feedback', ...r.storage_key.split('/')))).toBe(true);

    const tracked = await publicCall('POST', '/api/v1/public/feedback/track', { code: receipt.code.toLowerCase(), phone: `+84${phone.slice(1)}` }, ip);
    expect(tracked.status).toBe(200);
    const view = publicFeedbackViewSchema.parse(tracked.body);
    expect(view).toEqual(tracked.body);
    expect(view).toMatchObject({ code: receipt.code, title: 'Cống thoát nước bị tắc', state: 'received', areaName: 'Xã Chợ Đông', categoryLabel: 'Giao thông, hạ tầng', attachments: 2, canRate: false, answer: null });
    expect(view.history.map((h) => [h.kind, h.text])).toEqual([['received', 'Tiếp nhận']]);
    // Nothing personal in the public view.
    expect(JSON.stringify(tracked.body)).not.toMatch(/Nguyễn Văn An|0912|345 678/);

    const malformed = await fetch(`${t.baseUrl}/api/v1/public/feedback/track`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': ip }, body: '{"code":' });
    expectRefusal({ status: malformed.status, body: await malformed.json() }, 400, 'invalid');
    expectRefusal(await publicCall('POST', '/api/v1/public/feedback/track', { code: receipt.code, phone: 'không có' }, ip), 400, 'invalid-phone');
    const wrongPhone = await publicCall('POST', '/api/v1/public/feedback/track', { code: receipt.code, phone: '0987654321' }, ip);
    const unknownCode = await publicCall('POST', '/api/v1/public/feedback/track', { code: 'PA-22222222', phone }, ip);
    expectRefusal(wrongPhone, 404, 'not-found');
    expect(unknownCode).toEqual(wrongPhone);
  });

  it('refuses a PNG named .pdf (415) and a truncated JPEG (400), storing nothing of the submission', async () => {
    const before = await counts();
    const ip = nextIp();
    const pngAsPdf = await post(multipart(fields({ phone: nextPhone() }), [
      { bytes: fx.jpeg, name: 'ok.jpg', type: 'image/jpeg' },
      { bytes: fx.png, name: 'giay-to.pdf', type: 'application/pdf' },
    ]), ip);
    expectRefusal(pngAsPdf, 415, 'attachment-type');
    const truncated = await post(multipart(fields({ phone: nextPhone() }), [{ bytes: fx.truncatedJpeg, name: 'anh.jpg', type: 'image/jpeg' }]), ip);
    expectRefusal(truncated, 400, 'attachment-unreadable');
    const text = await post(multipart(fields({ phone: nextPhone() }), [{ bytes: Buffer.from('không phải ảnh'), name: 'anh.jpg', type: 'image/jpeg' }]), ip);
    expectRefusal(text, 415, 'attachment-type');
    const brokenPdf = await post(multipart(fields({ phone: nextPhone() }), [{ bytes: fx.pdf.subarray(0, Math.floor(fx.pdf.length / 2)), name: 'don.pdf', type: 'application/pdf' }]), ip);
    expectRefusal(brokenPdf, 400, 'attachment-unreadable');
    expect(await counts()).toEqual(before);
  });

  it('refuses an oversized file (413) and six files (400) while streaming', async () => {
    const before = await counts();
    const ip = nextIp();
    const big = Buffer.alloc(8 * 1024 * 1024 + 1, 0x41);
    fx.jpeg.copy(big, 0, 0, 16);
    expectRefusal(await post(multipart(fields({ phone: nextPhone() }), [{ bytes: big, name: 'to.jpg', type: 'image/jpeg' }]), ip), 413, 'attachment-too-large');
    const six = Array.from({ length: 6 }, (_, i) => ({ bytes: fx.jpeg, name: `a${i}.jpg`, type: 'image/jpeg' }));
    expectRefusal(await post(multipart(fields({ phone: nextPhone() }), six), ip), 400, 'too-many-attachments');
    expect(await counts()).toEqual(before);
  });

  it('refuses spam (honeypot, links, padding) and a missing consent; an exact resubmission answers the first code', async () => {
    const ip = nextIp();
    expectRefusal(await post(multipart(fields({ phone: nextPhone(), website: 'http://ban-hang.example' })), ip), 400, 'spam');
    expectRefusal(await post(multipart(fields({ phone: nextPhone(), content: 'Mua ngay http://a.x http://b.x http://c.x http://d.x' })), ip), 400, 'spam');
    expectRefusal(await post(multipart(fields({ phone: nextPhone(), content: `Khẩn${'!'.repeat(40)}` })), ip), 400, 'spam');
    expectRefusal(await postJson({ ...fields({ phone: nextPhone() }), consent: false }, ip), 400, 'consent-required');

    const phone = nextPhone();
    const first = await postJson({ ...fields({ phone, title: 'Rác thải chưa được thu gom' }), consent: true }, ip);
    expect(first.status).toBe(201);
    const before = await counts();
    const again = await post(multipart(fields({ phone, title: 'Rác thải  chưa được thu gom' })), ip);
    expect(again.status).toBe(201);
    expect(feedbackReceiptSchema.parse(again.body)).toMatchObject({ code: feedbackReceiptSchema.parse(first.body).code, duplicate: true });
    expect(await counts()).toEqual(before);
  });

  it('answers bad bodies with 4xx refusals, never a 500, and takes a plain form post', async () => {
    const ip = nextIp();
    const before = await counts();
    const cases: Array<{ what: string; send: () => Promise<{ status: number; body: unknown }>; code: keyof typeof FEEDBACK_REFUSALS }> = [
      { what: 'wrong types', send: () => postJson({ ...fields(), areaCode: 115, name: ['x'], consent: 'maybe' }, ip), code: 'invalid' },
      { what: 'a bad phone', send: () => postJson({ ...fields(), phone: '12345' }, ip), code: 'invalid-phone' },
      { what: 'a huge field', send: () => postJson({ ...fields(), content: 'a '.repeat(50_000) }, ip), code: 'invalid' },
      { what: 'malformed JSON', send: () => post('{"areaCode": "00115", ', ip, { 'content-type': 'application/json' }), code: 'invalid' },
      { what: 'an empty body', send: () => post('', ip, { 'content-type': 'application/json' }), code: 'invalid' },
      { what: 'a huge multipart field', send: () => post(multipart(fields({ content: 'ă'.repeat(40_000) })), ip), code: 'invalid' },
      { what: 'a JSON array', send: () => postJson([fields()], ip), code: 'invalid' },
      { what: 'plain text', send: () => post('xin chào', ip, { 'content-type': 'text/plain' }), code: 'invalid' },
      { what: 'a multipart type without boundary', send: () => post('--x\r\n', ip, { 'content-type': 'multipart/form-data' }), code: 'invalid' },
      {
        what: 'a broken multipart body',
        send: () => post('--b\r\nContent-Disposition: form-data; name="areaCode"\r\n\r\n00115\r\n--b\r\nContent-Disposition: form-data; name="attachments"; filename="a.jpg"\r\n\r\nxx', ip, { 'content-type': 'multipart/form-data; boundary=b' }),
        code: 'invalid',
      },
      { what: 'an unknown category', send: () => postJson({ ...fields({ category: 'khong-co' }) }, ip), code: 'invalid' },
      { what: 'a file in another field', send: () => { const f = multipart(fields()); f.append('photo', new Blob([fx.jpeg]), 'a.jpg'); return post(f, ip); }, code: 'invalid' },
    ];
    for (const c of cases) {
      const r = await c.send();
      expect({ what: c.what, status: r.status, code: (r.body as Refusal | undefined)?.code }).toEqual({ what: c.what, status: 400, code: c.code });
    }
    expectRefusal(await postJson(fields({ areaCode: '99999' }), ip), 404, 'unknown-commune');
    // The core refuses the category with a coded 400 (feedback.category-unknown); on the public route it still leaves
    // in the public shape only: the intake's own code and text, no `params`, no officer's text.
    const category = await postJson(fields({ category: 'khong-co' }), ip);
    expect({ status: category.status, body: category.body }).toEqual({ status: 400, body: { statusCode: 400, code: 'invalid', message: FEEDBACK_REFUSALS.invalid } });
    // Over the body limit of a submission without files: refused before it is read to the end.
    expectRefusal(await postJson({ ...fields(), content: 'a'.repeat(300_000) }, ip), 413, 'invalid');
    expect(await counts()).toEqual(before);
    // A plain HTML form (no script on the phone) is a submission too.
    const plain = await post(new URLSearchParams(fields({ phone: nextPhone(), title: 'Gửi từ biểu mẫu thường' })).toString(), ip, { 'content-type': 'application/x-www-form-urlencoded' });
    expect(plain.status).toBe(201);
    expect(await counts()).toEqual({ ...before, items: before.items + 1 });
  });

  it('rates an answer: satisfied closes, not satisfied reopens; before an answer rating is refused', async () => {
    const ip = nextIp();
    const file = async (title: string) => {
      const phone = nextPhone();
      const r = await postJson(fields({ phone, title }), ip);
      expect(r.status).toBe(201);
      const code = feedbackReceiptSchema.parse(r.body).code;
      const id = ((await ds.query(`SELECT id FROM feedback_items WHERE code = '${code}'`)) as Array<{ id: string }>)[0]!.id;
      return { code, phone, id };
    };
    const a = await file('Xin sửa đường thôn Tây');
    expectRefusal(await publicCall('POST', '/api/v1/public/feedback/rate', { code: a.code, phone: a.phone, satisfied: true }, ip), 409, 'rating-not-open');
    expect((await t.api('POST', `/api/v1/feedback/${a.id}/answer`, { answer: 'Xã đã lên kế hoạch sửa trong tháng tới.' })).status).toBe(200);
    const answered = publicFeedbackViewSchema.parse((await publicCall('POST', '/api/v1/public/feedback/track', { code: a.code, phone: a.phone }, ip)).body);
    expect(answered).toMatchObject({ state: 'answered', answer: 'Xã đã lên kế hoạch sửa trong tháng tới.', canRate: true });
    const closed = await publicCall('POST', '/api/v1/public/feedback/rate', { code: a.code, phone: a.phone, satisfied: true, comment: 'Cảm ơn xã' }, ip);
    expect(closed.status).toBe(200);
    expect(publicFeedbackViewSchema.parse(closed.body)).toMatchObject({ state: 'closed', satisfied: true, canRate: false });

    const b = await file('Xin hỗ trợ hộ nghèo');
    expect((await t.api('POST', `/api/v1/feedback/${b.id}/answer`, { answer: 'Đã chuyển hồ sơ.' })).status).toBe(200);
    const reopened = await publicCall('POST', '/api/v1/public/feedback/rate', { code: b.code, phone: b.phone, satisfied: false, comment: 'Chưa nhận được hỗ trợ' }, ip);
    expect(reopened.status).toBe(200);
    const rv = publicFeedbackViewSchema.parse(reopened.body);
    expect(rv).toMatchObject({ state: 'reopened', satisfied: false });
    expect(rv.history.map((h) => h.kind)).toEqual(['received', 'answered', 'rated', 'reopened']);
    expectRefusal(await publicCall('POST', '/api/v1/public/feedback/rate', { code: b.code, phone: '0900000000', satisfied: true }, ip), 404, 'not-found');
  });

  it('serves the QR code as SVG and redirects the short link to the page', async () => {
    const qr = await fetch(`${t.baseUrl}/api/v1/public/feedback/qr/00115.svg`);
    expect(qr.status).toBe(200);
    expect(qr.headers.get('content-type')).toMatch(/^image\/svg\+xml/);
    expect(await qr.text()).toMatch(/^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"[\s\S]*<\/svg>\s*$/);
    expectRefusal(await publicCall('GET', '/api/v1/public/feedback/qr/99999.svg', undefined, nextIp()), 404, 'unknown-commune');
    const short = await fetch(`${t.baseUrl}/y/00115`, { redirect: 'manual' });
    expect(short.status).toBe(302);
    expect(short.headers.get('location')).toBe('/gop-y/?c=00115');
  });

  it('limits submissions per address (hour) and per phone (day) and look-ups per address, with Retry-After', async () => {
    await setLimits({ perAddressPerHour: 2, perPhonePerDay: 2, lookupsPerAddressPer10Min: 3 });
    try {
      const ip = nextIp();
      for (let i = 0; i < 2; i++) expect((await postJson(fields({ phone: nextPhone(), title: `Ý kiến số ${i}` }), ip)).status).toBe(201);
      const limited = await postJson(fields({ phone: nextPhone(), title: 'Ý kiến thứ ba' }), ip);
      const r = expectRefusal(limited, 429, 'rate-limited-address');
      expect(r.retryAfterSeconds).toBeGreaterThan(0);
      expect(r.retryAfterSeconds).toBeLessThanOrEqual(3600);
      expect(limited.retryAfter).toBe(String(r.retryAfterSeconds));

      const phone = nextPhone();
      for (let i = 0; i < 2; i++) expect((await postJson(fields({ phone, title: `Cùng số ${i}` }), nextIp())).status).toBe(201);
      const byPhone = expectRefusal(await postJson(fields({ phone, title: 'Cùng số lần ba' }), nextIp()), 429, 'rate-limited-phone');
      expect(byPhone.retryAfterSeconds).toBeLessThanOrEqual(86_400);

      const lookIp = nextIp();
      for (let i = 0; i < 3; i++) expect((await publicCall('POST', '/api/v1/public/feedback/track', { code: 'PA-22222222', phone }, lookIp)).status).toBe(404);
      expectRefusal(await publicCall('POST', '/api/v1/public/feedback/track', { code: 'PA-22222222', phone }, lookIp), 429, 'lookup-limited');
    } finally {
      await setLimits({ perAddressPerHour: 50, perPhonePerDay: 50, lookupsPerAddressPer10Min: 100 });
    }
  });

  if (db === 'postgres') {
    it('counts one address across two instances sharing the database', async () => {
      await setLimits({ perAddressPerHour: 3, perPhonePerDay: 50, lookupsPerAddressPer10Min: 100 });
      const url = (ds.options as { url: string }).url;
      const second = await startTestServer({ LOA_DATABASE_URL: url, LOA_TRUST_PROXY: 'loopback' });
      try {
        const ip = nextIp();
        const at = (srv: TestServer, title: string) =>
          fetch(`${srv.baseUrl}/api/v1/public/feedback`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': ip }, body: JSON.stringify(fields({ phone: nextPhone(), title })) });
        const statuses = [(await at(t, 'Một')).status, (await at(second, 'Hai')).status, (await at(t, 'Ba')).status, (await at(second, 'Bốn')).status];
        expect(statuses).toEqual([201, 201, 201, 429]);
      } finally {
        await second.server.close();
        rmSync(second.dataDir, { recursive: true, force: true });
        await setLimits({ perAddressPerHour: 50, perPhonePerDay: 50, lookupsPerAddressPer10Min: 100 });
      }
    });
  }
});

/**
 * The core's refusals are coded (issue 19) for the officers; the public routes reach some of them (a rating refused
 * by the core after an answer changed meanwhile, a missing item, a category the settings lost). Whatever the core's
 * code, the public filter answers by the status alone, in the intake's own shape.
 */
describe('the public refusal filter on coded refusals of the core', () => {
  const answer = (e: Parameters<FeedbackRefusalFilter['catch']>[0]) => {
    const out: { status?: number; body?: unknown; headers: Record<string, string> } = { headers: {} };
    const res = {
      status(code: number) {
        out.status = code;
        return res;
      },
      setHeader(name: string, value: string) {
        out.headers[name] = value;
      },
      json(body: unknown) {
        out.body = body;
      },
    };
    new FeedbackRefusalFilter().catch(e, { switchToHttp: () => ({ getResponse: () => res }) } as never);
    return out;
  };

  it.each([
    ['a rating the core refused', conflict('feedback.rating-not-open', { id: 'x' }), 409, 'rating-not-open'],
    ['a step refused in its state', conflict('feedback.bad-transition', { id: 'x', feedbackAction: 'rate-satisfied', feedbackState: 'closed', stateCode: 'closed' }), 409, 'rating-not-open'],
    ['a stale item', conflict('feedback.stale', { id: 'x' }), 409, 'rating-not-open'],
    ['a missing item', notFound('feedback.not-found', { id: 'x' }), 404, 'not-found'],
    ['an unknown category', badRequest('feedback.category-unknown', { category: 'khong-co', categories: 'khac' }), 400, 'invalid'],
    ['an area outside a scope', forbidden('feedback.outside-scope', { id: 'x' }), 403, 'invalid'],
  ] as const)('%s leaves as the public refusal of its status', (_what, e, status, code) => {
    expect(answer(e)).toEqual({ status, body: { statusCode: status, code, message: FEEDBACK_REFUSALS[code] }, headers: {} });
  });
});
