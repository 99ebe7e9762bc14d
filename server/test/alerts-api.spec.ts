import { alertBannerItemSchema, alertDeliveryPageSchema, alertSummarySchema, alertViewSchema } from '@loa/shared/rest';
import { DATABASES } from './support/databases.js';
import { fanoutDone } from './support/fanouts.js';
import { startTestServerOn, type TestServer } from './support/server.js';

/**
 * Issue 18 through HTTP, on SQLite and PostgreSQL: speech from the alert text with the real espeak engine, the
 * emergency-audio rule, what a pending alert shows its approver (and that the approver can fetch the audio), the
 * proof-of-play endpoints' scoping, and the banner.
 */
describe.each(DATABASES)('alerts people can trust, through the API (%s)', (db) => {
  let t: TestServer;
  let close: () => Promise<void>;
  const tokens: Record<string, string> = {};
  const PW = 'password-123';

  const call = async (who: string, method: string, url: string, body?: unknown): Promise<{ status: number; json: any; bytes: number }> => {
    const res = await fetch(t.baseUrl + url, {
      method,
      headers: { authorization: `Bearer ${tokens[who]}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const buf = Buffer.from(await res.arrayBuffer());
    let json: unknown = null;
    try {
      json = JSON.parse(buf.toString('utf8'));
    } catch {
      /* audio bytes */
    }
    return { status: res.status, json, bytes: buf.length };
  };
  const ok = async (who: string, method: string, url: string, body?: unknown): Promise<any> => {
    const r = await call(who, method, url, body);
    if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(r.json)}`);
    if (r.json?.fanout?.id) await fanoutDone(t.api, r.json.fanout.id);
    return r.json;
  };
  const rules = async (emergency: { twoPerson: boolean; audioFromEmergencyContentOnly?: boolean }) => {
    const current = await ok('admin', 'GET', '/api/v1/settings/approval');
    await ok('admin', 'PUT', '/api/v1/settings/approval', { ...current, emergency });
  };

  beforeAll(async () => {
    ({ t, close } = await startTestServerOn(db));
    tokens.admin = t.token;
    await ok('admin', 'POST', '/api/v1/areas', { code: '01', name: 'Tỉnh Một', level: 'province' });
    await ok('admin', 'POST', '/api/v1/areas', { code: '00004', name: 'Xã A', level: 'commune', parentCode: '01' });
    await ok('admin', 'POST', '/api/v1/areas', { code: '00005', name: 'Xã B', level: 'commune', parentCode: '01' });
    await ok('admin', 'POST', '/api/v1/devices', { id: 'spk-a', name: 'Loa A', kind: 'speaker', areaCode: '00004' });
    await ok('admin', 'POST', '/api/v1/devices', { id: 'brd-a', name: 'Bảng A', kind: 'board', areaCode: '00004' });
    await ok('admin', 'POST', '/api/v1/devices', { id: 'spk-b', name: 'Loa B', kind: 'speaker', areaCode: '00005' });
    for (const [user, role, areaCode] of [
      ['officer-a', 'commune_officer', '00004'],
      ['op-b', 'operator', '00005'],
      ['approver-p', 'approver', '01'],
      ['op-p', 'operator', '01'],
    ] as const) {
      await ok('admin', 'POST', '/api/v1/users', { username: user, password: PW, role, areaCode });
      tokens[user] = (await call('nobody', 'POST', '/api/v1/auth/login', { username: user, password: PW })).json.accessToken;
    }
  }, 60_000);
  afterAll(() => close());

  it('speakText: speaks the text with the server TTS into the alert audio in the same request; refused with audio or without text', async () => {
    const a = alertViewSchema.parse(await ok('admin', 'POST', '/api/v1/alerts', { areaCode: '00004', title: 'Lũ quét', text: 'Người dân sơ tán ngay lên vùng cao', speakText: true, expiresInS: 600 }));
    expect(a.text).toBe('Người dân sơ tán ngay lên vùng cao');
    expect(a.mediaSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(a.media).toMatchObject({ sha256: a.mediaSha256 });
    expect(a.media!.durationMs).toBeGreaterThan(1000);
    // Speech for the speakers, the text for the boards: both devices of the commune.
    expect(a.deviceCount).toBe(2);
    const info = await ok('admin', 'GET', `/api/v1/media/${a.mediaSha256}/info`);
    expect(info.durationMs).toBe(a.media!.durationMs);

    const withAudio = await call('admin', 'POST', '/api/v1/alerts', { areaCode: '00004', title: 'x', text: 'y', speakText: true, mediaSha256: a.mediaSha256 });
    expect(withAudio.status).toBe(400);
    expect(withAudio.json.message).toMatch(/speakText or mediaSha256, not both/);
    const noText = await call('admin', 'POST', '/api/v1/alerts', { areaCode: '00004', title: 'x', speakText: true });
    expect(noText.status).toBe(400);
    expect(noText.json.message).toMatch(/speakText needs the text/);
    await ok('admin', 'POST', `/api/v1/alerts/${a.id}/cancel`);
  });

  it('emergency audio rule: only approved content marked for emergencies (or speech from the form) may be an alert audio', async () => {
    const speech = await ok('admin', 'POST', '/api/v1/tts', { text: 'Bản tin thử nghiệm' });
    const sha: string = speech.media.sha256;
    await rules({ twoPerson: false, audioFromEmergencyContentOnly: true });
    try {
      const refused = await call('op-p', 'POST', '/api/v1/alerts', { areaCode: '01', title: 'Bão', mediaSha256: sha, expiresInS: 600 });
      expect(refused.status).toBe(400);
      expect(refused.json.message).toMatch(/emergency\.audioFromEmergencyContentOnly/);
      // Approved but not marked: still refused. Marked but only a draft: still refused.
      const plain = await ok('admin', 'POST', '/api/v1/contents', { type: 'audio', title: 'Bản tin thường', mediaSha256: sha, approve: true });
      expect(plain.emergency).toBe(false);
      expect((await call('op-p', 'POST', '/api/v1/alerts', { areaCode: '01', title: 'Bão', mediaSha256: sha, expiresInS: 600 })).status).toBe(400);
      const draft = await ok('admin', 'POST', '/api/v1/contents', { type: 'audio', title: 'Khẩn (nháp)', mediaSha256: sha, emergency: true });
      expect((await call('op-p', 'POST', '/api/v1/alerts', { areaCode: '01', title: 'Bão', mediaSha256: sha, expiresInS: 600 })).status).toBe(400);
      const marked = await ok('admin', 'PATCH', `/api/v1/contents/${draft.id}`, { title: 'Khẩn: bão', text: 'Bão số 3 đổ bộ' });
      expect(marked).toMatchObject({ emergency: true, text: 'Bão số 3 đổ bộ' });
      await ok('admin', 'POST', `/api/v1/contents/${draft.id}/submit`);
      await ok('admin', 'POST', `/api/v1/contents/${draft.id}/approve`);
      const listed: Array<{ id: string }> = await ok('op-p', 'GET', '/api/v1/contents?emergency=true');
      expect(listed.map((c) => c.id)).toEqual([draft.id]);
      expect((await ok('op-p', 'GET', '/api/v1/contents?emergency=false')).map((c: { id: string }) => c.id)).toContain(plain.id);
      expect((await call('op-p', 'GET', '/api/v1/contents?emergency=maybe')).status).toBe(400);
      const a = await ok('op-p', 'POST', '/api/v1/alerts', { areaCode: '01', title: 'Bão', mediaSha256: sha, expiresInS: 600 });
      expect(a.media).toMatchObject({ sha256: sha, title: 'Khẩn: bão' });
      await ok('op-p', 'POST', `/api/v1/alerts/${a.id}/cancel`);
      // Speech made in the alert form is allowed under the rule.
      const spoken = await ok('op-p', 'POST', '/api/v1/alerts', { areaCode: '01', title: 'Bão', text: 'Không ra khơi', speakText: true, expiresInS: 600 });
      await ok('op-p', 'POST', `/api/v1/alerts/${spoken.id}/cancel`);
    } finally {
      await rules({ twoPerson: false, audioFromEmergencyContentOnly: false });
    }
  });

  it('a pending alert shows its approver the audio title and length, text, area and device count; the approver fetches the audio', async () => {
    const speech = await ok('admin', 'POST', '/api/v1/tts', { text: 'Cảnh báo cháy rừng' });
    await ok('admin', 'POST', '/api/v1/contents', { type: 'audio', title: 'Cháy rừng cấp 4', mediaSha256: speech.media.sha256, approve: true, emergency: true });
    await rules({ twoPerson: true });
    try {
      const created = await call('op-p', 'POST', '/api/v1/alerts', { areaCode: '01', title: 'Cháy rừng', text: 'Không đốt nương', mediaSha256: speech.media.sha256, expiresInS: 600 });
      expect(created.status).toBe(202);
      const pending = alertViewSchema.parse((await ok('approver-p', 'GET', `/api/v1/alerts/${created.json.id}`)) as unknown);
      expect(pending).toMatchObject({ status: 'pending', areaCode: '01', text: 'Không đốt nương', deviceCount: 3, media: { sha256: speech.media.sha256, title: 'Cháy rừng cấp 4', durationMs: speech.media.durationMs } });
      // The approver's queue carries the same view.
      const queue = await ok('approver-p', 'GET', '/api/v1/approvals');
      expect(queue.alerts.find((x: { id: string }) => x.id === created.json.id)).toMatchObject({ media: { title: 'Cháy rừng cấp 4' }, deviceCount: 3 });
      const audio = await call('approver-p', 'GET', `/api/v1/media/${speech.media.sha256}`);
      expect(audio.status).toBe(200);
      expect(audio.bytes).toBe(speech.media.bytes);
      const confirmed = await ok('approver-p', 'POST', `/api/v1/alerts/${created.json.id}/confirm`);
      expect(confirmed.status).toBe('active');
      await ok('op-p', 'POST', `/api/v1/alerts/${created.json.id}/cancel`);
    } finally {
      await rules({ twoPerson: false });
    }
  });

  it('summary and deliveries follow the alert endpoints scope (404 outside), and the banner reaches every level it covers', async () => {
    const a = await ok('admin', 'POST', '/api/v1/alerts', { areaCode: '00004', title: 'Sạt lở', text: 'Tránh xa sườn đồi', expiresInS: 600 });
    const p = await ok('admin', 'POST', '/api/v1/alerts', { areaCode: '01', title: 'Bão số 5', text: 'Chằng chống nhà cửa', expiresInS: 600 });
    try {
      const summary = alertSummarySchema.parse(await ok('op-p', 'GET', `/api/v1/alerts/${a.id}/summary`));
      // Text only: the board is meant to get it, the speaker gets no slot.
      expect(summary).toMatchObject({ alertId: a.id, total: 1, byState: { expected: 1 } });
      expect(summary.areas).toEqual([{ areaCode: '00004', name: 'Xã A', total: 1, delivered: 0, played: 0, failed: 0 }]);
      const ps = alertSummarySchema.parse(await ok('admin', 'GET', `/api/v1/alerts/${p.id}/summary`));
      expect(ps.areas.map((x) => x.areaCode)).toEqual(['01', '00004', '00005']);
      const page = alertDeliveryPageSchema.parse(await ok('op-p', 'GET', `/api/v1/alerts/${a.id}/deliveries?state=expected&limit=10`));
      expect(page).toEqual({ total: 1, items: [{ deviceId: 'brd-a', deviceName: 'Bảng A', kind: 'board', areaCode: '00004', online: false, state: 'expected', deliveredAt: null, startedAt: null, endedAt: null, reason: null }] });
      expect((await call('op-p', 'GET', `/api/v1/alerts/${a.id}/deliveries?state=played`)).status).toBe(400);
      expect((await call('op-p', 'GET', `/api/v1/alerts/${p.id}/deliveries?areaCode=77777`)).status).toBe(400);

      // Commune B's operator: A's alert does not exist for them; sending to A is refused.
      expect((await call('op-b', 'GET', `/api/v1/alerts/${a.id}/summary`)).status).toBe(404);
      expect((await call('op-b', 'GET', `/api/v1/alerts/${a.id}/deliveries`)).status).toBe(404);
      expect((await call('op-b', 'GET', '/api/v1/alerts/no-such-alert/summary')).status).toBe(404);
      expect((await call('op-b', 'POST', '/api/v1/alerts', { areaCode: '00004', title: 'x', text: 'y' })).status).toBe(403);
      // A commune officer is no alert reader, but the banner is for everyone.
      expect((await call('officer-a', 'GET', `/api/v1/alerts/${a.id}/summary`)).status).toBe(403);

      const bannerOf = async (who: string) => (await ok(who, 'GET', '/api/v1/alerts/banner')).map((b: unknown) => alertBannerItemSchema.parse(b));
      const officer = await bannerOf('officer-a');
      expect(officer.map((b: { id: string }) => b.id).sort()).toEqual([a.id, p.id].sort());
      expect(officer.find((b: { id: string }) => b.id === p.id)).toMatchObject({ areaCode: '01', areaName: 'Tỉnh Một', title: 'Bão số 5', total: 1, played: 0, source: 'manual' });
      expect((await bannerOf('op-b')).map((b: { id: string }) => b.id)).toEqual([p.id]);
      expect((await bannerOf('op-p')).map((b: { id: string }) => b.id).sort()).toEqual([a.id, p.id].sort());
    } finally {
      await ok('admin', 'POST', `/api/v1/alerts/${a.id}/cancel`);
      await ok('admin', 'POST', `/api/v1/alerts/${p.id}/cancel`);
    }
    expect(await ok('officer-a', 'GET', '/api/v1/alerts/banner')).toEqual([]);
  });
});
