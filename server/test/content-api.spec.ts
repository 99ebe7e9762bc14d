import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DataSource } from 'typeorm';
import { timelineMessageSchema } from '@loa/shared';
import { TimelineEntity } from '../src/timelines/timeline.entity.js';
import { fanoutDone } from './support/fanouts.js';
import { startTestServer, type TestServer } from './support/server.js';

type Json = Record<string, unknown>;
const soon = (ms = 3_600_000): string => new Date(Date.now() + ms).toISOString();

describe('content lifecycle and board content over HTTP', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer();
    await t.api('POST', '/api/v1/areas', { code: '01', name: 'Tỉnh', level: 'province' });
    await t.api('POST', '/api/v1/devices', { id: 'board-1', name: 'Bảng tin', kind: 'board', areaCode: '01' });
    await t.api('POST', '/api/v1/devices', { id: 'spk-1', name: 'Loa', kind: 'speaker', areaCode: '01' });
  });
  afterAll(() => t.close());

  /** The device's stored timeline once the save's fan-out job (which compiles it, after the save answered) is done. */
  const timeline = async (deviceId: string, saved: Json) => {
    await fanoutDone((m, u, b) => t.api(m, u, b), (saved.fanout as { id: string }).id);
    const row = await t.server.app.get(DataSource).getRepository(TimelineEntity).findOneByOrFail({ deviceId });
    return timelineMessageSchema.parse(JSON.parse(row.payload));
  };

  it('schedules only approved content: 400 naming the state otherwise; the approve/reject/submit/archive routes work', async () => {
    const draft = await t.api<Json>('POST', '/api/v1/contents', { type: 'text', title: 'Thông báo', text: 'Tiêm chủng', displaySeconds: 20 });
    expect(draft.body).toMatchObject({ state: 'draft' });
    const id = String(draft.body.id);
    const refused = await t.api<Json>('POST', '/api/v1/schedules', { contentId: id, startAt: soon(), targets: { devices: ['board-1'] } });
    expect(refused.status).toBe(400);
    expect(refused.body.message).toBe(`content ${id} is draft: only approved content can be scheduled`);
    const playNow = await t.api<Json>('POST', '/api/v1/commands', { command: { type: 'playNow', contentId: id }, target: { deviceId: 'board-1' }, ttlS: 60 });
    expect(playNow.status).toBe(400);
    expect(String(playNow.body.message)).toContain('is draft: only approved content can be played');

    expect((await t.api<Json>('POST', `/api/v1/contents/${id}/submit`)).body).toMatchObject({ state: 'submitted' });
    const noReason = await t.api<Json>('POST', `/api/v1/contents/${id}/reject`, {});
    expect(noReason.status).toBe(400);
    expect((await t.api<Json>('POST', `/api/v1/contents/${id}/reject`, { reason: 'Thiếu địa điểm' })).body).toMatchObject({ state: 'rejected', rejectReason: 'Thiếu địa điểm' });
    const edited = await t.api<Json>('PATCH', `/api/v1/contents/${id}`, { text: 'Tiêm chủng tại trạm y tế xã', style: { fontSize: 'large', color: '#ffff00', background: '#000080' } });
    expect(edited.status).toBe(200);
    await t.api('POST', `/api/v1/contents/${id}/submit`);
    expect((await t.api<Json>('POST', `/api/v1/contents/${id}/approve`)).body).toMatchObject({ state: 'approved' });
    const immutable = await t.api<Json>('PATCH', `/api/v1/contents/${id}`, { title: 'x' });
    expect(immutable.status).toBe(409);

    const ok = await t.api<Json>('POST', '/api/v1/schedules', { contentId: id, startAt: soon(), targets: { devices: ['board-1'] } });
    expect(ok.status).toBe(201);
    const slot = (await timeline('board-1', ok.body)).slots.find((s) => s.contentId === id);
    expect(slot).toMatchObject({ type: 'text', text: 'Tiêm chủng tại trạm y tế xã', style: { fontSize: 'large', color: '#ffff00', background: '#000080' } });

    expect((await t.api<Json>('POST', `/api/v1/contents/${id}/archive`)).body).toMatchObject({ state: 'archived' });
    const archived = await t.api<Json>('POST', '/api/v1/schedules', { contentId: id, startAt: soon(7_200_000), targets: { devices: ['board-1'] } });
    expect(archived.body.message).toBe(`content ${id} is archived: only approved content can be scheduled`);
  });

  it('refuses invalid styles (colour, size) with 400', async () => {
    for (const style of [{ color: 'red' }, { fontSize: 'huge' }, { mode: 'blink' }, { background: '#12345' }]) {
      const r = await t.api('POST', '/api/v1/contents', { type: 'text', title: 'x', text: 'y', style });
      expect(r.status).toBe(400);
    }
  });

  it('board profiles CRUD; a board gets a profile and its timeline carries the image variant for it', async () => {
    const profile = await t.api<Json>('POST', '/api/v1/board-profiles', { name: 'LED P10 192×96', width: 192, height: 96 });
    expect(profile.status).toBe(201);
    const pid = String(profile.body.id);
    expect((await t.api<Json[]>('GET', '/api/v1/board-profiles')).body.map((p) => p.name)).toContain('LED P10 192×96');
    expect((await t.api<Json>('PATCH', `/api/v1/board-profiles/${pid}`, { name: 'LED P10 (192×96)' })).body).toMatchObject({ name: 'LED P10 (192×96)' });
    expect((await t.api<Json>('PATCH', '/api/v1/devices/spk-1', { profileId: pid })).status).toBe(400);
    expect((await t.api<Json>('PATCH', '/api/v1/devices/board-1', { profileId: 'nope' })).status).toBe(400);
    expect((await t.api<Json>('PATCH', '/api/v1/devices/board-1', { profileId: pid })).body).toMatchObject({ profileId: pid });
    expect((await t.api<Json>('DELETE', `/api/v1/board-profiles/${pid}`)).status).toBe(409);

    const png = path.join(t.dataDir, 'poster.png');
    execFileSync(ffmpegInstaller.path, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc=size=640x480', '-frames:v', '1', png]);
    const res = await fetch(`${t.baseUrl}/api/v1/contents/images?title=${encodeURIComponent('Áp phích')}&displaySeconds=15&approve=true`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.token}`, 'content-type': 'image/png' },
      body: readFileSync(png),
    });
    expect(res.status).toBe(201);
    const image = (await res.json()) as Json;
    expect(image).toMatchObject({ type: 'image', state: 'approved', durationMs: 15_000, image: { width: 640, height: 480 } });
    const bad = await fetch(`${t.baseUrl}/api/v1/contents/images?title=x`, { method: 'POST', headers: { authorization: `Bearer ${t.token}`, 'content-type': 'image/png' }, body: 'not an image' });
    expect(bad.status).toBe(400);

    const s = await t.api<Json>('POST', '/api/v1/schedules', { contentId: image.id, startAt: soon(10_800_000), targets: { devices: ['board-1'] } });
    expect(s.status).toBe(201);
    const slot = (await timeline('board-1', s.body)).slots.find((x) => x.contentId === image.id);
    expect(slot).toMatchObject({ type: 'image', fit: 'contain', media: { mime: 'image/png' } });
    // The variant is the profile's, downloadable by the device like any media.
    const variant = await fetch(`${t.baseUrl}/api/v1/contents/${String(image.id)}/preview?profileId=${pid}`, { headers: { authorization: `Bearer ${t.token}` } });
    expect(variant.headers.get('content-type')).toMatch(/text\/html/);
    expect(await variant.text()).toContain('--w: 192px; --h: 96px;');
    const media = await t.api<Json>('GET', `/api/v1/media/${(slot as { media: { sha256: string } }).media.sha256}/info`);
    expect(media.status).toBe(200);

    expect((await t.api<Json>('PATCH', '/api/v1/devices/board-1', { profileId: null })).body).toMatchObject({ profileId: null });
    expect((await t.api('DELETE', `/api/v1/board-profiles/${pid}`)).status).toBe(204);
  });
});
