import { DataSource } from 'typeorm';
import { ttsDictionaryEntryViewSchema, type TtsDictionaryEntryView } from '@loa/shared/rest';
import { DATABASES } from './support/databases.js';
import { startTestServerOn, type TestServer } from './support/server.js';

interface Coded {
  code?: string;
  params?: Record<string, string | number>;
  message?: string;
}

/**
 * Issue 19 item 9: the installation's pronunciation dictionary — admin-only CRUD with coded refusals, applied in
 * "Xem cách đọc" (preview-text) and before synthesis with the real eSpeak-NG engine — on SQLite and PostgreSQL.
 */
describe.each(DATABASES)('TTS pronunciation dictionary on %s', (name) => {
  let t: TestServer;
  let close: () => Promise<void>;
  const tokens: Record<string, string> = {};
  const PW = 'password-123';

  const call = async <T = Coded>(who: string, method: string, url: string, body?: unknown): Promise<{ status: number; body: T }> => {
    const res = await fetch(t.baseUrl + url, {
      method,
      headers: { authorization: `Bearer ${tokens[who] ?? ''}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
  const preview = async (who: string, text: string) => (await call<{ normalizedText: string }>(who, 'POST', '/api/v1/tts/preview-text', { text })).body.normalizedText;

  beforeAll(async () => {
    ({ t, close } = await startTestServerOn(name));
    tokens.admin = t.token;
    expect((await call('admin', 'POST', '/api/v1/areas', { code: '01', name: 'Tỉnh', level: 'province' })).status).toBe(201);
    expect((await call('admin', 'POST', '/api/v1/users', { username: 'op-dict', password: PW, role: 'operator', areaCode: '01' })).status).toBe(201);
    tokens.operator = (await call<{ accessToken: string }>('nobody', 'POST', '/api/v1/auth/login', { username: 'op-dict', password: PW })).body.accessToken;
  }, 60_000);
  afterAll(() => close());

  it('lets an administrator add, list, change and remove entries; refusals carry codes', async () => {
    const made = await call<TtsDictionaryEntryView>('admin', 'POST', '/api/v1/tts/dictionary', { term: 'KCN', spoken: 'khu công nghiệp', note: 'viết tắt' });
    expect(made.status).toBe(201);
    expect(ttsDictionaryEntryViewSchema.parse(made.body)).toEqual(made.body);
    expect(made.body).toMatchObject({ term: 'KCN', spoken: 'khu công nghiệp', caseSensitive: true, note: 'viết tắt', updatedAt: null });

    const dup = await call('admin', 'POST', '/api/v1/tts/dictionary', { term: 'KCN', spoken: 'ca xê en nờ' });
    expect(dup.status).toBe(409);
    expect(dup.body).toMatchObject({ code: 'tts.dictionary-duplicate', params: { term: 'KCN' } });

    const zalo = await call<TtsDictionaryEntryView>('admin', 'POST', '/api/v1/tts/dictionary', { term: 'zalo', spoken: 'da lô' });
    expect(zalo.body.caseSensitive).toBe(false);
    const list = await call<TtsDictionaryEntryView[]>('admin', 'GET', '/api/v1/tts/dictionary');
    expect(list.body.map((e) => e.term)).toEqual(['KCN', 'zalo']);

    const changed = await call<TtsDictionaryEntryView>('admin', 'PATCH', `/api/v1/tts/dictionary/${zalo.body.id}`, { spoken: 'da lô ứng dụng' });
    expect(changed.status).toBe(200);
    expect(changed.body.spoken).toBe('da lô ứng dụng');
    expect(changed.body.updatedAt).not.toBeNull();
    const clash = await call('admin', 'PATCH', `/api/v1/tts/dictionary/${zalo.body.id}`, { term: 'KCN' });
    expect(clash.status).toBe(409);
    expect(clash.body.code).toBe('tts.dictionary-duplicate');

    expect((await call('admin', 'DELETE', `/api/v1/tts/dictionary/${zalo.body.id}`)).status).toBe(204);
    const gone = await call('admin', 'DELETE', `/api/v1/tts/dictionary/${zalo.body.id}`);
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ code: 'tts.dictionary-not-found', params: { id: zalo.body.id } });
    const missing = await call('admin', 'PATCH', '/api/v1/tts/dictionary/nope', { spoken: 'x' });
    expect(missing.body.code).toBe('tts.dictionary-not-found');

    const bad = await call('admin', 'POST', '/api/v1/tts/dictionary', { term: '  ', spoken: 'x' });
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('request.invalid');
    expect((await call<TtsDictionaryEntryView[]>('admin', 'GET', '/api/v1/tts/dictionary')).body.map((e) => e.term)).toEqual(['KCN']);
  });

  it('refuses the dictionary to an operator with role.forbidden, yet applies it to the operator\'s previews', async () => {
    for (const [method, url, body] of [
      ['GET', '/api/v1/tts/dictionary', undefined],
      ['POST', '/api/v1/tts/dictionary', { term: 'HTX', spoken: 'hợp tác xã' }],
      ['PATCH', '/api/v1/tts/dictionary/any', { spoken: 'x' }],
      ['DELETE', '/api/v1/tts/dictionary/any', undefined],
    ] as const) {
      const r = await call('operator', method, url, body);
      expect([method, url, r.status]).toEqual([method, url, 403]);
      expect(r.body).toMatchObject({ code: 'role.forbidden', params: { role: 'operator' } });
    }
    expect(await preview('operator', 'Họp tại KCN Bắc Thăng Long')).toBe('họp tại khu công nghiệp bắc thăng long.');
  });

  it('applies entries whole-word, with the case rule, before the built-in readings', async () => {
    await call('admin', 'POST', '/api/v1/tts/dictionary', { term: 'Ea Kar', spoken: 'ê a ca' });
    await call('admin', 'POST', '/api/v1/tts/dictionary', { term: 'QL1A', spoken: 'đường một a' });
    // "kcn" in lower case is not the acronym "KCN" (an entry with capitals matches as written); "KCNX" is another word.
    expect(await preview('admin', 'KCN, kcn và KCNX')).toBe('khu công nghiệp, kcn và ca xê en nờ ích xì.');
    expect(await preview('admin', 'Huyện Ea Kar, QL1A, QL14')).toBe('huyện ê a ca, đường một a, quốc lộ mười bốn.');
  });

  it('synthesises with the dictionary applied (real eSpeak-NG) and stores the text as typed', async () => {
    const typed = 'Bà con KCN gọi 0912.345.678 trước 17h30 ngày 05/12/2026.';
    const r = await call<{ normalizedText: string; engine: string; media: { sha256: string; durationMs: number } }>('admin', 'POST', '/api/v1/tts', { text: typed, voice: 'female', accent: 'north', speed: 1 });
    expect(r.status).toBe(201);
    expect(r.body.engine).toBe('espeak');
    expect(r.body.normalizedText).toBe(
      'bà con khu công nghiệp gọi không chín một hai, ba bốn năm, sáu bảy tám trước mười bảy giờ ba mươi phút ngày năm tháng mười hai năm hai nghìn không trăm hai mươi sáu.',
    );
    expect(r.body.media.durationMs).toBeGreaterThan(3000);
    const rows = (await t.server.app.get(DataSource).query(`SELECT spoken_text FROM media WHERE sha256 = '${r.body.media.sha256}'`)) as Array<{ spoken_text: string }>;
    expect(rows[0]?.spoken_text).toBe(typed);
  }, 120_000);
});
