import type { ContentView } from '@loa/shared/rest';
import { startTestServerOn, type TestServer } from './support/server.js';

/**
 * Issue 18: audio content made from a TTS synthesis carries the text it speaks, as typed (not the normalised form), as
 * its board text, unless the request gives one. Real server (eSpeak-NG, the audio pipeline) on SQLite: which text is
 * kept is the service's choice, and content text round-trips through PostgreSQL in contents-lifecycle.spec.ts, so a
 * second server and synthesis on PostgreSQL proved nothing more.
 */
const TYPED = '  Lúc 14h30 ngày 07/9, UBND xã họp dân về phòng chống bão số 9.  ';

describe.each(['sqlite'])('TTS text as board text on %s', (db) => {
  let t: TestServer;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ t, close } = await startTestServerOn(db));
  }, 120_000);
  afterAll(() => close());

  it('gives audio content made from speech the typed text, and keeps a board text given in the request', async () => {
    const tts = await t.api<{ media: { sha256: string }; normalizedText: string }>('POST', '/api/v1/tts', { text: TYPED, voice: 'female', accent: 'north', speed: 1 });
    expect(tts.status).toBe(201);
    expect(tts.body.normalizedText).toContain('mười bốn giờ ba mươi');

    const made = await t.api<ContentView>('POST', '/api/v1/contents', { type: 'audio', title: 'Họp dân', mediaSha256: tts.body.media.sha256 });
    expect(made.status).toBe(201);
    expect(made.body.text).toBe(TYPED.trim());
    expect((await t.api<ContentView>('GET', `/api/v1/contents/${made.body.id}`)).body.text).toBe(TYPED.trim());

    const given = await t.api<ContentView>('POST', '/api/v1/contents', { type: 'audio', title: 'Họp dân (bảng)', mediaSha256: tts.body.media.sha256, text: 'Họp dân 14:30' });
    expect(given.status).toBe(201);
    expect(given.body.text).toBe('Họp dân 14:30');
  });
});
