import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { DataSource } from 'typeorm';
import WebSocket from 'ws';
import { notificationListSchema, type ApprovalQueue, type NotificationList } from '@loa/shared/rest';
import { NotificationOutbox, RETRY_BASE_MS } from '../src/notifications/notification-outbox.js';
import { NotificationsRepository } from '../src/notifications/notifications.repository.js';
import { startTestServerOn, type TestServer } from './support/server.js';
import { until } from './support/until.js';

interface Mail {
  to: string[];
  raw: string;
}
interface Text {
  to: string;
  text: string;
  id: string;
  auth: string | undefined;
}

/**
 * Issue 19 item 7: approvals notify the people who must act. Province 01 → district 001 → communes 00004, 00006;
 * commune 00005 under the province. A district-wide schedule waits for an approver: the district's approver and the
 * admin are told (in the app, by e-mail through a real SMTP server, by SMS through a local HTTP gateway), the approvers
 * of a commune are not; a decision tells the submitter; a failing gateway is retried and never holds the approval.
 */
describe.each(['sqlite', 'postgres'])('approval notifications on %s', (db) => {
  let t: TestServer;
  let close: () => Promise<void>;
  let smtp: SMTPServer;
  let gateway: Server;
  const mails: Mail[] = [];
  const texts: Text[] = [];
  /** The next SMS request waits on this when set (a gateway that hangs, then fails). */
  let holdNext: { release: Promise<number>; arrived: () => void } | null = null;
  const tokens: Record<string, string> = {};
  const ids: Record<string, string> = {};
  const PW = 'password-123';
  const sockets: WebSocket[] = [];

  const call = async <T = Record<string, unknown>>(who: string, method: string, url: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await fetch(t.baseUrl + url, {
      method,
      headers: { authorization: `Bearer ${tokens[who] ?? ''}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
  const ok = async <T = Record<string, unknown>>(who: string, method: string, url: string, body?: unknown): Promise<T> => {
    const r = await call<T>(who, method, url, body);
    if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  const inbox = (who: string) => ok<NotificationList>(who, 'GET', '/api/v1/notifications');
  const future = (min = 120) => new Date(Date.now() + min * 60_000).toISOString();
  /** Live events a user's dashboard receives, in order. */
  const listen = async (who: string): Promise<Array<Record<string, unknown>>> => {
    const got: Array<Record<string, unknown>> = [];
    const ws = new WebSocket(`${t.baseUrl.replace('http', 'ws')}/api/v1/events`, ['loa.events', `bearer.${tokens[who]}`]);
    sockets.push(ws);
    ws.on('message', (m) => got.push(JSON.parse(String(m)) as Record<string, unknown>));
    await until(`${who}'s stream`, async () => got.length, (n) => n > 0, 10_000);
    return got;
  };

  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, session, cb) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          mails.push({ to: session.envelope.rcptTo.map((r) => r.address), raw: Buffer.concat(chunks).toString('utf8') });
          cb();
        });
      },
    });
    smtp.listen(0, '127.0.0.1');
    await once(smtp.server, 'listening');
    gateway = createServer((req: IncomingMessage, res: ServerResponse) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', async () => {
        const hold = holdNext;
        holdNext = null;
        if (hold) {
          hold.arrived();
          res.writeHead(await hold.release).end('gateway down');
          return;
        }
        texts.push({ ...(JSON.parse(body) as { to: string; text: string; id: string }), auth: req.headers.authorization });
        res.writeHead(200).end('ok');
      });
    });
    gateway.listen(0, '127.0.0.1');
    await once(gateway, 'listening');
    ({ t, close } = await startTestServerOn(db, {
      LOA_APPROVAL_RULES_DEFAULT: 'standard',
      LOA_SMTP_URL: `smtp://127.0.0.1:${(smtp.server.address() as AddressInfo).port}`,
      LOA_MAIL_FROM: 'Loa <loa@ubnd.test>',
      LOA_NOTIFY_SMS_URL: `http://127.0.0.1:${(gateway.address() as AddressInfo).port}/sms`,
      LOA_NOTIFY_SMS_TOKEN: 'sms-secret',
      LOA_PUBLIC_HTTP_URL: 'https://loa.ubnd.test',
    }));
    tokens.admin = t.token;
    await ok('admin', 'POST', '/api/v1/areas', { code: '01', name: 'Tỉnh', level: 'province' });
    await ok('admin', 'POST', '/api/v1/areas', { code: '001', name: 'Huyện', level: 'district', parentCode: '01' });
    await ok('admin', 'POST', '/api/v1/areas', { code: '00004', name: 'Xã A', level: 'commune', parentCode: '001' });
    await ok('admin', 'POST', '/api/v1/areas', { code: '00006', name: 'Xã C', level: 'commune', parentCode: '001' });
    await ok('admin', 'POST', '/api/v1/areas', { code: '00005', name: 'Xã B', level: 'commune', parentCode: '01' });
    for (const [id, area] of [['brd-a', '00004'], ['brd-c', '00006'], ['brd-b', '00005']] as const) {
      await ok('admin', 'POST', '/api/v1/devices', { id, name: id, kind: 'board', areaCode: area });
    }
    const users: Array<[string, string, string, string | null, string | null]> = [
      ['operator', 'operator', '01', 'operator@ubnd.test', '0912000001'],
      ['approver-d', 'approver', '001', 'huyen@ubnd.test', '0912000002'],
      ['approver-c', 'approver', '00006', 'xac@ubnd.test', '0912000003'],
      ['approver-b', 'approver', '00005', 'xab@ubnd.test', '0912000004'],
      ['operator-b', 'operator', '00005', null, null],
    ];
    const ds = t.server.app.get(DataSource);
    for (const [username, role, areaCode, email, phone] of users) {
      ids[username] = (await ok<{ id: string }>('admin', 'POST', '/api/v1/users', { username, password: PW, role, areaCode })).id;
      tokens[username] = (await ok<{ accessToken: string }>('nobody', 'POST', '/api/v1/auth/login', { username, password: PW })).accessToken;
      // Contacts as the accounts page stores them (phone: issue 19 item 10; e-mail: this feature's column).
      await ds.createQueryBuilder().update('users').set({ email, phone }).where('id = :id', { id: ids[username] }).execute();
    }
    ids.admin = (await ok<Array<{ id: string; username: string }>>('admin', 'GET', '/api/v1/users')).find((u) => u.username === 'admin')!.id;
    ids.content = (await ok<{ id: string }>('admin', 'POST', '/api/v1/contents', { type: 'text', title: 'Lịch tiêm phòng', text: 'Tiêm phòng dại cho chó mèo', approve: true })).id;
  }, 120_000);

  afterAll(async () => {
    for (const s of sockets) s.close();
    await close();
    await new Promise<void>((r) => smtp.close(() => r()));
    await new Promise<void>((r) => gateway.close(() => r()));
  });

  it('tells the approvers whose area covers a submitted schedule, and only them, in the app, by e-mail and by SMS', async () => {
    const approverLive = await listen('approver-d');
    const created = await ok<{ id: string; approval: string }>('operator', 'POST', '/api/v1/schedules', { contentId: ids.content, startAt: future(), targets: { areas: ['001'] } });
    expect(created.approval).toBe('pending');
    ids.schedule = created.id;

    const mine = await until('the district approver\'s notification', () => inbox('approver-d'), (l) => l.items.length > 0);
    expect(mine.unread).toBe(1);
    expect(mine.items[0]).toMatchObject({ kind: 'approval.submitted', subject: 'schedule', subjectId: created.id, title: 'Lịch tiêm phòng', detail: 'Tiêm phòng dại cho chó mèo', actor: ids.operator, readAt: null });
    // Stored in the same transaction as the district approver's: the admin (nationwide) has one, the communes' approvers
    // (targets outside their area) and the submitter have none.
    expect((await inbox('admin')).items.map((n) => n.subjectId)).toEqual([created.id]);
    expect((await inbox('approver-c')).items).toEqual([]);
    expect((await inbox('approver-b')).items).toEqual([]);
    expect((await inbox('operator')).items).toEqual([]);

    const mail = await until('the e-mail to the district approver', async () => mails.find((m) => m.to.includes('huyen@ubnd.test')), (m) => m !== undefined);
    const decoded = decodeMail(mail!.raw);
    expect(decoded).toContain('Lịch phát «Lịch tiêm phòng» cần phê duyệt');
    expect(decoded).toContain('Người gửi: operator');
    expect(decoded).toContain('https://loa.ubnd.test/#/approvals');
    expect(mail!.raw).toMatch(/^From: Loa <loa@ubnd\.test>/m);
    const sms = await until('the text to the district approver', async () => texts.find((x) => x.to === '0912000002'), (x) => x !== undefined);
    expect(sms!.text).toBe('Loa: Lich phat "Lich tiem phong" can phe duyet. https://loa.ubnd.test/#/approvals');
    expect(sms!.auth).toBe('Bearer sms-secret');
    // The commune approvers got no mail: the admin's (no address) and the district's are all there is for this schedule.
    expect(mails.filter((m) => m.to.some((a) => a.startsWith('xa'))).length).toBe(0);

    // Live: the approver's open dashboard got its notification and the queue's change, each once.
    await until('the live notification', async () => approverLive.filter((e) => e.type === 'notification.new'), (l) => l.length === 1);
    const live = approverLive.find((e) => e.type === 'notification.new')!;
    expect(live).toMatchObject({ forUser: ids['approver-d'], unread: 1, notification: { subjectId: created.id } });
    await until('the live queue change', async () => approverLive.filter((e) => e.type === 'approvals.changed'), (l) => l.length >= 1);
    expect(approverLive.find((e) => e.type === 'approvals.changed')).toMatchObject({ subject: 'schedule', subjectId: created.id, action: 'submitted', areaCode: '001' });
    expect((await ok<ApprovalQueue>('approver-d', 'GET', '/api/v1/approvals')).counts.schedules).toBe(1);
  });

  it('tells the submitter of a decision, retrying a failing SMS gateway without holding the approval', async () => {
    const operatorLive = await listen('operator');
    let arrived!: () => void;
    const atGateway = new Promise<void>((r) => (arrived = r));
    let release!: (status: number) => void;
    holdNext = { release: new Promise<number>((r) => (release = r)), arrived };

    // The gateway holds the text to the operator unanswered; the approval answers all the same.
    const approved = await call<{ approval: string }>('approver-d', 'POST', `/api/v1/schedules/${ids.schedule}/approve`);
    expect(approved.status).toBe(200);
    expect(approved.body.approval).toBe('approved');
    await atGateway;
    release(503);

    const n = await until('the operator\'s notification', () => inbox('operator'), (l) => l.items.length === 1);
    expect(n.items[0]).toMatchObject({ kind: 'approval.approved', subjectId: ids.schedule, actor: ids['approver-d'] });
    // Settled before the submitter was told: nobody's bell still counts a schedule that no longer waits.
    for (const who of ['approver-d', 'admin']) {
      const mine = await inbox(who);
      expect(mine.items.find((x) => x.subjectId === ids.schedule)!.readAt).not.toBeNull();
      expect(mine.unread).toBe(0);
    }
    const repo = t.server.app.get(NotificationsRepository);
    const outbox = t.server.app.get(NotificationOutbox);
    const failed = await until('the failed send recorded', async () => (await repo.outboxOf([n.items[0]!.id])).find((r) => r.channel === 'sms'), (r) => r?.attempts === 1);
    expect(failed!.lastError).toMatch(/503/);
    expect(failed!.sentAt).toBeNull();
    expect(failed!.nextAttemptAt).toBeGreaterThan(Date.now());
    // The e-mail went out on its own, the failing text aside.
    const mail = await until('the e-mail to the operator', async () => mails.find((m) => m.to.includes('operator@ubnd.test')), (m) => m !== undefined);
    expect(decodeMail(mail!.raw)).toContain('Lịch phát «Lịch tiêm phòng» đã được phê duyệt');
    expect(decodeMail(mail!.raw)).toContain('Người xử lý: approver-d');

    // The next pass after the wait sends it.
    await outbox.settled();
    const pass = await outbox.drain(Date.now() + RETRY_BASE_MS + 1000);
    expect(pass.sent).toBe(1);
    const sent = (await repo.outboxOf([n.items[0]!.id])).find((r) => r.channel === 'sms')!;
    expect(sent).toMatchObject({ attempts: 2, lastError: null, nextAttemptAt: null });
    expect(sent.sentAt).not.toBeNull();
    expect(texts.find((x) => x.to === '0912000001')!.text).toBe('Loa: Lich phat "Lich tiem phong" da duoc phe duyet. https://loa.ubnd.test/#/notifications');

    // The operator's dashboard got its own notification, and no one else's.
    await until('the operator\'s live notification', async () => operatorLive.filter((e) => e.type === 'notification.new'), (l) => l.length === 1);
    expect(operatorLive.filter((e) => e.type === 'notification.new').map((e) => e.forUser)).toEqual([ids.operator]);
    expect((await ok<ApprovalQueue>('approver-d', 'GET', '/api/v1/approvals')).counts.schedules).toBe(0);
  });

  it('tells the submitter of a rejection with its reason, and the approvers of a withdrawal in the app only', async () => {
    const rejected = await ok<{ id: string }>('operator', 'POST', '/api/v1/schedules', { contentId: ids.content, startAt: future(180), targets: { areas: ['001'] } });
    await until('the second submission', () => inbox('approver-d'), (l) => l.items.length === 2);
    await ok('approver-d', 'POST', `/api/v1/schedules/${rejected.id}/reject`, { reason: 'Trùng giờ họp' });
    const n = await until('the rejection notification', () => inbox('operator'), (l) => l.items.length === 2);
    expect(n.items[0]).toMatchObject({ kind: 'approval.rejected', subjectId: rejected.id, detail: 'Trùng giờ họp' });
    const mail = await until('the rejection e-mail', async () => mails.filter((m) => m.to.includes('operator@ubnd.test')), (m) => m.length === 2);
    expect(decodeMail(mail[1]!.raw)).toContain('Lý do: Trùng giờ họp');
    await until('the rejection text', async () => texts.filter((x) => x.to === '0912000001'), (l) => l.length === 2);
    expect(texts.filter((x) => x.to === '0912000001')[1]!.text).toContain('bi tu choi. Ly do: Trung gio hop');

    const withdrawn = await ok<{ id: string }>('operator', 'POST', '/api/v1/schedules', { contentId: ids.content, startAt: future(240), targets: { areas: ['001'] } });
    await until('the third submission', () => inbox('approver-d'), (l) => l.items.length === 3);
    await ok('operator', 'POST', `/api/v1/schedules/${withdrawn.id}/cancel`);
    const w = await until('the withdrawal notification', () => inbox('approver-d'), (l) => l.items.length === 4);
    expect(w.items[0]).toMatchObject({ kind: 'approval.withdrawn', subjectId: withdrawn.id, readAt: null });
    // What waited is settled (the rejected one, and the withdrawn one's submission): only the withdrawal is unread.
    expect(w.items.slice(1).map((x) => [x.kind, x.subjectId, x.readAt !== null])).toEqual([
      ['approval.submitted', withdrawn.id, true],
      ['approval.submitted', rejected.id, true],
      ['approval.submitted', ids.schedule, true],
    ]);
    expect(w.unread).toBe(1);
    const rows = await t.server.app.get(NotificationsRepository).outboxOf([w.items[0]!.id]);
    // In the app only: nothing queued for e-mail or SMS.
    expect(rows).toEqual([]);
  });

  it('tells the approvers of the submitter\'s area of a submitted content, with the text it says, and the submitter of the decision', async () => {
    const c = await ok<{ id: string; state: string }>('operator-b', 'POST', '/api/v1/contents', { type: 'text', title: 'Thu gom rác', text: 'Sáng Chủ nhật thu gom rác thải ven kênh.', submit: true });
    expect(c.state).toBe('submitted');
    const b = await until('the commune approver\'s notification', () => inbox('approver-b'), (l) => l.items.length === 1);
    expect(b.items[0]).toMatchObject({ kind: 'approval.submitted', subject: 'content', subjectId: c.id, title: 'Thu gom rác', detail: 'Sáng Chủ nhật thu gom rác thải ven kênh.', actor: ids['operator-b'] });
    // Same transaction: the admin has it too; the district's and the other commune's approvers (outside 00005) do not.
    expect((await inbox('admin')).items[0]).toMatchObject({ subjectId: c.id });
    expect((await inbox('approver-d')).items.map((n) => n.subjectId)).not.toContain(c.id);
    expect((await inbox('approver-c')).items).toEqual([]);
    const queue = await ok<ApprovalQueue>('approver-b', 'GET', '/api/v1/approvals');
    expect(queue.contents.map((x) => x.id)).toEqual([c.id]);

    await ok('approver-b', 'POST', `/api/v1/contents/${c.id}/reject`, { reason: 'Thiếu giờ cụ thể' });
    const told = await until('the submitter\'s notification', () => inbox('operator-b'), (l) => l.items.length === 1);
    expect(told.items[0]).toMatchObject({ kind: 'approval.rejected', subject: 'content', subjectId: c.id, detail: 'Thiếu giờ cụ thể', actor: ids['approver-b'] });
    expect(notificationListSchema.parse(told)).toEqual(told);
  });

  it('marks read the user\'s own notifications only, one or all, and counts the unread', async () => {
    const before = await inbox('operator');
    expect(before.unread).toBe(2);
    const first = before.items[0]!.id;
    // Someone else's id changes nothing of theirs (the district approver keeps its one unread withdrawal).
    expect(await ok('approver-d', 'POST', '/api/v1/notifications/read', { ids: [first] })).toEqual({ unread: 1 });
    expect((await inbox('operator')).unread).toBe(2);
    expect(await ok('operator', 'POST', '/api/v1/notifications/read', { ids: [first] })).toEqual({ unread: 1 });
    const after = await inbox('operator');
    expect(after.items.find((n) => n.id === first)!.readAt).not.toBeNull();
    expect((await ok<NotificationList>('operator', 'GET', '/api/v1/notifications?unreadOnly=true')).items.map((n) => n.id)).toEqual([after.items[1]!.id]);
    const bad = await call<{ code: string }>('operator', 'POST', '/api/v1/notifications/read', {});
    expect(bad.status).toBe(400);
    expect(await ok('operator', 'POST', '/api/v1/notifications/read', { all: true })).toEqual({ unread: 0 });
    expect(await ok('operator', 'GET', '/api/v1/notifications/unread')).toEqual({ unread: 0 });
  });

  it('tells whoever may confirm an alert waiting for a second person, by e-mail too, and its requester of the confirmation', async () => {
    const created = await call<{ id: string; status: string }>('operator', 'POST', '/api/v1/alerts', { areaCode: '00006', title: 'Lũ quét', text: 'Sơ tán ngay khỏi bờ suối' });
    expect(created.body.status).toBe('pending');
    const id = created.body.id;
    const c = await until('the commune approver\'s alert notification', () => inbox('approver-c'), (l) => l.items.length === 1);
    expect(c.items[0]).toMatchObject({ kind: 'approval.submitted', subject: 'alert', subjectId: id, title: 'Lũ quét', detail: 'Sơ tán ngay khỏi bờ suối', actor: ids.operator });
    // Same transaction: the district's approver (00006 lies inside 001) and the admin have it; 00005's people do not.
    expect((await inbox('approver-d')).items[0]).toMatchObject({ subjectId: id, readAt: null });
    expect((await inbox('admin')).items[0]).toMatchObject({ subjectId: id });
    expect((await inbox('approver-b')).items.map((n) => n.subjectId)).not.toContain(id);
    expect((await inbox('operator-b')).items.map((n) => n.subjectId)).not.toContain(id);
    const mail = await until('the alert e-mail', async () => mails.find((m) => m.to.includes('xac@ubnd.test')), (m) => m !== undefined);
    expect(decodeMail(mail!.raw)).toContain('Cảnh báo khẩn «Lũ quét» cần phê duyệt');
    expect((await ok<ApprovalQueue>('approver-c', 'GET', '/api/v1/approvals')).alerts.map((a) => a.id)).toEqual([id]);

    expect((await call('approver-c', 'POST', `/api/v1/alerts/${id}/confirm`)).status).toBe(200);
    const told = await until('the requester\'s notification', () => inbox('operator'), (l) => l.items.some((n) => n.subjectId === id));
    expect(told.items[0]).toMatchObject({ kind: 'approval.approved', subject: 'alert', subjectId: id, actor: ids['approver-c'] });
    expect((await inbox('approver-d')).items[0]).toMatchObject({ subjectId: id });
    expect((await inbox('approver-d')).items[0]!.readAt).not.toBeNull();
  });
});

