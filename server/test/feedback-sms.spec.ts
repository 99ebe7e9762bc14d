import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { feedbackReceiptSchema, type FeedbackDetailView, type FeedbackSettingsView, type FeedbackSmsSettings } from '@loa/shared/rest';
import { startTestServerOn, type TestServer } from './support/server.js';
import { until } from './support/until.js';

const INBOUND_SECRET = 'inbound-secret-0123456789';
const OUTBOUND_SECRET = 'gw-token-xyz';

/** What the stand-in SMS gateway received. */
interface Received {
  method: string;
  url: string;
  authorization: string | undefined;
  body: string;
}

/** A tiny SMS gateway on loopback: records every request; answers with the status the test sets. */
class GatewayStandIn {
  readonly received: Received[] = [];
  status = 200;
  private waiters: Array<() => void> = [];
  private server: Server | null = null;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.received.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(this.status, { 'content-type': 'application/json' }).end(this.status < 300 ? '{"ok":true}' : '{"error":"quota exceeded"}');
        for (const w of this.waiters.splice(0)) w();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/send`;
  }

  /** Resolves once `n` requests in all have arrived (the event that proves the send happened). */
  async count(n: number): Promise<Received[]> {
    while (this.received.length < n) await new Promise<void>((resolve) => this.waiters.push(resolve));
    return this.received;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

describe.each(['sqlite', 'postgres'])('the SMS gateway both ways on %s', (db) => {
  let t: TestServer;
  let close: () => Promise<void>;
  let ds: DataSource;
  const gateway = new GatewayStandIn();

  const sms = (): FeedbackSmsSettings => ({
    inbound: {
      enabled: true,
      mapping: { from: 'from', text: 'text', messageId: 'id', receivedAt: 'at' },
      signatureHeader: 'x-signature',
      timestampHeader: 'x-timestamp',
      defaultAreaCode: '00118',
      defaultCategory: 'khac',
    },
    outbound: {
      enabled: true,
      url: gateway.url,
      method: 'POST',
      headers: { authorization: 'Bearer {{secret}}' },
      bodyTemplate: '{"to":"{{to}}","message":"{{text}}","ref":"{{id}}"}',
    },
  });

  const sign = (body: string, ts: string, secret = INBOUND_SECRET) => createHmac('sha256', secret).update(`${ts}.${body}`).digest('hex');
  const now = () => String(Math.floor(Date.now() / 1000));
  const webhook = async (body: string, headers: Record<string, string>, contentType = 'application/json') => {
    const res = await fetch(`${t.baseUrl}/api/v1/feedback/sms/inbound`, { method: 'POST', headers: { 'content-type': contentType, ...headers }, body });
    return { status: res.status, body: (await res.json()) as { code?: string | null; duplicate?: boolean; message?: string } };
  };
  const signed = (body: string, contentType?: string) => {
    const ts = now();
    return webhook(body, { 'x-timestamp': ts, 'x-signature': `sha256=${sign(body, ts)}` }, contentType);
  };
  const items = async (): Promise<number> => Number(((await ds.query('SELECT COUNT(*) AS n FROM feedback_items')) as Array<{ n: number | string }>)[0]!.n);
  const itemByCode = async (code: string) =>
    ((await ds.query(`SELECT id, area_code, channel, resident_name, resident_phone, title, content, external_id FROM feedback_items WHERE code = '${code}'`)) as Array<Record<string, string>>)[0]!;

  beforeAll(async () => {
    await gateway.start();
    ({ t, close } = await startTestServerOn(db, { LOA_PUBLIC_HTTP_URL: 'https://loa.example.vn' }));
    ds = t.server.app.get(DataSource);
    for (const a of [
      { code: '01', name: 'Tỉnh Bắc Sơn', level: 'province' },
      { code: '00115', name: 'Xã Chợ Đông', level: 'commune', parentCode: '01' },
      { code: '00118', name: 'Xã Chợ Tây', level: 'commune', parentCode: '01' },
    ]) {
      expect((await t.api('POST', '/api/v1/areas', a)).status).toBe(201);
    }
  });
  afterAll(async () => {
    await close();
    await gateway.stop();
  });

  it('refuses the webhook while SMS is not configured', async () => {
    const body = JSON.stringify({ from: '0912345678', text: 'xin chào', id: 'm-0' });
    expect((await signed(body)).status).toBe(404);
    const put = await t.api('PUT', '/api/v1/feedback/settings', { sms: sms(), smsInboundSecret: INBOUND_SECRET, smsOutboundSecret: OUTBOUND_SECRET });
    expect(put.status).toBe(200);
    expect((await t.api<FeedbackSettingsView>('GET', '/api/v1/feedback/settings')).body).toMatchObject({ smsInboundSecretSet: true, smsOutboundSecretSet: true });
  });

  it('turns a signed text into an item of channel sms in the commune it names (or the default one)', async () => {
    const body = JSON.stringify({ from: '+84 912 345 678', text: 'XA 00115 Cống thoát nước đầu thôn Đông bị tắc, nước tràn vào nhà dân khi mưa to', id: 'msg-1001' });
    const r = await signed(body);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ code: expect.stringMatching(/^PA-/), duplicate: false });
    const item = await itemByCode(r.body.code!);
    expect(item).toMatchObject({
      area_code: '00115',
      channel: 'sms',
      resident_name: 'Người gửi SMS',
      resident_phone: '0912345678',
      content: 'Cống thoát nước đầu thôn Đông bị tắc, nước tràn vào nhà dân khi mưa to',
      external_id: 'sms:msg-1001',
    });
    expect(item.title!.length).toBeLessThanOrEqual(60);
    expect(item.content!.startsWith(item.title!.replace(/…$/, ''))).toBe(true);

    // A form-encoded body, no commune named: the default commune.
    const form = new URLSearchParams({ from: '0987654321', text: 'Xin hỏi lịch tiêm phòng cho trẻ', id: 'msg-1002' }).toString();
    const f = await signed(form, 'application/x-www-form-urlencoded');
    expect(f.status).toBe(200);
    expect(await itemByCode(f.body.code!)).toMatchObject({ area_code: '00118', channel: 'sms', content: 'Xin hỏi lịch tiêm phòng cho trẻ' });
  });

  it('answers a redelivered message with the same code and stores nothing new', async () => {
    const body = JSON.stringify({ from: '0911111111', text: 'XA 00118 Đèn đường hỏng', id: 'msg-2001' });
    const first = await signed(body);
    expect(first.status).toBe(200);
    const before = await items();
    const again = await signed(body);
    expect(again).toEqual({ status: 200, body: { code: first.body.code, duplicate: true } });
    expect(await items()).toBe(before);
  });

  it('refuses a bad, missing or stale signature with 401, stores nothing and audits the refusal', async () => {
    const before = await items();
    const body = JSON.stringify({ from: '0922222222', text: 'XA 00115 thử', id: 'msg-3001' });
    const ts = now();
    expect((await webhook(body, { 'x-timestamp': ts, 'x-signature': sign(body, ts, 'not-the-secret-at-all') })).status).toBe(401);
    expect((await webhook(body, { 'x-timestamp': ts })).status).toBe(401);
    expect((await webhook(body, { 'x-signature': sign(body, ts) })).status).toBe(401);
    const old = String(Math.floor(Date.now() / 1000) - 600);
    expect((await webhook(body, { 'x-timestamp': old, 'x-signature': sign(body, old) })).status).toBe(401);
    // The body changed after signing.
    expect((await webhook(body.replace('thử', 'thử!'), { 'x-timestamp': ts, 'x-signature': sign(body, ts) })).status).toBe(401);
    expect(await items()).toBe(before);
    const audit = await t.api<Array<{ action: string; outcome: string; status: number }>>('GET', '/api/v1/audit?action=feedback.sms-inbound&outcome=refused');
    expect(audit.status).toBe(200);
    expect(audit.body.filter((e) => e.status === 401)).toHaveLength(5);
  });

  it('refuses a signed body it cannot map with 400', async () => {
    const before = await items();
    expect((await signed(JSON.stringify({ sender: '0912345678', text: 'x' }))).status).toBe(400);
    expect((await signed(JSON.stringify({ from: 'abc', text: 'x' }))).status).toBe(400);
    expect((await signed(JSON.stringify({ from: '0912345678', text: '   ' }))).status).toBe(400);
    expect((await signed('{"from":')).status).toBe(400);
    expect(await items()).toBe(before);
  });

  it('texts the resident through the gateway when an item is answered, and records it; notify:false sends nothing; a failure is recorded', async () => {
    const file = async (phone: string, title: string) => {
      const r = await fetch(`${t.baseUrl}/api/v1/public/feedback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ areaCode: '00115', name: 'Trần Thị Bình', phone, title, content: `${title} — đề nghị xã xem xét.`, category: 'moi-truong', consent: true }),
      });
      expect(r.status).toBe(201);
      const code = feedbackReceiptSchema.parse(await r.json()).code;
      return { code, id: (await itemByCode(code)).id! };
    };
    const history = async (id: string) => (await t.api<FeedbackDetailView>('GET', `/api/v1/feedback/${id}`)).body.history;

    const quiet = await file('0933333333', 'Khói đốt rơm rạ');
    const told = await file('0944444444', 'Nước thải chăn nuôi');
    const sentBefore = gateway.received.length;
    expect((await t.api('POST', `/api/v1/feedback/${quiet.id}/answer`, { answer: 'Đã nhắc nhở các hộ.', notify: false })).status).toBe(200);
    expect((await t.api('POST', `/api/v1/feedback/${told.id}/answer`, { answer: 'Đã kiểm tra và xử phạt.' })).status).toBe(200);

    const got = (await gateway.count(sentBefore + 1)).slice(sentBefore);
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ method: 'POST', url: '/send', authorization: `Bearer ${OUTBOUND_SECRET}` });
    const msg = JSON.parse(got[0]!.body) as { to: string; message: string; ref: string };
    expect(msg.to).toBe('0944444444');
    expect(msg.message).toBe(`UBND Xa Cho Dong: Y kien ${told.code} da duoc tra loi. Tra cuu: https://loa.example.vn/gop-y/?ma=${told.code}`);
    expect(msg.message.length).toBeLessThanOrEqual(160);
    expect(msg.ref).toMatch(new RegExp(`^${told.code}-answered-\\d+$`));
    const h = await until('the notified entry', () => history(told.id), (entries) => entries.some((e) => e.kind === 'notified'));
    expect(h.find((e) => e.kind === 'notified')).toMatchObject({ internal: false, actorKind: 'system' });
    expect((await history(quiet.id)).map((e) => e.kind)).not.toContain('notified');

    gateway.status = 500;
    try {
      const failing = await file('0955555555', 'Chó thả rông');
      expect((await t.api('POST', `/api/v1/feedback/${failing.id}/reject`, { reason: 'Không thuộc thẩm quyền của xã.' })).status).toBe(200);
      const tried = await gateway.count(sentBefore + 2);
      expect(JSON.parse(tried[sentBefore + 1]!.body)).toMatchObject({ to: '0955555555', message: expect.stringContaining('khong duoc thu ly') });
      const fh = await until('the notify-failed entry', () => history(failing.id), (entries) => entries.some((e) => e.kind === 'notify-failed'));
      expect(fh.find((e) => e.kind === 'notify-failed')).toMatchObject({ internal: true, text: expect.stringContaining('500') });
    } finally {
      gateway.status = 200;
    }
  });
});
