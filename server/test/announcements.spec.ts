import { mkdtempSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { announcementViewSchema, communeCommandViewSchema, type AnnouncementView, type Capabilities } from '@loa/shared/rest';
import { DataSource } from 'typeorm';
import { AnnouncementsService, SCHEDULING_STALE_MS } from '../src/announcements/announcements.service.js';
import { capabilitiesOf } from '../src/auth/capabilities.js';
import { makeSpeechWav } from './support/audio-fixtures.js';
import { DATABASES } from './support/databases.js';
import { startTestServerOn, type TestServer } from './support/server.js';
import { until } from './support/until.js';

/**
 * Issue 19, the commune's own mode on a real server: commune A (00004, a speaker and a board, village 0000401) and
 * commune B (00005, a speaker) under province 01; an officer of A, an approver of the province, an operator of B. The
 * installation runs the standard approval rules (every audio content waits for an approver) unless a test changes
 * them. Refusals answer with the officer error codes.
 */
describe.each(DATABASES.map(([name]) => name))('commune announcements and test commands (%s)', (db) => {
  let t: TestServer;
  let close: () => Promise<void>;
  const tokens: Record<string, string> = {};
  const users: Record<string, Capabilities> = {};
  const PW = 'pass-word-123';

  const call = async (who: string, method: string, url: string, body?: unknown, raw?: { type: string; bytes: Buffer }): Promise<{ status: number; json: any }> => {
    const res = await fetch(t.baseUrl + url, {
      method,
      headers: { authorization: `Bearer ${tokens[who] ?? ''}`, ...(raw ? { 'content-type': raw.type } : body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(raw ? { body: raw.bytes } : body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null };
  };
  const ok = async (who: string, method: string, url: string, body?: unknown): Promise<any> => {
    const r = await call(who, method, url, body);
    if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.json)}`);
    return r.json;
  };
  const setContentRule = async (audio: boolean) => {
    const current = await ok('admin', 'GET', '/api/v1/settings/approval');
    await ok('admin', 'PUT', '/api/v1/settings/approval', { ...current, content: { ...current.content, audio } });
  };
  const announcement = (who: string, id: string) => ok(who, 'GET', `/api/v1/announcements/${id}`).then((v) => announcementViewSchema.parse(v));

  beforeAll(async () => {
    ({ t, close } = await startTestServerOn(db, { LOA_APPROVAL_RULES_DEFAULT: 'standard' }));
    tokens.admin = t.token;
    await ok('admin', 'POST', '/api/v1/areas', { code: '01', name: 'Tỉnh Một', level: 'province' });
    await ok('admin', 'POST', '/api/v1/areas', { code: '00004', name: 'Xã A', level: 'commune', parentCode: '01' });
    await ok('admin', 'POST', '/api/v1/areas', { code: '0000401', name: 'Thôn A1', level: 'village', parentCode: '00004' });
    await ok('admin', 'POST', '/api/v1/areas', { code: '00005', name: 'Xã B', level: 'commune', parentCode: '01' });
    await ok('admin', 'POST', '/api/v1/devices', { id: 'spk-a', name: 'Loa A', kind: 'speaker', areaCode: '0000401' });
    await ok('admin', 'POST', '/api/v1/devices', { id: 'brd-a', name: 'Bảng A', kind: 'board', areaCode: '00004' });
    await ok('admin', 'POST', '/api/v1/devices', { id: 'spk-b', name: 'Loa B', kind: 'speaker', areaCode: '00005' });
    for (const [user, role, areaCode] of [
      ['officer-a', 'commune_officer', '00004'],
      ['approver-p', 'approver', '01'],
      ['op-b', 'operator', '00005'],
    ] as const) {
      await ok('admin', 'POST', '/api/v1/users', { username: user, password: PW, role, areaCode });
      const login = await ok('nobody', 'POST', '/api/v1/auth/login', { username: user, password: PW });
      tokens[user] = login.accessToken;
      users[user] = login.user.can;
    }
  }, 120_000);

  afterAll(async () => {
    await close();
  });

  it('tells each role what it may do, in the login answer and in /auth/me, as the routes decide', async () => {
    expect(users['officer-a']).toEqual({
      createContent: false,
      readContents: false,
      schedule: false,
      announce: true,
      approve: false,
      command: false,
      testDevices: true,
      manageDevices: false,
      alerts: false,
      liveVoice: false,
      admin: false,
    });
    expect(users['approver-p']).toMatchObject({ approve: true, announce: false, schedule: false, createContent: false, testDevices: false, readContents: true });
    expect(users['op-b']).toMatchObject({ approve: false, announce: true, schedule: true, createContent: true, command: true, admin: false });
    expect((await ok('officer-a', 'GET', '/api/v1/auth/me')).can).toEqual(users['officer-a']);
    expect((await ok('admin', 'GET', '/api/v1/auth/me')).can).toMatchObject({ admin: true, approve: true, schedule: true });
    // The hint agrees with the gate: the officer's schedule create and content create are refused, an announcement is not.
    expect((await call('officer-a', 'POST', '/api/v1/schedules', { contentId: 'x', startAt: new Date(Date.now() + 3_600_000).toISOString(), targets: { areas: ['00004'] } })).status).toBe(403);
    expect((await call('officer-a', 'POST', '/api/v1/contents', { type: 'text', title: 't', text: 'x', displaySeconds: 10 })).status).toBe(403);
    // LOA_OFFICER_MAY_SCHEDULE=true opens the schedule editor (and the contents it picks from) to officers.
    expect(capabilitiesOf('commune_officer', { officerMaySchedule: true })).toMatchObject({ schedule: true, readContents: true, createContent: false, announce: true });
    expect(capabilitiesOf('commune_officer', { officerMaySchedule: false })).toMatchObject({ schedule: false, readContents: false });
  });

  it('an officer announces by TTS to its own commune; the content waits for the approver as the rules say, then the schedule reaches its devices', async () => {
    const created = await call('officer-a', 'POST', '/api/v1/announcements', { title: 'Họp dân thôn A1', source: { kind: 'tts', text: 'Mời bà con thôn A1 họp lúc 19 giờ tại nhà văn hóa.' } });
    expect(created.status).toBe(201);
    const a = announcementViewSchema.parse(created.json);
    expect(a).toMatchObject({ state: 'awaiting-content', areas: ['00004'], scheduleId: null, text: 'Mời bà con thôn A1 họp lúc 19 giờ tại nhà văn hóa.' });
    // The approver's queue holds the content like any other, with the officer as its author.
    const queue = await ok('approver-p', 'GET', '/api/v1/approvals');
    expect(queue.contents.map((c: { id: string }) => c.id)).toContain(a.contentId);
    await ok('approver-p', 'POST', `/api/v1/contents/${a.contentId}/approve`);
    const scheduled = await until('the announcement scheduled', () => announcement('officer-a', a.id), (v) => v.state !== 'awaiting-content' && v.state !== 'awaiting-schedule');
    expect(scheduled.state).toBe('scheduled');
    const schedule = await ok('officer-a', 'GET', `/api/v1/schedules/${scheduled.scheduleId}`);
    expect(schedule).toMatchObject({ contentId: a.contentId, targets: { areas: ['00004'], groups: [], devices: [] }, approval: 'not-required' });
    // Speaker and board of the commune (the content carries its text for boards); the other commune's speaker not.
    const deliveries = await until<Array<{ deviceId: string }>>('deliveries', () => ok('officer-a', 'GET', `/api/v1/schedules/${scheduled.scheduleId}/deliveries`), (d) => d.length === 2);
    expect(deliveries.map((x) => x.deviceId).sort()).toEqual(['brd-a', 'spk-a']);
    expect((await ok('officer-a', 'GET', '/api/v1/announcements')).map((x: AnnouncementView) => x.id)).toContain(a.id);
    // Another commune's operator does not see it.
    expect((await ok('op-b', 'GET', '/api/v1/announcements')).map((x: AnnouncementView) => x.id)).not.toContain(a.id);
    expect((await call('op-b', 'GET', `/api/v1/announcements/${a.id}`)).json.code).toBe('announcement.not-found');
  });

  it('moves on announcements a lost approval event or a crash left behind (the leader\'s announcements.resume), without a second schedule', async () => {
    const db = t.server.app.get(DataSource);
    const resume = () => t.server.app.get(AnnouncementsService).resume();
    const p = (sql: string) => (db.options.type === 'postgres' ? sql : sql.replace(/\$\d/g, '?'));
    const make = async (title: string) => announcementViewSchema.parse(await ok('officer-a', 'POST', '/api/v1/announcements', { title, source: { kind: 'tts', text: `${title}: mời bà con họp.` } }));
    // 1. The content was approved in a process that stopped before its event reached the listener.
    const lost = await make('Sự kiện mất');
    expect(lost.state).toBe('awaiting-content');
    await db.query(p(`UPDATE contents SET state = 'approved' WHERE id = $1`), [lost.contentId]);
    await resume();
    const scheduled = await announcement('officer-a', lost.id);
    expect(scheduled.state).toBe('scheduled');
    expect(scheduled.scheduleId).not.toBeNull();
    // 2. A crash while making the schedule, after the schedule committed: the existing one is linked, none added.
    const old = Date.now() - SCHEDULING_STALE_MS - 60_000;
    await db.query(p(`UPDATE announcements SET state = 'scheduling', schedule_id = NULL, updated_at = $1 WHERE id = $2`), [old, lost.id]);
    const before = (await db.query(p(`SELECT COUNT(*) AS n FROM schedules WHERE content_id = $1`), [lost.contentId])) as Array<{ n: number | string }>;
    await resume();
    expect((await announcement('officer-a', lost.id)).scheduleId).toBe(scheduled.scheduleId);
    const after = (await db.query(p(`SELECT COUNT(*) AS n FROM schedules WHERE content_id = $1`), [lost.contentId])) as Array<{ n: number | string }>;
    expect(Number(after[0]!.n)).toBe(Number(before[0]!.n));
    // 3. A crash before the schedule committed: it is made now.
    const cut = await make('Cắt ngang');
    await db.query(p(`UPDATE contents SET state = 'approved' WHERE id = $1`), [cut.contentId]);
    await db.query(p(`UPDATE announcements SET state = 'scheduling', updated_at = $1 WHERE id = $2`), [old, cut.id]);
    await resume();
    const made = await announcement('officer-a', cut.id);
    expect(made.state).toBe('scheduled');
    expect(made.scheduleId).not.toBeNull();
    // 4. A rejection whose event was lost ends the announcement; a running attempt (recent) is left alone.
    const rejected = await make('Bị từ chối');
    await db.query(p(`UPDATE contents SET state = 'rejected' WHERE id = $1`), [rejected.contentId]);
    const running = await make('Đang làm');
    await db.query(p(`UPDATE announcements SET state = 'scheduling', updated_at = $1 WHERE id = $2`), [Date.now(), running.id]);
    await resume();
    expect((await announcement('officer-a', rejected.id)).state).toBe('rejected');
    expect((await announcement('officer-a', running.id)).state).toBe('awaiting-schedule');
  });

  it('refuses an announcement outside the officer’s commune with a code (403), and approvers do not announce', async () => {
    const outside = await call('officer-a', 'POST', '/api/v1/announcements', { title: 'x', areas: ['00005'], source: { kind: 'tts', text: 'Xin chào' } });
    expect(outside.status).toBe(403);
    expect(outside.json).toMatchObject({ code: 'announcement.outside-area', params: { area: '00005', own: '00004' } });
    const province = await call('officer-a', 'POST', '/api/v1/announcements', { title: 'x', areas: ['01'], source: { kind: 'tts', text: 'Xin chào' } });
    expect(province.json.code).toBe('announcement.outside-area');
    const approver = await call('approver-p', 'POST', '/api/v1/announcements', { title: 'x', source: { kind: 'tts', text: 'Xin chào' } });
    expect(approver.status).toBe(403);
    expect(approver.json.code).toBe('role.forbidden');
  });

  it('follows the rules: no content approval needed → scheduled at once (village target); a rejected content ends the announcement', async () => {
    await setContentRule(false);
    try {
      const at = new Date(Math.ceil((Date.now() + 2 * 3_600_000) / 60_000) * 60_000).toISOString();
      const r = await call('officer-a', 'POST', '/api/v1/announcements', { title: 'Lịch tiêm phòng', areas: ['0000401'], startAt: at, volume: 70, source: { kind: 'tts', text: 'Lịch tiêm phòng cho trẻ em thôn A1.' } });
      expect(r.status).toBe(201);
      const a = announcementViewSchema.parse(r.json);
      expect(a.state).toBe('scheduled');
      const schedule = await ok('officer-a', 'GET', `/api/v1/schedules/${a.scheduleId}`);
      expect(schedule).toMatchObject({ targets: { areas: ['0000401'] }, volume: 70, startAt: at });
    } finally {
      await setContentRule(true);
    }
    const waiting = announcementViewSchema.parse(await ok('officer-a', 'POST', '/api/v1/announcements', { title: 'Sai', source: { kind: 'tts', text: 'Nội dung sai.' } }));
    expect(waiting.state).toBe('awaiting-content');
    await ok('approver-p', 'POST', `/api/v1/contents/${waiting.contentId}/reject`, { reason: 'sai nội dung' });
    expect((await until('rejected', () => announcement('officer-a', waiting.id), (v) => v.state === 'rejected')).scheduleId).toBeNull();
  });

  it('takes a recording through the media pipeline and announces it', async () => {
    const wav = await makeSpeechWav(path.join(mkdtempSync(path.join(tmpdir(), 'loa-rec-')), 'ghi-am.wav'), 3);
    const up = await call('officer-a', 'POST', '/api/v1/announcements/recordings', undefined, { type: 'audio/wav', bytes: await readFile(wav) });
    expect(up.status).toBe(201);
    expect(up.json.sha256).toMatch(/^[a-f0-9]{64}$/);
    expect(up.json.durationMs).toBeGreaterThan(2500);
    const empty = await call('officer-a', 'POST', '/api/v1/announcements/recordings', undefined, { type: 'audio/webm', bytes: Buffer.alloc(0) });
    expect(empty.json.code).toBe('announcement.recording-empty');
    const junk = await call('officer-a', 'POST', '/api/v1/announcements/recordings', undefined, { type: 'audio/webm', bytes: Buffer.from('not audio at all') });
    expect(junk.status).toBe(400);
    expect(junk.json.code).toBe('announcement.audio-refused');
    const a = await call('officer-a', 'POST', '/api/v1/announcements', { title: 'Thông báo ghi âm', source: { kind: 'recording', mediaSha256: up.json.sha256 } });
    expect(a.status).toBe(201);
    expect(a.json).toMatchObject({ state: 'awaiting-content', text: null });
  });

  it('test play, self-test and volume only on the officer’s own speakers', async () => {
    const content = await ok('admin', 'POST', '/api/v1/contents', { type: 'text', title: 'Bảng', text: 'x', displaySeconds: 10, approve: true });
    const audio = (await ok('officer-a', 'GET', '/api/v1/announcements')).find((x: AnnouncementView) => x.state === 'scheduled');
    for (const body of [{ type: 'selfTest' }, { type: 'setVolume', volume: 55 }, { type: 'playNow', contentId: audio.contentId }]) {
      const r = await call('officer-a', 'POST', '/api/v1/commune/devices/spk-a/commands', body);
      expect(r.status).toBe(201);
      const v = communeCommandViewSchema.parse(r.json);
      expect(v).toMatchObject({ type: body.type, deviceId: 'spk-a', result: { state: 'queued' } });
      expect(communeCommandViewSchema.parse(await ok('officer-a', 'GET', `/api/v1/commune/commands/${v.commandId}`)).commandId).toBe(v.commandId);
      // Another commune's operator cannot read it.
      expect((await call('op-b', 'GET', `/api/v1/commune/commands/${v.commandId}`)).json.code).toBe('command.not-found');
    }
    const other = await call('officer-a', 'POST', '/api/v1/commune/devices/spk-b/commands', { type: 'selfTest' });
    expect(other.status).toBe(403);
    expect(other.json).toMatchObject({ code: 'officer.device-outside', params: { id: 'spk-b' } });
    const board = await call('officer-a', 'POST', '/api/v1/commune/devices/brd-a/commands', { type: 'setVolume', volume: 10 });
    expect(board.json.code).toBe('officer.not-speaker');
    const unknown = await call('officer-a', 'POST', '/api/v1/commune/devices/nope-1/commands', { type: 'selfTest' });
    expect(unknown.status).toBe(404);
    expect(unknown.json.code).toBe('device.not-found');
    const pending = (await ok('officer-a', 'GET', '/api/v1/announcements')).find((x: AnnouncementView) => x.state === 'awaiting-content');
    const notApproved = await call('officer-a', 'POST', '/api/v1/commune/devices/spk-a/commands', { type: 'playNow', contentId: pending.contentId });
    expect(notApproved.json).toMatchObject({ code: 'officer.content-not-approved' });
    expect((await call('officer-a', 'POST', '/api/v1/commune/devices/spk-a/commands', { type: 'playNow', contentId: content.id })).status).toBe(400); // a text content: no speaker plays it
    // What the speaker last answered: nothing yet (no agent here), and another commune's speaker is not found.
    expect(await ok('officer-a', 'GET', '/api/v1/commune/devices/spk-a/tests')).toEqual({ deviceId: 'spk-a', lastSelfTest: null, volume: null, muted: null, volumeAt: null });
    expect((await call('officer-a', 'GET', '/api/v1/commune/devices/spk-b/tests')).json).toMatchObject({ statusCode: 404, code: 'device.not-found' });
    // The general command route stays closed to officers.
    expect((await call('officer-a', 'POST', '/api/v1/commands', { command: { type: 'selfTest' }, target: { deviceId: 'spk-a' } })).status).toBe(403);
    expect((await call('approver-p', 'POST', '/api/v1/commune/devices/spk-a/commands', { type: 'selfTest' })).status).toBe(403);
  });
});
