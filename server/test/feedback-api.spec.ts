import { jest } from '@jest/globals';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { createHash } from 'node:crypto';
import { readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { DataSource } from 'typeorm';
import { FEEDBACK_CODE_PATTERN, formatError, feedbackDetailViewSchema, feedbackListViewSchema, feedbackSummarySchema, type FeedbackDetailView, type FeedbackListView } from '@loa/shared/rest';
import { AuditEntryEntity } from '../src/audit/audit-entry.entity.js';
import { Clock } from '../src/common/clock.js';
import { errorCodeOf } from '../src/common/loa-error.js';
import type { DomainEventMap } from '../src/domain-events/domain-events.js';
import { FeedbackFiles } from '../src/feedback/feedback-files.js';
import { FeedbackHasher } from '../src/feedback/feedback-hash.js';
import { FeedbackSettingsService } from '../src/feedback/feedback-settings.service.js';
import { FeedbackEventEntity, FeedbackItemEntity } from '../src/feedback/feedback.entities.js';
import { FeedbackRepository } from '../src/feedback/feedback.repository.js';
import { FeedbackService } from '../src/feedback/feedback.service.js';
import { DATABASES } from './support/databases.js';
import { ADMIN_PASSWORD, startTestServerOn, type TestServer } from './support/server.js';

type Json = Record<string, unknown>;
/** A coded refusal (issue 19): its code, parameters and English message. */
type Refusal = { statusCode: number; code: string; params: Record<string, string | number>; message: string };
type Changed = DomainEventMap['feedback.changed'];

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const PASSWORD = 'pass-word-123';
/** A tiny PNG: the core stores what the intake has already decoded, so only the bytes matter here. */
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

/**
 * Issue 17: the officers' feedback API on a real server (SQLite and PostgreSQL), with the server's clock held by the
 * test. Province 01 → district 001 → communes 00004 (A) and 00005 (B); communes 00009 and 00010 under another province 02.
 * Officers of A and B, an operator of the district, the nationwide admin.
 */
describe.each(DATABASES.map(([name]) => name))('feedback API (%s)', (db) => {
  let t: TestServer;
  let close: () => Promise<void>;
  let service: FeedbackService;
  let settings: FeedbackSettingsService;
  let now = 0;
  const tokens: Record<string, string> = {};
  const users: Record<string, string> = {};
  const changed: Changed[] = [];
  let serial = 0;

  const login = async (username: string, password = PASSWORD): Promise<string> => {
    const r = await fetch(`${t.baseUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password }) });
    if (r.status !== 200 && r.status !== 201) throw new Error(`login ${username}: ${r.status}`);
    return ((await r.json()) as { accessToken: string }).accessToken;
  };
  const relogin = async (): Promise<void> => {
    for (const name of Object.keys(tokens)) tokens[name] = await login(name, name === 'admin' ? ADMIN_PASSWORD : PASSWORD);
  };
  /** Moves the server's clock (and signs everyone in again: sessions expire on that clock too). */
  const advance = async (ms: number): Promise<void> => {
    now += ms;
    await relogin();
  };
  const call = async <T = Json>(who: string, method: string, url: string, body?: unknown): Promise<{ status: number; body: T; headers: Headers; raw: Buffer }> => {
    const r = await fetch(t.baseUrl + url, {
      method,
      headers: { authorization: `Bearer ${tokens[who] ?? ''}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const raw = Buffer.from(await r.arrayBuffer());
    const json = (r.headers.get('content-type') ?? '').includes('json') && raw.length > 0 ? (JSON.parse(raw.toString('utf8')) as T) : (undefined as T);
    return { status: r.status, body: json, headers: r.headers, raw };
  };
  const ok = async <T = Json>(who: string, method: string, url: string, body?: unknown): Promise<T> => {
    const r = await call<T>(who, method, url, body);
    if (r.status >= 300) throw new Error(`${who} ${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  /** A new item's request: each call a distinct text and phone unless told otherwise. */
  const submission = (over: Json = {}): Json => {
    serial++;
    return {
      areaCode: '00004',
      village: 'Thôn Đông',
      name: 'Nguyễn Văn An',
      phone: `0912 000 ${String(serial).padStart(3, '0')}`,
      title: `Cống thoát nước số ${serial} bị tắc`,
      content: `Cống thoát nước số ${serial} ở đầu thôn bị tắc, nước tràn ra đường mỗi khi mưa.`,
      category: 'giao-thong',
      consent: true,
      ...over,
    };
  };
  const create = async (who = 'officer-a', over: Json = {}): Promise<FeedbackDetailView> => {
    const r = await call<FeedbackDetailView>(who, 'POST', '/api/v1/feedback', submission(over));
    if (r.status !== 201) throw new Error(`create: ${r.status} ${JSON.stringify(r.body)}`);
    // Exactly the shared view (zod drops keys it does not name).
    expect(feedbackDetailViewSchema.parse(r.body)).toEqual(r.body);
    return r.body;
  };
  const act = (who: string, id: string, action: string, body: Json = {}) => call<FeedbackDetailView & Partial<Refusal>>(who, 'POST', `/api/v1/feedback/${id}/${action}`, body);
  const done = async (who: string, id: string, action: string, body: Json = {}): Promise<FeedbackDetailView> => {
    const r = await act(who, id, action, body);
    if (r.status !== 200) throw new Error(`${action}: ${r.status} ${JSON.stringify(r.body)}`);
    expect(feedbackDetailViewSchema.parse(r.body)).toEqual(r.body);
    return r.body;
  };
  const row = (id: string): Promise<FeedbackItemEntity> => t.server.app.get(DataSource).getRepository(FeedbackItemEntity).findOneByOrFail({ id });

  beforeAll(async () => {
    ({ t, close } = await startTestServerOn(db));
    now = Math.floor(Date.now() / 1000) * 1000;
    jest.spyOn(t.server.app.get(Clock), 'now').mockImplementation(() => now);
    service = t.server.app.get(FeedbackService);
    settings = t.server.app.get(FeedbackSettingsService);
    t.server.app.get(EventEmitter2).on('feedback.changed', (p: Changed) => changed.push(p));
    tokens.admin = await login('admin', ADMIN_PASSWORD);
    await ok('admin', 'POST', '/api/v1/areas', { code: '01', name: 'Tỉnh Thử', level: 'province' });
    await ok('admin', 'POST', '/api/v1/areas', { code: '001', name: 'Huyện Thử', level: 'district', parentCode: '01' });
    await ok('admin', 'POST', '/api/v1/areas', { code: '00004', name: 'Xã A', level: 'commune', parentCode: '001' });
    await ok('admin', 'POST', '/api/v1/areas', { code: '00005', name: 'Xã B', level: 'commune', parentCode: '001' });
    await ok('admin', 'POST', '/api/v1/areas', { code: '02', name: 'Tỉnh Khác', level: 'province' });
    await ok('admin', 'POST', '/api/v1/areas', { code: '00009', name: 'Xã C', level: 'commune', parentCode: '02' });
    await ok('admin', 'POST', '/api/v1/areas', { code: '00010', name: 'Xã D', level: 'commune', parentCode: '02' });
    for (const [name, role, areaCode] of [
      ['officer-a', 'commune_officer', '00004'],
      ['officer-b', 'commune_officer', '00005'],
      ['op-d', 'operator', '001'],
      ['officer-c', 'commune_officer', '00009'],
    ] as const) {
      users[name] = String((await ok('admin', 'POST', '/api/v1/users', { username: name, password: PASSWORD, role, areaCode })).id);
      tokens[name] = await login(name);
    }
  }, 120_000);

  afterAll(async () => {
    await close();
  });

  it('takes an item through its whole life, with history, deadlines, acknowledgement and events', async () => {
    const before = changed.length;
    const created = await create();
    expect(created.code).toMatch(FEEDBACK_CODE_PATTERN);
    expect(created).toMatchObject({ state: 'received', areaName: 'Xã A', categoryLabel: 'Giao thông, hạ tầng', channel: 'office', priority: 'normal', acknowledgedAt: null, overdue: null, version: 0 });
    expect(created.resident).toEqual({ name: 'Nguyễn Văn An', phone: expect.stringMatching(/^0912000\d{3}$/), email: null });
    const s = await settings.get();
    const due = settings.deadlines('normal', now, s);
    expect(Date.parse(created.ackDueAt)).toBe(due.ackDueAt);
    expect(Date.parse(created.answerDueAt)).toBe(due.answerDueAt);

    await advance(10 * 60_000);
    const assigned = await done('officer-a', created.id, 'assign', { userId: users['officer-a'], note: 'Anh An xử lý', version: 0 });
    expect(assigned).toMatchObject({ state: 'assigned', assignee: { userId: users['officer-a'], username: 'officer-a' }, acknowledgedAt: new Date(now).toISOString(), version: 1 });
    const started = await done('officer-a', created.id, 'start', {});
    expect(started.state).toBe('in-progress');
    await done('officer-a', created.id, 'notes', { text: 'Đã gọi điện cho người dân.' });
    await advance(HOUR);
    const answered = await done('officer-a', created.id, 'answer', { answer: 'Xã đã cho nạo vét cống.', publicInterest: true });
    expect(answered).toMatchObject({ state: 'answered', answer: 'Xã đã cho nạo vét cống.', publicInterest: true, answeredAt: new Date(now).toISOString() });
    const firstAnswer = now;
    expect((await row(created.id)).answerWorkingMs).toBe(settings.workingMsBetween(Date.parse(created.createdAt), firstAnswer, s));
    const closed = await done('officer-a', created.id, 'close', {});
    expect(closed).toMatchObject({ state: 'closed', closedAt: new Date(now).toISOString() });
    await advance(HOUR);
    const reopened = await done('officer-a', created.id, 'reopen', { note: 'Người dân báo cống lại tắc.' });
    expect(reopened).toMatchObject({ state: 'reopened', reopenCount: 1, closedAt: null });
    await done('officer-a', created.id, 'start', {});
    const again = await done('officer-a', created.id, 'answer', { answer: 'Đã thay nắp cống mới.' });
    expect(again.state).toBe('answered');
    const r = await row(created.id);
    // The first answer's time and working time stay: statistics count whether it was answered on time.
    expect(r.firstAnsweredAt).toBe(firstAnswer);
    expect(r.answeredAt).toBe(now);

    const detail = feedbackDetailViewSchema.parse(await ok('officer-a', 'GET', `/api/v1/feedback/${created.id}`));
    expect(detail.history.map((h) => h.kind)).toEqual(['received', 'assigned', 'started', 'note', 'answered', 'closed', 'reopened', 'started', 'answered']);
    expect(detail.history.map((h) => [h.fromState, h.toState])).toEqual([
      [null, 'received'], ['received', 'assigned'], ['assigned', 'in-progress'], ['in-progress', 'in-progress'], ['in-progress', 'answered'],
      ['answered', 'closed'], ['closed', 'reopened'], ['reopened', 'in-progress'], ['in-progress', 'answered'],
    ]);
    expect(detail.history.find((h) => h.kind === 'note')).toMatchObject({ actor: 'officer-a', actorKind: 'user', internal: true, text: 'Đã gọi điện cho người dân.' });
    expect(detail.history.find((h) => h.kind === 'answered')).toMatchObject({ internal: false, text: 'Xã đã cho nạo vét cống.' });
    expect(detail.version).toBe(8);
    // One event per committed step, after the commit.
    expect(changed.slice(before).filter((c) => c.itemId === created.id).map((c) => c.kind)).toEqual(detail.history.map((h) => h.kind));
  });

  it('refuses every illegal transition with 409 feedback.bad-transition naming the action and the state', async () => {
    const item = await create();
    for (const action of ['close', 'reopen']) {
      const r = await act('officer-a', item.id, action, {});
      expect(r.status).toBe(409);
      expect(r.body).toMatchObject({ code: 'feedback.bad-transition', params: { id: item.id, feedbackAction: action, feedbackState: 'received', stateCode: 'received' } });
    }
    // The officer reads it in their language: English next to the code, Vietnamese from the same code and parameters.
    const first = (await act('officer-a', item.id, 'close', {})).body;
    expect(first.message).toBe('Cannot close a feedback item in state "Received" (received).');
    expect(formatError(first.code!, first.params, 'vi')).toBe('Không thể đóng ý kiến đang ở trạng thái "Đã tiếp nhận" (received).');
    await done('officer-a', item.id, 'answer', { answer: 'Đã xử lý.' });
    for (const [action, body] of [
      ['start', {}],
      ['answer', { answer: 'x' }],
      ['reject', { reason: 'x' }],
      ['assign', { userId: users['officer-a'] }],
      ['transfer', { department: null, reason: 'x' }],
      ['priority', { priority: 'urgent', reason: 'x' }],
    ] as const) {
      const r = await act('officer-a', item.id, action, body);
      expect([action, r.status]).toEqual([action, 409]);
      expect(r.body).toMatchObject({ code: 'feedback.bad-transition', params: { feedbackAction: action, stateCode: 'answered' } });
    }
    await done('officer-a', item.id, 'close', {});
    for (const [action, body] of [['close', {}], ['start', {}], ['reject', { reason: 'x' }]] as const) {
      const r = await act('officer-a', item.id, action, body);
      expect([action, r.status, r.body.code, r.body.params?.stateCode]).toEqual([action, 409, 'feedback.bad-transition', 'closed']);
    }
    const rejected = await create();
    await done('officer-a', rejected.id, 'reject', { reason: 'Không thuộc thẩm quyền của xã.' });
    for (const action of ['start', 'close', 'reopen']) expect((await act('officer-a', rejected.id, action, {})).status).toBe(409);
    // Notes are allowed whatever the state.
    expect((await act('officer-a', rejected.id, 'notes', { text: 'Đã hướng dẫn người dân gửi lên huyện.' })).status).toBe(200);
  });

  it('answers 409 to a stale version and changes nothing', async () => {
    const item = await create();
    await done('officer-a', item.id, 'start', { version: 0 });
    const r = await act('officer-a', item.id, 'answer', { answer: 'Trả lời muộn', version: 0 });
    expect(r.status).toBe(409);
    expect(r.body).toMatchObject({ code: 'feedback.stale', params: { id: item.id } });
    expect(formatError(r.body.code!, r.body.params, 'vi')).toBe('Ý kiến đã được người khác cập nhật trong lúc bạn xem. Hãy tải lại rồi thử lại.');
    const now1 = await row(item.id);
    expect(now1.state).toBe('in-progress');
    expect(now1.version).toBe(1);
  });

  it('keeps a commune officer to its commune: 404 to read, 403 to act elsewhere', async () => {
    const item = await create('officer-a');
    expect((await call('officer-b', 'GET', `/api/v1/feedback/${item.id}`)).status).toBe(404);
    for (const [action, body] of [['start', {}], ['notes', { text: 'x' }], ['answer', { answer: 'x' }], ['assign', { userId: users['officer-b'] }]] as const) {
      expect([action, (await act('officer-b', item.id, action, body)).status]).toEqual([action, 403]);
    }
    expect((await act('officer-b', item.id, 'start', {})).body).toMatchObject({ code: 'feedback.outside-scope', params: { id: item.id } });
    const list = feedbackListViewSchema.parse(await ok('officer-b', 'GET', '/api/v1/feedback?limit=200'));
    expect(list.items.some((i) => i.id === item.id)).toBe(false);
    expect(list.items.every((i) => i.areaCode === '00005')).toBe(true);
    // Its own commune's list does have it; another commune may not even be filtered on.
    expect(feedbackListViewSchema.parse(await ok('officer-a', 'GET', '/api/v1/feedback?limit=200')).items.some((i) => i.id === item.id)).toBe(true);
    expect((await call('officer-b', 'GET', '/api/v1/feedback?areaCode=00004')).status).toBe(404);
    // Creating for another commune, or transferring there, is refused.
    expect((await call('officer-b', 'POST', '/api/v1/feedback', submission())).status).toBe(403);
    const transfer = await act('officer-a', item.id, 'transfer', { areaCode: '00005', reason: 'Thuộc xã B' });
    expect([transfer.status, transfer.body.code, transfer.body.params?.id]).toEqual([403, 'feedback.transfer-outside', '00005']);
    // The assignee must be someone whose area holds the commune.
    const assign = await act('officer-a', item.id, 'assign', { userId: users['officer-b'] });
    expect([assign.status, assign.body.code, assign.body.params?.username]).toEqual([400, 'feedback.assignee-outside', 'officer-b']);
    expect((await call('officer-b', 'GET', '/api/v1/feedback/assignees?areaCode=00004')).status).toBe(404);
    const assignees = await ok<Array<{ username: string }>>('officer-a', 'GET', '/api/v1/feedback/assignees?areaCode=00004');
    expect(assignees.map((a) => a.username).sort()).toEqual(['admin', 'officer-a', 'op-d']);
  });

  it('lets a district operator see every commune below, reassign across them and transfer, keeping the deadlines', async () => {
    const item = await create('officer-a', { priority: 'complex' });
    const ofB = await create('officer-b', { areaCode: '00005' });
    const elsewhere = await create('admin', { areaCode: '00010' });
    await done('op-d', item.id, 'assign', { userId: users['officer-a'] });
    const list = feedbackListViewSchema.parse(await ok('op-d', 'GET', '/api/v1/feedback?limit=200'));
    expect(list.items.map((i) => i.id)).toEqual(expect.arrayContaining([item.id, ofB.id]));
    expect(list.items.some((i) => i.id === elsewhere.id)).toBe(false);
    expect(feedbackListViewSchema.parse(await ok('op-d', 'GET', '/api/v1/feedback?areaCode=00005&limit=200')).items.every((i) => i.areaCode === '00005')).toBe(true);

    await advance(2 * HOUR);
    const moved = await done('op-d', item.id, 'transfer', { areaCode: '00005', reason: 'Cống nằm trên địa bàn xã B' });
    expect(moved).toMatchObject({ areaCode: '00005', areaName: 'Xã B', assignee: null, state: 'assigned', ackDueAt: item.ackDueAt, answerDueAt: item.answerDueAt });
    expect(moved.history.at(-1)).toMatchObject({ kind: 'transferred', text: 'Xã A → Xã B. Lý do: Cống nằm trên địa bàn xã B', internal: true });
    expect(changed.filter((c) => c.itemId === item.id).at(-1)).toMatchObject({ kind: 'transferred', areaCode: '00005' });
    const reassigned = await done('op-d', item.id, 'assign', { userId: users['officer-b'] });
    expect(reassigned.assignee?.username).toBe('officer-b');
    // Now it is commune B's: A's officer no longer sees it, B's handles it.
    expect((await call('officer-a', 'GET', `/api/v1/feedback/${item.id}`)).status).toBe(404);
    expect((await done('officer-b', item.id, 'start', {})).state).toBe('in-progress');
    // Outside the district: refused.
    expect((await act('op-d', item.id, 'transfer', { areaCode: '00009', reason: 'x' })).status).toBe(403);
    // A department must be one of the settings' (none by default).
    expect((await act('op-d', item.id, 'transfer', { department: 'tai-nguyen', reason: 'x' })).status).toBe(400);
  });

  it('recomputes the deadlines from the receipt when the priority changes', async () => {
    const item = await create();
    await advance(30 * 60_000);
    const urgent = await done('officer-a', item.id, 'priority', { priority: 'urgent', reason: 'Nước tràn vào nhà dân' });
    const due = settings.deadlines('urgent', Date.parse(item.createdAt), await settings.get());
    expect(urgent).toMatchObject({ priority: 'urgent', ackDueAt: new Date(due.ackDueAt).toISOString(), answerDueAt: new Date(due.answerDueAt).toISOString() });
    expect(urgent.history.at(-1)).toMatchObject({ kind: 'priority-changed', text: 'Thông thường → Khẩn cấp. Lý do: Nước tràn vào nhà dân' });
  });

  it('lists similar items, merges a duplicate, and shows its resident the target’s answer', async () => {
    const first = await create('officer-a', { title: 'Đèn đường thôn Bắc bị hỏng', content: 'Đèn đường đầu thôn Bắc hỏng đã một tuần, buổi tối rất tối.' });
    const dup = await create('officer-a', { title: 'den duong thon Bac bi hong', content: 'Đèn đường thôn Bắc hỏng một tuần nay rồi.' });
    const other = await create('officer-a', { title: 'Rác thải ở chợ', content: 'Rác thải tồn đọng ở chợ xã chưa được thu gom.' });
    const dupDetail = feedbackDetailViewSchema.parse(await ok('officer-a', 'GET', `/api/v1/feedback/${dup.id}`));
    expect(dupDetail.similar.map((s) => s.id)).toContain(first.id);
    expect(dupDetail.similar.map((s) => s.id)).not.toContain(other.id);

    expect((await act('officer-a', dup.id, 'merge', { intoId: dup.id })).status).toBe(409);
    const merged = await done('officer-a', dup.id, 'merge', { intoId: first.id });
    expect(merged).toMatchObject({ state: 'merged', mergedInto: { id: first.id, code: first.code }, acknowledgedAt: expect.any(String) });
    const target = feedbackDetailViewSchema.parse(await ok('officer-a', 'GET', `/api/v1/feedback/${first.id}`));
    expect(target.merged).toEqual([{ id: dup.id, code: dup.code }]);
    expect(target.version).toBe(1);
    // Not into a merged item, and a merged item merges no further.
    expect((await act('officer-a', other.id, 'merge', { intoId: dup.id })).status).toBe(409);
    expect((await act('officer-a', dup.id, 'merge', { intoId: other.id })).status).toBe(409);
    // Merged items leave the default list.
    expect(feedbackListViewSchema.parse(await ok('officer-a', 'GET', '/api/v1/feedback?limit=200')).items.some((i) => i.id === dup.id)).toBe(false);

    await done('officer-a', first.id, 'answer', { answer: 'Điện lực đã thay bóng đèn.' });
    const shown = await service.shownAnswer(await row(dup.id));
    expect(shown).toMatchObject({ answer: 'Điện lực đã thay bóng đèn.', itemId: first.id, state: 'answered' });
  });

  it('answers a repeated submission with the first item and stores nothing new', async () => {
    const body = submission();
    const a = await call<FeedbackDetailView>('officer-a', 'POST', '/api/v1/feedback', body);
    const b = await call<FeedbackDetailView>('officer-a', 'POST', '/api/v1/feedback', { ...body, phone: String(body.phone).replace(/\s/g, ''), content: `  ${String(body.content)}  ` });
    expect(a.status).toBe(201);
    expect(b.body.code).toBe(a.body.code);
    expect(await t.server.app.get(DataSource).getRepository(FeedbackItemEntity).countBy({ title: String(body.title) })).toBe(1);
    // Two copies racing (a double tap) are one item as well.
    const twice = submission();
    const [x, y] = await Promise.all([call<FeedbackDetailView>('officer-a', 'POST', '/api/v1/feedback', twice), call<FeedbackDetailView>('officer-a', 'POST', '/api/v1/feedback', twice)]);
    expect([x.status, y.status].sort()).toEqual([201, 201]);
    expect(x.body.id).toBe(y.body.id);
    expect(await t.server.app.get(DataSource).getRepository(FeedbackItemEntity).countBy({ title: String(twice.title) })).toBe(1);
    // The same external id (an SMS delivered twice) is one item too.
    const sms = { areaCode: '00004', name: 'Trần Thị Bình', phone: '0987000111', title: 'Tin nhắn', content: 'Đường ngập', category: 'khac', channel: 'sms' as const, externalId: `sms-${db}-1` };
    const one = await service.receive(sms);
    const two = await service.receive({ ...sms, content: 'Đường ngập nặng' });
    expect(one.duplicate).toBe(false);
    expect(two).toMatchObject({ duplicate: true, item: { id: one.item.id } });
  });

  it('hashes phones with one secret per database, agreed by instances starting together', async () => {
    const repo = t.server.app.get(FeedbackRepository);
    const clock = t.server.app.get(Clock);
    const [a, b] = [new FeedbackHasher(repo, clock), new FeedbackHasher(repo, clock)];
    const [ha, hb] = await Promise.all([a.phoneHash('0912345678'), b.phoneHash('0912345678')]);
    expect(ha).toBe(hb);
    expect(ha).toBe(await t.server.app.get(FeedbackHasher).phoneHash('0912345678'));
    expect(ha).toMatch(/^[0-9a-f]{64}$/);
    expect(ha).not.toBe(createHash('sha256').update('0912345678').digest('hex'));
    expect(await a.phoneHash('0912345679')).not.toBe(ha);
    expect(await a.addressHash('::ffff:10.0.0.1')).toBe(await b.addressHash('10.0.0.1'));
    expect(a.contentHash('Tiêu đề', 'Nội   dung')).toBe(b.contentHash(' tiêu đề ', 'nội dung'));
  });

  it('refuses an unknown commune, a non-commune area and an unknown category with 400', async () => {
    const unknown = await call<Refusal>('admin', 'POST', '/api/v1/feedback', submission({ areaCode: '99999' }));
    expect([unknown.status, unknown.body.code, unknown.body.params]).toEqual([400, 'feedback.commune-unknown', { id: '99999' }]);
    expect(formatError(unknown.body.code, unknown.body.params, 'vi')).toBe('Không tìm thấy xã/phường đã chọn. (mã 99999)');
    const district = await call<Refusal>('admin', 'POST', '/api/v1/feedback', submission({ areaCode: '001' }));
    expect([district.status, district.body.code, district.body.params.id]).toEqual([400, 'feedback.not-commune', '001']);
    expect(district.body.message).toContain('is not a commune');
    const category = await call<Refusal>('admin', 'POST', '/api/v1/feedback', submission({ category: 'khong-co' }));
    expect([category.status, category.body.code, category.body.params.category]).toEqual([400, 'feedback.category-unknown', 'khong-co']);
    const consent = await call<Refusal>('admin', 'POST', '/api/v1/feedback', submission({ consent: false }));
    expect([consent.status, consent.body.code]).toEqual([400, 'feedback.consent-required']);
  });

  it('marks overdue items once per deadline, puts them first and counts them', async () => {
    // Commune 00009 holds only this test's items, so the list order is this test's.
    const late = await create('officer-c', { areaCode: '00009', priority: 'urgent' });
    const fresh = await create('officer-c', { areaCode: '00009', priority: 'normal' });
    const ackDue = Date.parse(late.ackDueAt);
    const answerDue = Date.parse(late.answerDueAt);
    expect(ackDue).toBeLessThan(Date.parse(fresh.ackDueAt));

    await advance(ackDue + 60_000 - now);
    expect(await service.sweepOverdue(now)).toBeGreaterThanOrEqual(1);
    expect((await row(late.id)).overdue).toBe('ack');
    expect(await service.sweepOverdue(now)).toBe(0);
    const overdueEvents = () => t.server.app.get(DataSource).getRepository(FeedbackEventEntity).findBy({ itemId: late.id, kind: 'overdue' });
    expect(await overdueEvents()).toHaveLength(1);
    expect(changed.filter((c) => c.itemId === late.id && c.kind === 'overdue')).toHaveLength(1);

    const list = feedbackListViewSchema.parse(await ok('officer-c', 'GET', '/api/v1/feedback'));
    expect(list.items.map((i) => i.id)).toEqual([late.id, fresh.id]);
    expect([list.total, list.overdue]).toEqual([2, 1]);
    expect(feedbackSummarySchema.parse(await ok('officer-c', 'GET', '/api/v1/feedback/summary'))).toEqual({ open: 2, overdue: 1, unassigned: 2, mine: 0 });
    expect(feedbackListViewSchema.parse(await ok('officer-c', 'GET', '/api/v1/feedback?overdue=true')).items.map((i) => i.id)).toEqual([late.id]);

    // Acknowledging does not undo a missed acknowledgement in the statistics; the answer deadline is marked once too.
    await done('officer-c', late.id, 'start', {});
    expect(await row(late.id)).toMatchObject({ overdue: null, wasOverdue: true });
    await advance(answerDue + 60_000 - now);
    await service.sweepOverdue(now);
    await service.sweepOverdue(now);
    expect((await row(late.id)).overdue).toBe('answer');
    expect((await overdueEvents()).map((e) => e.text).sort()).toEqual(['Quá hạn tiếp nhận (chưa xác nhận trong thời hạn).', 'Quá hạn trả lời.']);
    const answered = await done('officer-c', late.id, 'answer', { answer: 'Đã xử lý.' });
    expect(answered.overdue).toBeNull();
    expect((await row(late.id)).wasOverdue).toBe(true);
  });

  it('lets the resident rate: satisfied closes, not satisfied reopens; closes unrated answers by itself', async () => {
    const happy = await create();
    await done('officer-a', happy.id, 'answer', { answer: 'Đã sửa.' });
    expect(await service.rateByResident(happy.id, true, 'Cảm ơn')).toMatchObject({ state: 'closed', satisfied: true });
    const unhappy = await create();
    await done('officer-a', unhappy.id, 'answer', { answer: 'Đã sửa.' });
    expect(await service.rateByResident(unhappy.id, false, 'Chưa sửa xong')).toMatchObject({ state: 'reopened', satisfied: false, reopenCount: 1 });
    const notOpen = await service.rateByResident(unhappy.id, true, undefined).catch((e: unknown) => e);
    expect(errorCodeOf(notOpen)).toEqual({ code: 'feedback.rating-not-open', params: { id: unhappy.id } });
    const kinds = feedbackDetailViewSchema.parse(await ok('officer-a', 'GET', `/api/v1/feedback/${unhappy.id}`)).history.map((h) => [h.kind, h.actorKind]);
    expect(kinds.slice(-2)).toEqual([['rated', 'resident'], ['reopened', 'resident']]);

    const silent = await create();
    const answered = await done('officer-a', silent.id, 'answer', { answer: 'Đã sửa.' });
    const days = (await settings.get()).autoCloseDays;
    // Items of earlier tests answered before may close here; this one is not due yet.
    await service.autoCloseAnswered(Date.parse(answered.answeredAt!) + days * DAY - 1000);
    expect((await row(silent.id)).state).toBe('answered');
    expect(await service.autoCloseAnswered(Date.parse(answered.answeredAt!) + days * DAY + 1000)).toBeGreaterThanOrEqual(1);
    const closed = await row(silent.id);
    expect(closed.state).toBe('closed');
    const last = feedbackDetailViewSchema.parse(await ok('officer-a', 'GET', `/api/v1/feedback/${silent.id}`)).history.at(-1);
    expect(last).toMatchObject({ kind: 'closed', actorKind: 'system', fromState: 'answered', toState: 'closed' });
  });

  it('erases the resident’s data after the retention period and keeps what the statistics count', async () => {
    const item = await create();
    await done('officer-a', item.id, 'answer', { answer: 'Đã xử lý.' });
    await done('officer-a', item.id, 'close', {});
    const kept = await row(item.id);
    const retention = (await settings.get()).retentionDays;
    await service.erasePersonalData(kept.updatedAt + retention * DAY - 1000);
    expect((await row(item.id)).residentPhone).not.toBeNull();
    expect(await service.erasePersonalData(kept.updatedAt + retention * DAY + 1000)).toBeGreaterThanOrEqual(1);
    const erased = await row(item.id);
    expect(erased).toMatchObject({ residentName: null, residentPhone: null, residentEmail: null, personalDataErasedAt: kept.updatedAt + retention * DAY + 1000 });
    for (const k of ['phoneHash', 'contentHash', 'createdAt', 'answeredAt', 'firstAnsweredAt', 'answerWorkingMs', 'wasOverdue', 'state', 'category', 'areaCode', 'priority'] as const) expect([k, erased[k]]).toEqual([k, kept[k]]);
    const view = feedbackDetailViewSchema.parse(await ok('officer-a', 'GET', `/api/v1/feedback/${item.id}`));
    expect(view.resident).toBeNull();
    expect(view.history.at(-1)?.kind).toBe('personal-data-erased');
    // The erased name is gone from the search text too; the title still finds it.
    expect(erased.searchText).not.toContain('nguyen');
    expect(erased.searchText).toContain(kept.searchText.split('\n')[0]);
    // An open item is never erased, however old.
    const open = await create();
    await service.erasePersonalData(now + 10 * retention * DAY);
    expect((await row(open.id)).residentName).toBe('Nguyễn Văn An');
  });

  it('serves an attachment to readers in scope only, as the type it was decoded as', async () => {
    const { item } = await service.receive({ areaCode: '00004', name: 'Lê Văn C', phone: '0903000222', title: `Ảnh ổ gà ${db}`, content: 'Ổ gà lớn giữa đường', category: 'giao-thong', channel: 'web', attachments: [{ mime: 'image/png', bytes: PNG, width: 1, height: 1, sha256: 'x'.repeat(64) }] });
    const detail = feedbackDetailViewSchema.parse(await ok('officer-a', 'GET', `/api/v1/feedback/${item.id}`));
    expect(detail.attachments).toHaveLength(1);
    const url = detail.attachments[0]!.url;
    const r = await call('officer-a', 'GET', url);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('image/png');
    expect(r.headers.get('content-disposition')).toBe('inline');
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.raw.equals(PNG)).toBe(true);
    expect((await call('officer-b', 'GET', url)).status).toBe(404);
    expect((await call('officer-a', 'GET', `/api/v1/feedback/${item.id}/attachments/00000000-0000-0000-0000-000000000000`)).status).toBe(404);
    // A file lost from the disk is a clear 404, not a cut answer.
    await t.server.app.get(FeedbackFiles).remove(`${item.id}/${detail.attachments[0]!.id}`);
    const lost = await call<Refusal>('officer-a', 'GET', url);
    expect([lost.status, lost.body.code]).toEqual([404, 'feedback.attachment-gone']);
    expect(formatError(lost.body.code, lost.body.params, 'vi')).toBe('Tệp đính kèm không còn trên máy chủ.');
  });

  it('stores nothing, not even the files, when the transaction fails', async () => {
    const repo = t.server.app.get(FeedbackRepository);
    const real = repo.insertNew.bind(repo);
    // The rows go in, then the transaction fails: the rows roll back, the written files must go too.
    const spy = jest.spyOn(repo, 'insertNew').mockImplementationOnce(async (...args) => {
      await real(...args);
      throw new Error('disk failure');
    });
    const files = t.server.app.get(FeedbackFiles);
    const puts = jest.spyOn(files, 'put');
    const removes = jest.spyOn(files, 'remove');
    const title = `Không được lưu ${db}`;
    await expect(
      service.receive({ areaCode: '00004', name: 'X', phone: '0903000333', title, content: 'Nội dung', category: 'khac', channel: 'web', attachments: [{ mime: 'image/png', bytes: PNG, width: 1, height: 1, sha256: 'y'.repeat(64) }] }),
    ).rejects.toThrow('disk failure');
    spy.mockRestore();
    // The file was written before the transaction, then removed.
    expect(puts).toHaveBeenCalledTimes(1);
    expect(removes.mock.calls.map((c) => c[0])).toEqual([puts.mock.calls[0]![0]]);
    puts.mockRestore();
    removes.mockRestore();
    const ds = t.server.app.get(DataSource);
    expect(await ds.getRepository(FeedbackItemEntity).countBy({ title })).toBe(0);
    const dir = path.join(t.dataDir, 'feedback');
    const stored = existsSync(dir) ? readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name)) : [];
    // Every file left belongs to a stored item.
    const ids = new Set((await ds.getRepository(FeedbackItemEntity).find({ select: { id: true } })).map((i) => i.id));
    expect(stored.filter((f) => !ids.has(path.basename(path.dirname(f))))).toEqual([]);
  });

  it('writes every step to the audit log, with the item and its commune', async () => {
    const item = await create();
    await done('officer-a', item.id, 'assign', { userId: users['officer-a'] });
    await done('officer-a', item.id, 'answer', { answer: 'Xong.' });
    expect((await act('officer-b', item.id, 'close', {})).status).toBe(403);
    // The test holds the clock still, so the entries share one time: sorted by action.
    const entries = (await t.server.app.get(DataSource).getRepository(AuditEntryEntity).findBy({ resourceId: item.id })).sort((a, b) => (a.action < b.action ? -1 : 1));
    expect(entries.map((e) => [e.action, e.outcome, e.actorName])).toEqual([
      ['feedback.answer', 'ok', 'officer-a'],
      ['feedback.assign', 'ok', 'officer-a'],
      ['feedback.close', 'refused', 'officer-b'],
    ]);
    expect(entries[0]).toMatchObject({ resourceType: 'feedback', areaCode: '00004' });
    // The snapshots carry the handling fields, never the resident's data.
    expect(entries[0]!.after).toContain('"state":"answered"');
    expect(entries[0]!.after).not.toContain('Nguyễn');
    const creates = await t.server.app.get(DataSource).getRepository(AuditEntryEntity).findBy({ action: 'feedback.create', outcome: 'ok' });
    expect(creates.length).toBeGreaterThan(0);
    // The create's request body is recorded without the resident's name, phone and e-mail (erasable data).
    for (const c of creates) {
      expect(c.detail).toContain('[left out: personal data]');
      expect(c.detail).not.toContain('Nguyễn');
      expect(c.detail).not.toMatch(/09\d{8}/);
    }
  });

  it('searches by text and code, and filters by state', async () => {
    const item = await create('officer-a', { title: `Cây đổ chắn đường liên thôn ${db}` });
    const byWord = feedbackListViewSchema.parse(await ok('officer-a', 'GET', `/api/v1/feedback?q=${encodeURIComponent('chắn đường liên')}`));
    expect(byWord.items.map((i) => i.id)).toContain(item.id);
    // Accents and case do not matter (the folded search text), on SQLite as on PostgreSQL.
    const folded = feedbackListViewSchema.parse(await ok('officer-a', 'GET', `/api/v1/feedback?q=${encodeURIComponent(`CAY DO chan duong ${db}`)}`));
    expect(folded.items.map((i) => i.id)).toContain(item.id);
    const byName = feedbackListViewSchema.parse(await ok('officer-a', 'GET', `/api/v1/feedback?q=${encodeURIComponent(`nguyễn VĂN an chắn đường liên thôn ${db}`)}`));
    expect(byName.items.map((i) => i.id)).toEqual([item.id]);
    const byCode = feedbackListViewSchema.parse(await ok('officer-a', 'GET', `/api/v1/feedback?q=${item.code.toLowerCase()}`));
    expect(byCode.items.map((i) => i.id)).toEqual([item.id]);
    const byPhone = feedbackListViewSchema.parse(await ok('officer-a', 'GET', `/api/v1/feedback?q=${item.resident!.phone}`));
    expect(byPhone.items.map((i) => i.id)).toEqual([item.id]);
    const answered = feedbackListViewSchema.parse(await ok('officer-a', 'GET', '/api/v1/feedback?state=answered,closed&limit=200'));
    expect(answered.items.every((i) => i.state === 'answered' || i.state === 'closed')).toBe(true);
    expect(answered.items.some((i) => i.id === item.id)).toBe(false);
    const page: FeedbackListView = feedbackListViewSchema.parse(await ok('officer-a', 'GET', '/api/v1/feedback?limit=2&sort=newest'));
    expect(page.items).toHaveLength(2);
    expect(page.total).toBeGreaterThan(2);
  });
});
