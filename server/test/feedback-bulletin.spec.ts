import { feedbackBulletinViewSchema, formatError, type ContentView, type FeedbackBulletinView, type FeedbackDetailView } from '@loa/shared/rest';
import { DATABASES } from './support/databases.js';
import { startTestServerOn, type TestServer } from './support/server.js';

/**
 * Issue 17, close the loop, on a real server (SQLite and PostgreSQL): an answer of public interest becomes a text for
 * the loudspeakers and a board message, both submitted for approval, once per item; only a rejected or archived one
 * is drafted again. Commune 00001 has an officer (canbo1), commune 00002 another (canbo2).
 */
describe.each(DATABASES.map(([name]) => name))('feedback bulletins (%s)', (db) => {
  let t: TestServer;
  let close: () => Promise<void>;
  const tokens: Record<string, string> = {};
  const userIds: Record<string, string> = {};

  const call = async <T>(who: string, method: string, url: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const r = await fetch(t.baseUrl + url, {
      method,
      headers: { authorization: `Bearer ${tokens[who] ?? ''}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await r.text();
    return { status: r.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
  const ok = async <T>(who: string, method: string, url: string, body?: unknown): Promise<T> => {
    const r = await call<T>(who, method, url, body);
    if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body;
  };
  /** An item filed at the office for a commune, answered by the admin (or left unanswered). */
  const item = async (areaCode: string, title: string, answer: { text: string; publicInterest: boolean } | null): Promise<FeedbackDetailView> => {
    const created = await ok<FeedbackDetailView>('admin', 'POST', '/api/v1/feedback', { areaCode, name: 'Nguyễn Văn A', phone: '0912345678', title, content: 'Đèn đường thôn Đông hỏng đã hai tuần.', category: 'giao-thong', consent: true });
    if (answer === null) return created;
    return ok<FeedbackDetailView>('admin', 'POST', `/api/v1/feedback/${created.id}/answer`, { answer: answer.text, publicInterest: answer.publicInterest, notify: false });
  };
  const bulletin = (who: string, id: string, body: unknown = {}) => call<FeedbackBulletinView>(who, 'POST', `/api/v1/feedback/${id}/bulletin`, body);
  const content = (id: string) => ok<ContentView>('admin', 'GET', `/api/v1/contents/${id}`);

  beforeAll(async () => {
    ({ t, close } = await startTestServerOn(db));
    tokens.admin = t.token;
    await ok('admin', 'POST', '/api/v1/areas', { code: '01', name: 'Tỉnh Thử', level: 'province' });
    await ok('admin', 'POST', '/api/v1/areas', { code: '00001', name: 'Xã Một', level: 'commune', parentCode: '01' });
    await ok('admin', 'POST', '/api/v1/areas', { code: '00002', name: 'Xã Hai', level: 'commune', parentCode: '01' });
    for (const [username, role, areaCode] of [['canbo1', 'commune_officer', '00001'], ['canbo2', 'commune_officer', '00002'], ['duyet', 'approver', '01']] as const) {
      userIds[username] = (await ok<{ id: string }>('admin', 'POST', '/api/v1/users', { username, password: 'pass-word-123', role, areaCode })).id;
      tokens[username] = (await ok<{ accessToken: string }>('admin', 'POST', '/api/v1/auth/login', { username, password: 'pass-word-123' })).accessToken;
    }
  }, 120_000);

  afterAll(async () => {
    await close();
  });

  it('drafts a loudspeaker text and a board message from the answer, both submitted for approval, once', async () => {
    const answer = 'Ủy ban nhân dân xã đã cử cán bộ thay bóng đèn ngày 12/11. Đề nghị bà con báo ngay khi đèn hỏng.';
    const it = await item('00001', 'Đèn đường thôn Đông bị hỏng.', { text: answer, publicInterest: true });
    const first = await bulletin('canbo1', it.id);
    expect(first.status).toBe(201);
    const view = feedbackBulletinViewSchema.parse(first.body);
    expect(view).toMatchObject({ speakerState: 'submitted', boardState: 'submitted' });
    expect(view.speakerContentId).not.toBe(view.boardContentId);

    const speaker = await content(view.speakerContentId);
    const board = await content(view.boardContentId);
    expect(speaker).toMatchObject({ type: 'text', state: 'submitted', title: 'Trả lời ý kiến của người dân về Đèn đường thôn Đông bị hỏng', createdBy: userIds.canbo1 });
    expect(speaker.text).toBe(`Xã Một trả lời ý kiến của người dân về Đèn đường thôn Đông bị hỏng.\n${answer}`);
    expect(board).toMatchObject({ type: 'text', state: 'submitted', submittedBy: userIds.canbo1 });
    expect(board.text).toBe(`Trả lời ý kiến của người dân về Đèn đường thôn Đông bị hỏng\n${answer}`);
    // No resident's data goes on air.
    expect(`${speaker.text} ${board.text}`).not.toMatch(/Nguyễn Văn A|0912345678/);

    // The item's history and view know it.
    const detail = await ok<FeedbackDetailView>('canbo1', 'GET', `/api/v1/feedback/${it.id}`);
    expect(detail.history.filter((h) => h.kind === 'bulletin-drafted')).toHaveLength(1);
    expect([...detail.draftContentIds].sort()).toEqual([view.speakerContentId, view.boardContentId].sort());

    // Again, and twice at once: the same pair, nothing new.
    const again = await Promise.all([bulletin('canbo1', it.id), bulletin('admin', it.id)]);
    for (const r of again) expect(r.body).toEqual(view);
    const history = (await ok<FeedbackDetailView>('admin', 'GET', `/api/v1/feedback/${it.id}`)).history;
    expect(history.filter((h) => h.kind === 'bulletin-drafted')).toHaveLength(1);
    // Audited in the item's commune, so its area's admins see it.
    const audit = await ok<Array<{ action: string; actor: { name: string }; outcome: string; areaCode: string | null; resourceId: string | null }>>('admin', 'GET', '/api/v1/audit?action=feedback.bulletin');
    expect(audit.filter((a) => a.actor.name === 'canbo1' && a.outcome === 'ok' && a.resourceId === it.id).map((a) => a.areaCode)).toEqual(['00001', '00001']);
  });

  it('drafts again only what was rejected; texts given by the officer and long answers fit the limits', async () => {
    const long = `${'Câu trả lời rất dài về việc sửa đường. '.repeat(200)}Hết.`;
    const it = await item('00001', 'Đường liên thôn xuống cấp', { text: long, publicInterest: true });
    const first = (await bulletin('canbo1', it.id)).body;
    const speaker = await content(first.speakerContentId);
    const board = await content(first.boardContentId);
    expect(speaker.text!.length).toBeLessThanOrEqual(5000);
    expect(speaker.text!.endsWith('…')).toBe(true);
    expect(board.text!.length).toBeLessThanOrEqual(1000);

    await ok('duyet', 'POST', `/api/v1/contents/${first.speakerContentId}/reject`, { reason: 'Viết gọn lại' });
    const redrafted = await bulletin('canbo1', it.id, { speakerText: 'Đường liên thôn sẽ được sửa trong quý I năm 2027.' });
    expect(redrafted.status).toBe(201);
    expect(redrafted.body.boardContentId).toBe(first.boardContentId);
    expect(redrafted.body.speakerContentId).not.toBe(first.speakerContentId);
    expect((await content(redrafted.body.speakerContentId)).text).toBe('Đường liên thôn sẽ được sửa trong quý I năm 2027.');
  });

  it('refuses items not answered or not of public interest (409), other communes’ officers and approvers (403)', async () => {
    type Coded = { code: string; params: Record<string, string | number>; message: string };
    const open = await item('00001', 'Chưa trả lời', null);
    const unanswered = await bulletin('canbo1', open.id);
    expect(unanswered.status).toBe(409);
    expect(unanswered.body as unknown).toMatchObject({ code: 'feedback.bulletin-not-answered', params: { id: open.id, feedbackState: 'received' } });
    const privateAnswer = await item('00001', 'Việc riêng', { text: 'Đã trả lời riêng cho ông.', publicInterest: false });
    const refused = await bulletin('canbo1', privateAnswer.id);
    expect(refused.status).toBe(409);
    const coded = refused.body as unknown as Coded;
    expect(coded).toMatchObject({ code: 'feedback.bulletin-not-public', params: { id: privateAnswer.id } });
    expect(coded.message).toMatch(/not marked as useful to the community/);
    expect(formatError(coded.code, coded.params, 'vi')).toMatch(/có ích cho cộng đồng/);
    const shared = await item('00001', 'Rác thải chợ', { text: 'Xã đã bố trí thêm xe thu gom.', publicInterest: true });
    const outside = await bulletin('canbo2', shared.id);
    expect([outside.status, (outside.body as unknown as Coded).code]).toEqual([403, 'feedback.outside-scope']);
    expect((await bulletin('duyet', shared.id)).status).toBe(403);
    const missing = await bulletin('canbo1', 'khong-co');
    expect([missing.status, (missing.body as unknown as Coded).code]).toEqual([404, 'feedback.not-found']);
    expect((await bulletin('canbo1', shared.id, { boardText: 'x'.repeat(1001) })).status).toBe(400);
    // None of the refusals drafted anything.
    expect((await ok<FeedbackDetailView>('admin', 'GET', `/api/v1/feedback/${shared.id}`)).draftContentIds).toEqual([]);
  });

  it('leaves the pair as drafts when the approval rules need no approver for text', async () => {
    const rules = await ok<{ content: Record<string, boolean> }>('admin', 'GET', '/api/v1/settings/approval');
    await ok('admin', 'PUT', '/api/v1/settings/approval', { ...rules, content: { ...rules.content, text: false } });
    try {
      const it = await item('00002', 'Loa thôn Tây nhỏ', { text: 'Đã chỉnh âm lượng loa thôn Tây.', publicInterest: true });
      const r = await bulletin('canbo2', it.id);
      expect(r.status).toBe(201);
      expect(r.body).toMatchObject({ speakerState: 'draft', boardState: 'draft' });
    } finally {
      await ok('admin', 'PUT', '/api/v1/settings/approval', rules);
    }
  });
});
