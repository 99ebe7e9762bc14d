import { DataSource } from 'typeorm';
import type { AlertView, CapMessagePage, CapReceiveAnswer, CapSourceCreated } from '@loa/shared/rest';
import { validateCap } from '../src/cap/cap-validate.js';
import { capSample, capTime, withIdentifier } from './support/cap.js';
import { seedDevice } from './support/fixtures.js';
import { startTestServerOn, type TestServer } from './support/server.js';

const SENDER = 'canhbao@kttv.gov.vn';

describe.each(['sqlite', 'postgres'])('CAP 1.2 in and out on %s', (db) => {
  let t: TestServer;
  let close: () => Promise<void>;
  let ds: DataSource;
  let source: CapSourceCreated;

  const push = async (xml: string, opts: { src?: CapSourceCreated; auth?: string | null; type?: string } = {}) => {
    const src = opts.src ?? source;
    const auth = opts.auth === undefined ? `Bearer ${src.secret}` : opts.auth;
    const res = await fetch(`${t.baseUrl}/api/v1/cap/sources/${src.id}/messages`, {
      method: 'POST',
      headers: { 'content-type': opts.type ?? 'application/cap+xml', ...(auth ? { authorization: auth } : {}) },
      body: xml,
    });
    return { status: res.status, body: (await res.json()) as CapReceiveAnswer & { message?: string } };
  };
  const alert = async (id: string) => (await t.api<AlertView>('GET', `/api/v1/alerts/${id}`)).body;
  const messageCount = async () => (await t.api<CapMessagePage>('GET', '/api/v1/cap/messages?limit=1')).body.total;
  const alertCount = async () => Number(((await ds.query('SELECT COUNT(*) AS n FROM alerts')) as Array<{ n: number | string }>)[0]!.n);
  const newSource = async (over: Record<string, unknown> = {}) => {
    const res = await t.api<CapSourceCreated>('POST', '/api/v1/cap/sources', { name: 'KTTV', kind: 'push', ...over });
    expect(res.status).toBe(201);
    return res.body;
  };
  /** Sent a minute ago, the onset in ten minutes, expiring in two hours. */
  const times = () => {
    const now = Date.now();
    return { SENT: capTime(now - 60_000), ONSET: capTime(now + 600_000), EXPIRES: capTime(now + 7_200_000) };
  };
  const ref = (xml: string) => `${SENDER},${/<identifier>([^<]+)</.exec(xml)![1]},${/<sent>([^<]+)</.exec(xml)![1]}`;

  beforeAll(async () => {
    ({ t, close } = await startTestServerOn(db));
    ds = t.server.app.get(DataSource);
    for (const a of [
      { code: '01', name: 'Tỉnh Bắc Sơn', level: 'province' },
      { code: '00004', name: 'Xã A', level: 'commune', parentCode: '01' },
      { code: '00007', name: 'Xã B', level: 'commune', parentCode: '01' },
      { code: '00010', name: 'Xã C', level: 'commune', parentCode: '01' },
    ]) {
      expect((await t.api('POST', '/api/v1/areas', a)).status).toBe(201);
    }
    source = await newSource();
  });
  afterAll(() => close());

  it('shows a push source’s secret once and never again', async () => {
    expect(source.secret).toMatch(/^[\w-]{40,}$/);
    expect(source.pushUrl).toBe(`/api/v1/cap/sources/${source.id}/messages`);
    const again = (await t.api<Record<string, unknown>>('GET', `/api/v1/cap/sources/${source.id}`)).body;
    expect(again.secret).toBeUndefined();
    expect(again.hasSecret).toBe(true);
    expect(JSON.stringify((await t.api('GET', '/api/v1/cap/sources')).body)).not.toContain(source.secret!);
  });

  it('maps a valid Alert onto one Loa alert per target area: Vietnamese info, mapped priority, onset and expiry', async () => {
    const tm = times();
    const res = await push(capSample('alert.xml', tm));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ state: 'accepted', duplicate: false });
    expect(res.body.alertIds).toHaveLength(2);
    const made = await Promise.all(res.body.alertIds.map(alert));
    expect(made.map((a) => a.areaCode).sort()).toEqual(['00004', '00007']);
    for (const a of made) {
      expect(a).toMatchObject({ priority: 'emergency', title: 'Cảnh báo bão số 3', source: 'cap', status: 'active' });
      expect(a.text).toBe('Bão số 3 đang tiến vào đất liền, gió giật cấp 12.\n\nNgười dân không ra khơi, gia cố nhà cửa.');
      expect(Date.parse(a.effectiveAt)).toBe(Date.parse(tm.ONSET));
      expect(Date.parse(a.expiresAt)).toBe(Date.parse(tm.EXPIRES));
    }
  });

  it('answers a duplicate (same sender, identifier, sent) as the first time and makes nothing new', async () => {
    const xml = withIdentifier(capSample('alert.xml', times()), 'KTTV-DUP-1');
    const first = await push(xml);
    expect(first.body.state).toBe('accepted');
    const [alerts, messages] = [await alertCount(), await messageCount()];
    const again = await push(xml);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ ...first.body, duplicate: true });
    expect(await alertCount()).toBe(alerts);
    expect(await messageCount()).toBe(messages);
  });

  it('replaces the referenced message’s alerts on an Update and withdraws the areas it no longer targets', async () => {
    const original = withIdentifier(capSample('alert.xml', times()), 'KTTV-UPD-1');
    const first = await push(original);
    const byArea = Object.fromEntries((await Promise.all(first.body.alertIds.map(alert))).map((a) => [a.areaCode, a]));
    const upd = await push(withIdentifier(capSample('update.xml', { ...times(), REFERENCES: ref(original) }), 'KTTV-UPD-2'));
    expect(upd.status).toBe(200);
    expect(upd.body.state).toBe('accepted');
    expect(upd.body.alertIds).toHaveLength(1);
    const replacement = await alert(upd.body.alertIds[0]!);
    expect(replacement).toMatchObject({ areaCode: '00004', priority: 'priority', title: 'Bão số 3 đổi hướng', replaces: byArea['00004']!.id, status: 'active' });
    expect((await alert(byArea['00004']!.id)).status).toBe('superseded');
    expect((await alert(byArea['00007']!.id)).status).toBe('cancelled');
  });

  it('cancels every alert of the referenced message', async () => {
    const original = withIdentifier(capSample('alert.xml', times()), 'KTTV-CAN-1');
    const first = await push(original);
    const res = await push(withIdentifier(capSample('cancel.xml', { ...times(), REFERENCES: ref(original) }), 'KTTV-CAN-2'));
    expect(res.status).toBe(200);
    expect(res.body.state).toBe('accepted');
    expect(res.body.alertIds.sort()).toEqual([...first.body.alertIds].sort());
    for (const id of first.body.alertIds) expect((await alert(id)).status).toBe('cancelled');
  });

  it.each([
    ['update.xml', 'KTTV-UNK-1'],
    ['cancel.xml', 'KTTV-UNK-2'],
  ])('refuses %s naming an unknown reference, and records why', async (file, id) => {
    const before = await alertCount();
    const res = await push(withIdentifier(capSample(file, { ...times(), REFERENCES: `${SENDER},NO-SUCH-MESSAGE,2026-01-01T00:00:00+07:00` }), id));
    expect(res.status).toBe(409);
    expect(res.body.state).toBe('refused');
    expect(res.body.reason).toMatch(/unknown reference.*NO-SUCH-MESSAGE/);
    expect(await alertCount()).toBe(before);
    const page = (await t.api<CapMessagePage>('GET', `/api/v1/cap/messages?state=refused&sourceId=${source.id}`)).body;
    expect(page.items.find((m) => m.identifier === id)).toMatchObject({ state: 'refused', msgType: file === 'update.xml' ? 'Update' : 'Cancel' });
  });

  it.each([
    ['malformed.xml', /malformed XML/],
    ['wrong-namespace.xml', /root element must be <alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">/],
    ['schema-violation.xml', /CAP 1.2 schema.*urgency.*Soon/],
    ['xxe.xml', /DOCTYPE and entity declarations are not allowed/],
  ])('refuses %s with 400 and the validator’s reason, recorded as refused', async (file, reason) => {
    const [before, messages] = [await alertCount(), await messageCount()];
    const res = await push(capSample(file));
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ state: 'refused', alertIds: [] });
    expect(res.body.reason).toMatch(reason);
    expect(await alertCount()).toBe(before);
    expect(await messageCount()).toBe(messages + 1);
  });

  it('refuses a message that has already expired', async () => {
    const now = Date.now();
    const res = await push(withIdentifier(capSample('alert.xml', { SENT: capTime(now - 7_200_000), ONSET: capTime(now - 7_000_000), EXPIRES: capTime(now - 3_600_000) }), 'KTTV-OLD-1'));
    expect(res.status).toBe(422);
    expect(res.body.reason).toMatch(/already expired/);
  });

  it('records a Test message without broadcasting it, and broadcasts it from a source that allows tests', async () => {
    const before = await alertCount();
    const xml = withIdentifier(capSample('alert.xml', { ...times(), STATUS: 'Test' }), 'KTTV-TEST-1');
    const res = await push(xml);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ state: 'test-recorded', alertIds: [] });
    expect(await alertCount()).toBe(before);
    const tester = await newSource({ name: 'KTTV thử nghiệm', allowTest: true });
    const allowed = await push(xml, { src: tester });
    expect(allowed.body.state).toBe('accepted');
    expect(allowed.body.alertIds).toHaveLength(2);
  });

  it('refuses bad or missing credentials with 401 and stores nothing; HTTP Basic with the source id works', async () => {
    const xml = withIdentifier(capSample('alert.xml', times()), 'KTTV-AUTH-1');
    const messages = await messageCount();
    for (const auth of [null, 'Bearer wrong-secret', `Basic ${Buffer.from(`${source.id}:wrong`).toString('base64')}`, `Basic ${Buffer.from(`other:${source.secret}`).toString('base64')}`]) {
      const res = await push(xml, { auth });
      expect(res.status).toBe(401);
    }
    const unknown = await fetch(`${t.baseUrl}/api/v1/cap/sources/00000000-0000-4000-8000-000000000000/messages`, { method: 'POST', headers: { 'content-type': 'application/cap+xml', authorization: `Bearer ${source.secret}` }, body: xml });
    expect(unknown.status).toBe(401);
    expect(await messageCount()).toBe(messages);
    const basic = await push(xml, { auth: `Basic ${Buffer.from(`${source.id}:${source.secret}`).toString('base64')}` });
    expect(basic.body.state).toBe('accepted');
  });

  it('refuses a body over the size limit with 413 before parsing it', async () => {
    const big = capSample('alert.xml', times()).replace('<description>', `<description>${'x'.repeat(2 * 1024 * 1024)}`);
    const res = await fetch(`${t.baseUrl}/api/v1/cap/sources/${source.id}/messages`, { method: 'POST', headers: { 'content-type': 'application/cap+xml', authorization: `Bearer ${source.secret}` }, body: big });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { message: string }).message).toMatch(/more than the 2097152 (bytes )?allowed/);
  });

  it('refuses a body that is not CAP XML by its content type (415)', async () => {
    const res = await push('{"identifier":"x"}', { type: 'application/json' });
    expect(res.status).toBe(415);
  });

  it('reaches the areas of the devices inside a polygon or a circle, choosing the fewest areas', async () => {
    // Two speakers in Xã B near (21.02, 105.80), one in Xã C far away; none in Xã A.
    for (const [id, area, lat, lon] of [
      ['cap-spk-b1', '00007', 21.02, 105.8],
      ['cap-spk-b2', '00007', 21.021, 105.801],
      ['cap-spk-c1', '00010', 21.5, 106.3],
    ] as const) {
      await seedDevice(ds, id, area);
      await ds.query(db === 'sqlite' ? 'UPDATE devices SET latitude = ?, longitude = ? WHERE id = ?' : 'UPDATE devices SET latitude = $1, longitude = $2 WHERE id = $3', [lat, lon, id]);
    }
    const polygon = '<polygon>21.0,105.79 21.0,105.81 21.03,105.81 21.03,105.79 21.0,105.79</polygon>';
    const p = await push(capSample('geo.xml', { ...times(), IDENTIFIER: 'KTTV-GEO-1', SHAPE: polygon }));
    expect(p.body.state).toBe('accepted');
    expect((await Promise.all(p.body.alertIds.map(alert))).map((a) => [a.areaCode, a.priority])).toEqual([['00007', 'emergency']]);
    // Xã C's speaker is ≈ 74 km from the centre: a 55 km circle stays short of it, an 80 km one reaches it.
    const near = await push(capSample('geo.xml', { ...times(), IDENTIFIER: 'KTTV-GEO-2', SHAPE: '<circle>21.02,105.8 55</circle>' }));
    expect((await Promise.all(near.body.alertIds.map(alert))).map((a) => a.areaCode)).toEqual(['00007']);
    const far = await push(capSample('geo.xml', { ...times(), IDENTIFIER: 'KTTV-GEO-3', SHAPE: '<circle>21.02,105.8 80</circle>' }));
    expect((await Promise.all(far.body.alertIds.map(alert))).map((a) => a.areaCode).sort()).toEqual(['00007', '00010']);
    const empty = await push(capSample('geo.xml', { ...times(), IDENTIFIER: 'KTTV-GEO-4', SHAPE: '<circle>10.0,106.0 1</circle>' }));
    expect(empty.status).toBe(422);
    expect(empty.body.reason).toMatch(/no Loa area matched/);
  });

  it('publishes Loa alerts as an Atom feed and as CAP 1.2 that passes the OASIS schema (Alert, Update, Cancel)', async () => {
    expect((await t.api('POST', '/api/v1/areas', { code: '00013', name: 'Xã D', level: 'commune', parentCode: '01' })).status).toBe(201);
    const get = async (id: string) => {
      const res = await fetch(`${t.baseUrl}/api/v1/cap/alerts/${id}.xml`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/application\/cap\+xml/);
      const xml = await res.text();
      await expect(validateCap(xml)).resolves.toBeUndefined();
      return xml;
    };
    const original = capSample('geo.xml', { ...times(), IDENTIFIER: 'KTTV-OUT-1', SHAPE: '<geocode><valueName>MaDVHC</valueName><value>00013</value></geocode>' });
    const first = await push(original);
    const alertId = first.body.alertIds[0]!;
    const alertXml = await get(alertId);
    expect(alertXml).toContain('<msgType>Alert</msgType>');
    expect(alertXml).not.toContain('<references>');
    expect(alertXml).toContain('<value>00013</value>');
    // The update targets Xã A only: Xã D's alert is withdrawn, Xã A's earlier alert replaced.
    const upd = await push(withIdentifier(capSample('update.xml', { ...times(), REFERENCES: ref(original) }), 'KTTV-OUT-2'));
    const updXml = await get(upd.body.alertIds[0]!);
    expect(updXml).toContain('<msgType>Update</msgType>');
    expect(updXml).toMatch(/<references>loa@127\.0\.0\.1,loa-[\w-]+,\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00<\/references>/);
    const cancelXml = await get(alertId);
    expect(cancelXml).toContain('<msgType>Cancel</msgType>');
    expect(cancelXml).toContain(`<references>loa@127.0.0.1,loa-${alertId},`);
    const feed = await fetch(`${t.baseUrl}/api/v1/cap/alerts.atom`);
    expect(feed.status).toBe(200);
    expect(feed.headers.get('content-type')).toMatch(/application\/atom\+xml/);
    const atom = await feed.text();
    expect(atom).toContain(`/api/v1/cap/alerts/${upd.body.alertIds[0]}.xml`);
    expect(atom.indexOf(`urn:loa:alert:${upd.body.alertIds[0]}`)).toBeLessThan(atom.indexOf(`urn:loa:alert:${alertId}`));
    // Our own output goes back in: a Loa downstream of us takes it as an emergency on the same area.
    const downstream = await newSource({ name: 'Loa upstream' });
    const back = await push(alertXml, { src: downstream });
    expect(back.body.state).toBe('accepted');
    expect(await alert(back.body.alertIds[0]!)).toMatchObject({ areaCode: '00013', priority: 'emergency' });
    expect((await fetch(`${t.baseUrl}/api/v1/cap/alerts/nope.xml`)).status).toBe(404);
  });

  it('validates a source and rotates a push secret (the old one stops working)', async () => {
    const bad = await t.api('POST', '/api/v1/cap/sources', { name: 'x', kind: 'feed' });
    expect(bad.status).toBe(400);
    const rotated = await t.api<CapSourceCreated>('PATCH', `/api/v1/cap/sources/${source.id}`, { rotateSecret: true });
    expect(rotated.body.secret).toBeTruthy();
    expect((await push(withIdentifier(capSample('alert.xml', times()), 'KTTV-ROT-1'))).status).toBe(401);
    source = { ...source, secret: rotated.body.secret };
    expect((await push(withIdentifier(capSample('alert.xml', times()), 'KTTV-ROT-2'))).status).toBe(200);
  });

  it('holds an untrusted source’s alerts for a second person under the two-person rule, and lets a trusted one through', async () => {
    const current = (await t.api<{ emergency: Record<string, unknown> }>('GET', '/api/v1/settings/approval')).body;
    expect((await t.api('PUT', '/api/v1/settings/approval', { ...current, emergency: { ...current.emergency, twoPerson: true } })).status).toBe(200);
    try {
      const heldXml = withIdentifier(capSample('alert.xml', times()), 'KTTV-2P-1');
      const held = await push(heldXml);
      expect(held.body.state).toBe('pending');
      expect(held.body.reason).toMatch(/wait for a second person/);
      for (const id of held.body.alertIds) expect((await alert(id)).status).toBe('pending');
      const trusted = await newSource({ name: 'KTTV tin cậy', trusted: true });
      const through = await push(withIdentifier(capSample('alert.xml', times()), 'KTTV-2P-2'), { src: trusted });
      expect(through.body.state).toBe('accepted');
      for (const id of through.body.alertIds) expect((await alert(id)).status).toBe('active');
      // A Cancel withdraws what still waits for confirmation too.
      const cancel = await push(withIdentifier(capSample('cancel.xml', { ...times(), REFERENCES: ref(heldXml) }), 'KTTV-2P-3'));
      expect(cancel.body).toMatchObject({ state: 'accepted' });
      for (const id of held.body.alertIds) expect((await alert(id)).status).toBe('cancelled');
    } finally {
      await t.api('PUT', '/api/v1/settings/approval', current);
    }
  });

  it('lets only admins manage sources; operators and approvers read the received messages', async () => {
    const as = async (token: string, method: string, url: string, body?: unknown) =>
      (await fetch(t.baseUrl + url, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) })).status;
    const tokens: Record<string, string> = {};
    for (const role of ['operator', 'approver'] as const) {
      expect((await t.api('POST', '/api/v1/users', { username: `cap-${role}`, password: 'cap-password-1', role, areaCode: '01' })).status).toBe(201);
      const login = await fetch(`${t.baseUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: `cap-${role}`, password: 'cap-password-1' }) });
      tokens[role] = ((await login.json()) as { accessToken: string }).accessToken;
    }
    for (const token of Object.values(tokens)) {
      expect(await as(token, 'GET', '/api/v1/cap/sources')).toBe(403);
      expect(await as(token, 'POST', '/api/v1/cap/sources', { name: 'x', kind: 'push' })).toBe(403);
      expect(await as(token, 'PATCH', `/api/v1/cap/sources/${source.id}`, { rotateSecret: true })).toBe(403);
      expect(await as(token, 'DELETE', `/api/v1/cap/sources/${source.id}`)).toBe(403);
      expect(await as(token, 'GET', '/api/v1/cap/messages')).toBe(200);
    }
    expect((await t.api('GET', `/api/v1/cap/sources/${source.id}`)).status).toBe(200);
  });
});
