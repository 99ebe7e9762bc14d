import { formatError } from '@loa/shared/rest';
import { DATABASES } from './support/databases.js';
import { fanoutDone } from './support/fanouts.js';
import { startTestServerOn, type TestServer } from './support/server.js';

type Refusal = { statusCode: number; code: string; params: Record<string, string | number>; message: string | string[] };
type Json = Record<string, unknown>;

/**
 * Issue 19 item 2 on a real server: every refusal answers with a stable code and its parameters next to the English
 * message, and a schedule that waits for an approver says why with coded reasons. Province 01 → communes 00004 and
 * 00005, a speaker in each; an operator of 00004; the standard approval rules (province-wide schedules wait).
 */
describe.each(DATABASES.map(([name]) => name))('coded refusals (%s)', (db) => {
  let t: TestServer;
  let close: () => Promise<void>;
  let operator = '';
  let contentId = '';
  const future = (min: number) => new Date(Date.now() + min * 60_000).toISOString();

  const call = async <T = Refusal>(token: string, method: string, url: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await fetch(t.baseUrl + url, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
  const ok = async <T = Json>(method: string, url: string, body?: unknown): Promise<T> => {
    const r = await call<T>(t.token, method, url, body);
    if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
    const job = (r.body as { fanout?: { id: string } | null }).fanout;
    if (job) await fanoutDone(t.api, job.id);
    return r.body;
  };
  /** The refusal's code, parameters and English text agree: the message is the code's English with those parameters. */
  const expectCoded = (body: Refusal, code: string, params: Record<string, string | number>, message: string | RegExp) => {
    expect(body).toMatchObject({ code, params });
    expect(typeof body.message === 'string' ? body.message : '').toMatch(message);
    expect(body.message).toBe(formatError(body.code, body.params, 'en'));
  };

  beforeAll(async () => {
    ({ t, close } = await startTestServerOn(db, { LOA_APPROVAL_RULES_DEFAULT: 'standard' }));
    await ok('POST', '/api/v1/areas', { code: '01', name: 'Tỉnh', level: 'province' });
    await ok('POST', '/api/v1/areas', { code: '00004', name: 'Xã A', level: 'commune', parentCode: '01' });
    await ok('POST', '/api/v1/areas', { code: '00005', name: 'Xã B', level: 'commune', parentCode: '01' });
    await ok('POST', '/api/v1/devices', { id: 'spk-a', name: 'Loa A', kind: 'speaker', areaCode: '00004' });
    await ok('POST', '/api/v1/devices', { id: 'spk-b', name: 'Loa B', kind: 'speaker', areaCode: '00005' });
    await ok('POST', '/api/v1/users', { username: 'op-a', password: 'pass-word-123', role: 'operator', areaCode: '00004' });
    const login = await call<{ accessToken: string }>('', 'POST', '/api/v1/auth/login', { username: 'op-a', password: 'pass-word-123' });
    operator = login.body.accessToken;
    const relay = await ok<{ id: string }>('POST', '/api/v1/contents', { type: 'relay', title: 'Đài tỉnh', url: 'http://radio.example.vn/live', durationSeconds: 600, approve: true });
    contentId = relay.id;
  });
  afterAll(() => close());

  it('a missing device: 404 device.not-found with its id', async () => {
    const r = await call(t.token, 'GET', '/api/v1/devices/khong-co');
    expect(r.status).toBe(404);
    expectCoded(r.body, 'device.not-found', { id: 'khong-co' }, /khong-co not found/i);
    expect(formatError(r.body.code, r.body.params, 'vi')).toBe('Không tìm thấy thiết bị khong-co.');
  });

  it('a missing area: 404 area.not-found with its code', async () => {
    const r = await call(t.token, 'GET', '/api/v1/areas/42');
    expect(r.status).toBe(404);
    expectCoded(r.body, 'area.not-found', { id: '42' }, /area 42 not found/i);
  });

  it('above the role: 403 role.forbidden naming the role, shown as a Vietnamese word', async () => {
    const r = await call(operator, 'POST', '/api/v1/users', { username: 'x-user', password: 'pass-word-123', role: 'admin' });
    expect(r.status).toBe(403);
    expectCoded(r.body, 'role.forbidden', { role: 'operator' }, /operator may not do this/);
    expect(formatError(r.body.code, r.body.params, 'vi')).toBe('Vai trò cán bộ vận hành không được làm việc này.');
  });

  it('outside the area: a write is 403 scope.outside-object, a read 404 as if absent', async () => {
    const write = await call(operator, 'PATCH', '/api/v1/devices/spk-b', { name: 'Đổi tên' });
    expect(write.status).toBe(403);
    expectCoded(write.body, 'scope.outside-object', { object: 'device', id: 'spk-b' }, 'device spk-b is outside your area');
    expect(formatError(write.body.code, write.body.params, 'vi')).toBe('Thiết bị spk-b nằm ngoài địa bàn của bạn.');
    const read = await call(operator, 'GET', '/api/v1/devices/spk-b');
    expect(read.status).toBe(404);
    expectCoded(read.body, 'device.not-found', { id: 'spk-b' }, /spk-b not found/i);
  });

  it('a schedule starting in the past: 400 schedule.start-past with both instants', async () => {
    const startAt = new Date(Date.now() - 3_600_000).toISOString();
    const r = await call(t.token, 'POST', '/api/v1/schedules', { contentId, startAt, targets: { devices: ['spk-a'] } });
    expect(r.status).toBe(400);
    expectCoded(r.body, 'schedule.start-past', { startAt }, /is in the past \(server time/);
    expect(typeof r.body.params.now).toBe('string');
  });

  it('an overlap of the same priority: 409 schedule.conflicts with the counts, the notices still there', async () => {
    const startAt = future(120);
    await ok('POST', '/api/v1/schedules', { contentId, startAt, targets: { devices: ['spk-a'] } });
    const r = await call<Refusal & { conflicts: unknown[] }>(t.token, 'POST', '/api/v1/schedules', { contentId, startAt, targets: { devices: ['spk-a'] } });
    expect(r.status).toBe(409);
    expectCoded(r.body, 'schedule.conflicts', { conflicts: 1, devices: 1 }, /resend with acceptConflicts: true/);
    expect(r.body.conflicts).toHaveLength(1);
  });

  it('a content step its state does not allow: 409 content.bad-step with the state and action', async () => {
    const r = await call(t.token, 'POST', `/api/v1/contents/${contentId}/approve`);
    expect(r.status).toBe(409);
    expectCoded(r.body, 'content.bad-step', { id: contentId, state: 'approved', action: 'approve' }, `content ${contentId} is approved: cannot approve it`);
    expect(formatError(r.body.code, r.body.params, 'vi')).toBe(`Nội dung ${contentId} đang ở trạng thái đã duyệt: không thể duyệt.`);
  });

  it('a feedback step its state does not allow: 409 feedback.bad-transition with the action and state, shown as words', async () => {
    const item = await ok<{ id: string }>('POST', '/api/v1/feedback', {
      areaCode: '00005',
      name: 'Nguyễn Văn A',
      phone: '0912345678',
      title: 'Đèn đường hỏng',
      content: 'Đèn đường đầu thôn hỏng đã hai tuần.',
      category: 'khac',
      channel: 'office',
      consent: true,
    });
    const r = await call(t.token, 'POST', `/api/v1/feedback/${item.id}/close`, {});
    expect(r.status).toBe(409);
    expectCoded(r.body, 'feedback.bad-transition', { id: item.id, feedbackAction: 'close', feedbackState: 'received', stateCode: 'received' }, 'Cannot close a feedback item in state "Received" (received).');
    expect(formatError(r.body.code, r.body.params, 'vi')).toBe('Không thể đóng ý kiến đang ở trạng thái "Đã tiếp nhận" (received).');
    // Outside the operator's commune the item reads as absent, and acting on it is refused as outside: both coded with the id.
    const read = await call(operator, 'GET', `/api/v1/feedback/${item.id}`);
    expect(read.status).toBe(404);
    expectCoded(read.body, 'feedback.not-found', { id: item.id }, 'Feedback item not found.');
    const act = await call(operator, 'POST', `/api/v1/feedback/${item.id}/start`, {});
    expect(act.status).toBe(403);
    expectCoded(act.body, 'feedback.outside-scope', { id: item.id }, 'This feedback item belongs to an area outside your scope.');
    expect(formatError(act.body.code, act.body.params, 'vi')).toBe('Ý kiến này thuộc địa bàn ngoài phạm vi của bạn.');
  });

  it('a province-wide schedule waits for an approver and says why with a coded reason', async () => {
    const r = await call<Json & { approval: string; approvalReasons: string[]; approvalReasonCodes: { code: string; params: Json; text: string }[] }>(
      t.token,
      'POST',
      '/api/v1/schedules',
      { contentId, startAt: future(600), targets: { areas: ['01'] }, acceptConflicts: true },
    );
    expect(r.status).toBe(201);
    expect(r.body.approvalReasonCodes).toEqual([
      { code: 'approval.reason.area-level', params: { level: 'province', rule: 'district' }, text: 'targets an area of level province (rule: district or wider)' },
    ]);
    expect(r.body.approvalReasons).toEqual(['targets an area of level province (rule: district or wider)']);
    const [reason] = r.body.approvalReasonCodes;
    expect(formatError(reason!.code, reason!.params as Record<string, string>, 'vi')).toBe('nhắm tới địa bàn cấp tỉnh (quy tắc: cấp huyện trở lên)');
  });

  it('the approval queue says why each pending schedule waits, coded', async () => {
    const emergency = await call<Json & { id: string; approval: string }>(t.token, 'POST', '/api/v1/schedules', {
      contentId,
      startAt: future(900),
      priority: 'emergency',
      targets: { devices: ['spk-a'] },
      acceptConflicts: true,
    });
    expect(emergency.status).toBe(201);
    expect(emergency.body.approval).toBe('pending');
    const queue = await ok<{ scheduleReasons: Record<string, unknown> }>('GET', '/api/v1/approvals');
    expect(queue.scheduleReasons[emergency.body.id]).toEqual([{ code: 'approval.reason.priority', params: { priority: 'emergency' }, text: 'priority emergency' }]);
    expect(formatError('approval.reason.priority', { priority: 'emergency' }, 'vi')).toBe('mức ưu tiên khẩn cấp');
  });

  it("a body the schema refuses: 400 request.invalid with the issues as detail", async () => {
    const r = await call(t.token, 'POST', '/api/v1/areas', { name: 'Không mã', level: 'commune' });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('request.invalid');
    expect(Array.isArray(r.body.message)).toBe(true);
    expect(String(r.body.params.detail)).toMatch(/^code: /);
    expect(r.body.params.status).toBe(400);
  });

  it('an upload refused by the audio pipeline: 400 media.refused.<reason> with the explanation as detail; a file in another field: upload.one-file', async () => {
    const send = (field: string, bytes: Uint8Array) => {
      const form = new FormData();
      form.append(field, new Blob([bytes]), 'trong.mp3');
      return fetch(`${t.baseUrl}/api/v1/media`, { method: 'POST', body: form, headers: { authorization: `Bearer ${t.token}` } });
    };
    const empty = await send('file', new Uint8Array(0));
    expect(empty.status).toBe(400);
    const body = (await empty.json()) as Refusal;
    expect(body).toMatchObject({ code: 'media.refused.empty', params: { detail: 'the file is empty (0 bytes)' }, message: 'the file is empty (0 bytes)' });
    expect(formatError(body.code, body.params, 'vi')).toBe('Tệp rỗng. (the file is empty (0 bytes))');
    const wrongField = await send('tep', new Uint8Array([1, 2, 3]));
    expect(wrongField.status).toBe(400);
    expectCoded((await wrongField.json()) as Refusal, 'upload.one-file', { field: 'file' }, 'send exactly one file, in the multipart field "file"');
  });

  it('an unknown route: 404 http.not-found', async () => {
    const r = await call(t.token, 'GET', '/api/v1/khong-co-duong-nay');
    expect(r.status).toBe(404);
    expect(r.body.code).toBe('http.not-found');
    expect(String(r.body.params.detail)).toContain('/api/v1/khong-co-duong-nay');
  });

  it('a wrong password: 401 auth.wrong-credentials', async () => {
    const r = await call('', 'POST', '/api/v1/auth/login', { username: 'op-a', password: 'sai-mat-khau-1' });
    expect(r.status).toBe(401);
    expectCoded(r.body, 'auth.wrong-credentials', {}, 'wrong username or password');
    expect(formatError(r.body.code, r.body.params, 'vi')).toBe('Sai tên đăng nhập hoặc mật khẩu.');
  });
});