/** A text/plain mail's body as text (nodemailer sends non-ASCII as quoted-printable or base64). */
function decodeMail(raw: string): string {
  const [head, ...rest] = raw.split(/\r?\n\r?\n/);
  const body = rest.join('\n\n');
  const subject = /^Subject: (.*(?:\r?\n[ \t].*)*)/m.exec(head ?? '')?.[1] ?? '';
  const words = subject.replace(/\r?\n[ \t]/g, ' ').replace(/=\?utf-8\?([bq])\?([^?]*)\?=\s*/gi, (_m, enc: string, data: string) =>
    enc.toLowerCase() === 'b' ? Buffer.from(data, 'base64').toString('utf8') : qp(data.replace(/_/g, ' ')),
  );
  const te = /^Content-Transfer-Encoding: (.*)$/im.exec(head ?? '')?.[1]?.trim().toLowerCase();
  const text = te === 'base64' ? Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8') : te === 'quoted-printable' ? qp(body.replace(/=\r?\n/g, '')) : body;
  return `${words}\n${text}`;
}

function qp(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '=' && /^[0-9A-F]{2}$/i.test(s.slice(i + 1, i + 3))) {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else bytes.push(...Buffer.from(s[i]!, 'utf8'));
  }
  return Buffer.from(bytes).toString('utf8');
}
