import { startTestServer, type TestServer } from './support/server.js';
import { fanoutDone } from './support/fanouts.js';

type Json = Record<string, unknown> & { message?: string };

describe('scheduling HTTP API', () => {
  let t: TestServer;
  const soon = (ms: number) => new Date(Date.now() + ms).toISOString();
  let relayId = '';

  beforeAll(async () => {
    t = await startTestServer();
    await t.api('POST', '/api/v1/areas', { code: '01', name: 'Tỉnh', level: 'province' });
    await t.api('POST', '/api/v1/areas', { code: '00004', name: 'Xã A', level: 'commune', parentCode: '01' });
    await t.api('POST', '/api/v1/areas', { code: '00007', name: 'Xã B', level: 'commune', parentCode: '01' });
    for (const [id, areaCode] of [['spk-1', '00004'], ['spk-2', '00004'], ['spk-3', '00007']] as const) {
      expect((await t.api('POST', '/api/v1/devices', { id, name: id, kind: 'speaker', areaCode })).status).toBe(201);
    }
    const relay = await t.api<Json>('POST', '/api/v1/contents', { type: 'relay', title: 'Đài tỉnh', url: 'http://radio.example.vn/live', durationSeconds: 600, approve: true });
    expect(relay.status).toBe(201);
    relayId = String(relay.body.id);
  });
  afterAll(() => t.close());

  /** A save's answer once its fan-out job has materialised it and sent the devices their timelines. */
  const settled = async <T extends { body: Json }>(r: T): Promise<T> => {
    const job = r.body.fanout as { id: string } | null | undefined;
    if (job) await fanoutDone(t.api, job.id);
    return r;
  };

  it('refuses a relay URL that is not http(s)', async () => {
    const r = await t.api<Json>('POST', '/api/v1/contents', { type: 'relay', title: 'x', url: 'ftp://radio.example.vn/live', durationSeconds: 60 });
    expect(r.status).toBe(400);
  });

  it('creates a recurring schedule, then answers 409 for an overlapping one unless accepted; dry runs save nothing', async () => {
    const startAt = soon(3_600_000);
    const first = await t.api<Json>('POST', '/api/v1/schedules', { contentId: relayId, startAt, rrule: 'FREQ=DAILY;COUNT=3', targets: { areas: ['00004'] } });
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ rrule: 'FREQ=DAILY;COUNT=3', timezone: 'Asia/Ho_Chi_Minh', deviceCount: 2, onPreempt: 'resume', conflicts: [] });
    expect((first.body.occurrences as unknown[]).length).toBe(3);

    const clash = { contentId: relayId, startAt, targets: { devices: ['spk-1'] } };
    const refused = await t.api<Json>('POST', '/api/v1/schedules', clash);
    expect(refused.status).toBe(409);
    expect(refused.body.conflicts).toEqual([expect.objectContaining({ deviceId: 'spk-1', kind: 'conflict', otherScheduleId: first.body.id })]);
    expect(refused.body.conflictTotals).toEqual({ conflicts: 1, preemptions: 0, devices: 1, pairs: 1, truncated: false });

    const dry = await t.api<Json>('POST', '/api/v1/schedules', { ...clash, dryRun: true });
    expect(dry.status).toBe(200);
    expect(dry.body).toMatchObject({ dryRun: true, deviceCount: 1 });

    const accepted = await t.api<Json>('POST', '/api/v1/schedules', { ...clash, acceptConflicts: true });
    expect(accepted.status).toBe(201);
    const urgent = await t.api<Json>('POST', '/api/v1/schedules', { ...clash, priority: 'emergency' });
    expect(urgent.status).toBe(201);
    expect((urgent.body.conflicts as Json[]).every((c) => c.kind === 'preemption' && c.preempts === 'this')).toBe(true);

    const bad = await t.api<Json>('POST', '/api/v1/schedules', { ...clash, rrule: 'FREQ=DAILY;BYMONTHDAY=40' });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/BYMONTHDAY/);
  });

  it('manages groups and device tags; a tagged device receives the group’s schedule', async () => {
    const group = await t.api<Json>('POST', '/api/v1/groups', { name: 'Chợ', tagRule: { any: ['market'] }, deviceIds: ['spk-3'] });
    expect(group.status).toBe(201);
    expect(group.body).toMatchObject({ members: ['spk-3'], memberCount: 1 });
    const s = await settled(await t.api<Json>('POST', '/api/v1/schedules', { contentId: relayId, startAt: soon(5 * 3_600_000), targets: { groups: [group.body.id] } }));
    expect(s.status).toBe(201);
    expect(s.body.deviceCount).toBe(1);

    const patched = await t.api<Json>('PATCH', '/api/v1/devices/spk-2', { tags: ['market'] });
    expect(patched.status).toBe(200);
    expect(patched.body.tags).toEqual(['market']);
    const after = await t.api<Json>('GET', `/api/v1/schedules/${String(s.body.id)}`);
    expect(after.body.deviceCount).toBe(2);

    expect((await t.api<Json[]>('GET', '/api/v1/groups')).body.map((g) => g.id)).toContain(group.body.id);
    const edited = await t.api<Json>('PATCH', `/api/v1/groups/${String(group.body.id)}`, { deviceIds: [], tagRule: { all: ['market'] } });
    expect(edited.body).toMatchObject({ members: ['spk-2'] });
    expect((await t.api<Json>('GET', `/api/v1/schedules/${String(s.body.id)}`)).body.deviceCount).toBe(1);
    expect((await t.api('POST', '/api/v1/groups', { name: 'x', deviceIds: ['ghost'] })).status).toBe(400);
    expect((await t.api('PATCH', '/api/v1/devices/spk-2', { areaCode: 'nowhere' })).status).toBe(400);
  });

  it('edits, cancels and reports', async () => {
    const s = await settled(await t.api<Json>('POST', '/api/v1/schedules', { contentId: relayId, startAt: soon(9 * 3_600_000), targets: { areas: ['01'] }, acceptConflicts: true }));
    const id = String(s.body.id);
    const edited = await settled(await t.api<Json>('PATCH', `/api/v1/schedules/${id}`, { volume: 40, targets: { areas: ['00007'] } }));
    expect(edited.status).toBe(200);
    expect(edited.body).toMatchObject({ volume: 40, deviceCount: 1, targets: { areas: ['00007'], groups: [], devices: [] } });

    const res = await fetch(`${t.baseUrl}/api/v1/schedules/${id}/deliveries?state=queued&limit=1`, { headers: { authorization: `Bearer ${t.token}` } });
    expect(res.headers.get('x-total-count')).toBe('1');
    expect(((await res.json()) as Json[])[0]).toMatchObject({ deviceId: 'spk-3', state: 'queued' });

    const cancelled = await settled(await t.api<Json>('POST', `/api/v1/schedules/${id}/cancel`));
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    const summary = await t.api<Json>('GET', `/api/v1/schedules/${id}/summary`);
    expect(summary.body).toMatchObject({ totals: { skipped: 1 }, occurrences: [expect.objectContaining({ counts: { skipped: 1 } })] });

    const area = await t.api<Json>('GET', `/api/v1/areas/01/deliveries/summary?from=${encodeURIComponent(soon(-3_600_000))}&to=${encodeURIComponent(soon(86_400_000))}`);
    expect(area.status).toBe(200);
    expect(area.body).toMatchObject({ areaCode: '01' });
    expect(Number(area.body.deliveries)).toBeGreaterThan(0);
    expect((await t.api('GET', '/api/v1/areas/99/deliveries/summary')).status).toBe(404);

    const behind = await t.api<{ total: number; devices: Json[] }>('GET', '/api/v1/timelines/behind');
    expect(behind.status).toBe(200);
    expect(behind.body.total).toBe(3); // no agent connected: every device is behind
    expect(behind.body.devices[0]).toMatchObject({ online: false, ackedTimelineVersion: 0 });
  });
});
