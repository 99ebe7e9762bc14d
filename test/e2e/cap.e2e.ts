/**
 * Issue 18, CAP 1.2 in with real `loa-agent` speakers writing their output to WAV files: a province warning service
 * (a real HTTP server here) publishes an Atom feed of CAP messages; Loa polls it as a trusted feed source.
 * An Alert plays as an emergency on the commune's speakers, an Update replaces it, and a speaker that was offline
 * across the Cancel connects afterwards, holds the cancellation and plays nothing.
 */
import { jest } from '@jest/globals';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import type { AlertDeliveryPage, AlertView, CapSourceCreated } from '@loa/shared/rest';
import { ADMIN_PASSWORD, ADMIN_USERNAME, artifactsDir, loa, makeTone, spawnAgent, spawnServer, stopAll, tempDir, waitFor, type TestAgent, type TestServer } from './support/index.js';

jest.setTimeout(240_000);

const SUITE = 'cap';
const COMMUNE = '00004';
const SENDER = 'canhbao@kttv.gov.vn';
const CHROMIUM = process.env.LOA_E2E_CHROMIUM ?? '/usr/bin/chromium';

/** CAP wants an explicit offset: Vietnam time. */
const capTime = (ms: number): string => `${new Date(Math.floor(ms / 1000) * 1000 + 7 * 3_600_000).toISOString().slice(0, 19)}+07:00`;

function capMessage(o: { id: string; sent: string; msgType: 'Alert' | 'Update' | 'Cancel'; references?: string; headline?: string; audioUrl?: string }): string {
  const now = Date.now();
  const info =
    o.msgType === 'Cancel'
      ? ''
      : `<info><language>vi-VN</language><category>Met</category><event>Bão</event><urgency>Immediate</urgency><severity>Extreme</severity><certainty>Observed</certainty>` +
        `<expires>${capTime(now + 3_600_000)}</expires><headline>${o.headline}</headline><description>Người dân vào nơi trú ẩn an toàn.</description>` +
        `<resource><resourceDesc>Bản tin</resourceDesc><mimeType>audio/mpeg</mimeType><uri>${o.audioUrl}</uri></resource>` +
        `<area><areaDesc>Xã Yên Thịnh</areaDesc><geocode><valueName>MaDVHC</valueName><value>${COMMUNE}</value></geocode></area></info>`;
  return (
    `<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>${o.id}</identifier><sender>${SENDER}</sender><sent>${o.sent}</sent>` +
    `<status>Actual</status><msgType>${o.msgType}</msgType><scope>Public</scope>${o.references ? `<references>${o.references}</references>` : ''}${info}</alert>`
  );
}

describe('CAP feed to real speakers', () => {
  let server: TestServer;
  let warn: Server;
  let base = '';
  const files = new Map<string, Buffer>();
  const entries: string[] = [];
  let source: CapSourceCreated;
  let steady: TestAgent;
  let roaming: TestAgent;
  let roamingSecret: string;
  const roamingData = tempDir('cap-agent-roaming');
  const outSteady = tempDir('cap-out-steady');
  const outRoaming = tempDir('cap-out-roaming');
  let first: AlertView;
  let updated: AlertView;
  let sentA1 = '';
  let sentA2 = '';

  const publish = (id: string, xml: string) => {
    files.set(`/cap/${id}.xml`, Buffer.from(xml));
    entries.unshift(`<entry><id>urn:kttv:${id}</id><title>${id}</title><updated>${new Date().toISOString()}</updated><link rel="alternate" type="application/cap+xml" href="/cap/${id}.xml"/></entry>`);
    files.set('/feed.atom', Buffer.from(`<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom"><id>urn:kttv</id><title>KTTV</title><updated>${new Date().toISOString()}</updated>${entries.join('')}</feed>`));
  };
  /** Polls the feed now (what the leader's job does every interval) and answers the message recorded for `id`. */
  const pollFor = async (id: string) => {
    const r = await server.api.post<{ handled: number; error: string | null }>(`/api/v1/cap/sources/${source.id}/poll`, {}, 200);
    expect(r).toEqual({ handled: 1, error: null });
    const page = await server.api.get<{ items: Array<{ identifier: string; state: string; reason: string | null; alertIds: string[] }> }>(`/api/v1/cap/messages?sourceId=${source.id}`);
    return page.items.find((m) => m.identifier === id)!;
  };
  const record = async (alertId: string, deviceId: string) => (await server.api.get<AlertDeliveryPage>(`/api/v1/alerts/${alertId}/deliveries?limit=500`)).items.find((d) => d.deviceId === deviceId);
  const outputsOf = (dir: string, alertId: string) => readdirSync(dir).filter((f) => f.includes(alertId));

  beforeAll(async () => {
    const media = tempDir('cap-media');
    files.set('/audio/long.mp3', readFileSync(await makeTone(path.join(media, 'long.mp3'), 90, 440)));
    files.set('/audio/short.mp3', readFileSync(await makeTone(path.join(media, 'short.mp3'), 3, 880)));
    warn = createServer((req, res) => {
      const f = files.get(req.url ?? '');
      if (!f) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': req.url!.endsWith('.mp3') ? 'audio/mpeg' : 'application/xml' }).end(f);
    });
    await new Promise<void>((r) => warn.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(warn.address() as AddressInfo).port}`;
    server = await spawnServer({ suite: SUITE });
    await loa.createArea(server.api, { code: '01', name: 'Tỉnh Một', level: 'province' });
    await loa.createArea(server.api, { code: COMMUNE, name: 'Xã Yên Thịnh', level: 'commune', parentCode: '01' });
    const a = await loa.createDevice(server.api, { id: 'spk-cap-steady', name: 'Loa chợ', kind: 'speaker', areaCode: COMMUNE });
    roamingSecret = (await loa.createDevice(server.api, { id: 'spk-cap-roaming', name: 'Loa bến đò', kind: 'speaker', areaCode: COMMUNE })).secret;
    steady = await spawnAgent({ suite: SUITE, serverUrl: server.baseUrl, mqttUrl: server.mqttUrl, deviceId: 'spk-cap-steady', secret: a.secret, kind: 'speaker', audioOutput: `file:${outSteady}/{occurrenceId}-{seq}.wav` });
    roaming = await spawnAgent({ suite: SUITE, name: 'agent-roaming-1', dataDir: roamingData, serverUrl: server.baseUrl, mqttUrl: server.mqttUrl, deviceId: 'spk-cap-roaming', secret: roamingSecret, kind: 'speaker', audioOutput: `file:${outRoaming}/{occurrenceId}-{seq}.wav` });
    // Trusted: published without waiting for a second person, as an operator would set up the province's service.
    source = await server.api.post<CapSourceCreated>('/api/v1/cap/sources', { name: 'KTTV tỉnh', kind: 'feed', feedUrl: `${base}/feed.atom`, trusted: true, pollIntervalS: 3600 });
  });

  afterAll(async () => {
    await stopAll();
    await new Promise<void>((r) => warn?.close(() => r()) ?? r());
  });

  it('plays a CAP Alert from the feed as an emergency on the commune’s speakers', async () => {
    sentA1 = capTime(Date.now() - 5000);
    publish('A1', capMessage({ id: 'A1', sent: sentA1, msgType: 'Alert', headline: 'Bão số 5 đổ bộ', audioUrl: `${base}/audio/long.mp3` }));
    const m = await pollFor('A1');
    expect(m).toMatchObject({ state: 'accepted', reason: null });
    first = await server.api.get<AlertView>(`/api/v1/alerts/${m.alertIds[0]}`);
    expect(first).toMatchObject({ areaCode: COMMUNE, priority: 'emergency', source: 'cap', status: 'active', title: 'Bão số 5 đổ bộ' });
    for (const d of ['spk-cap-steady', 'spk-cap-roaming']) {
      await waitFor(async () => (await record(first.id, d))?.state === 'started', 60_000, { what: `${d} playing the CAP alert`, intervalMs: 100 });
    }
    const book = JSON.parse(readFileSync(path.join(steady.dataDir, 'alerts.json'), 'utf8')) as Record<string, { id: string; priority: string }>;
    expect(book[COMMUNE]).toMatchObject({ id: first.id, priority: 'emergency' });
    expect(outputsOf(outSteady, first.id).length).toBeGreaterThan(0);
  });

  it('replaces it with the Update: the speaker stops the first and plays the new audio', async () => {
    // The second speaker goes offline now and stays so across the Update and the Cancel.
    await roaming.stop();
    sentA2 = capTime(Date.now() - 1000);
    publish('A2', capMessage({ id: 'A2', sent: sentA2, msgType: 'Update', references: `${SENDER},A1,${sentA1}`, headline: 'Bão số 5 đổi hướng', audioUrl: `${base}/audio/short.mp3` }));
    const m = await pollFor('A2');
    expect(m.state).toBe('accepted');
    updated = await server.api.get<AlertView>(`/api/v1/alerts/${m.alertIds[0]}`);
    expect(updated).toMatchObject({ areaCode: COMMUNE, priority: 'emergency', replaces: first.id, title: 'Bão số 5 đổi hướng' });
    expect(updated.mediaSha256).not.toBe(first.mediaSha256);
    await waitFor(async () => (await record(updated.id, 'spk-cap-steady'))?.state === 'finished', 60_000, { what: 'spk-cap-steady playing the update', intervalMs: 100 });
    expect(await record(first.id, 'spk-cap-steady')).toMatchObject({ state: 'withdrawn' });
    expect(outputsOf(outSteady, updated.id).length).toBeGreaterThan(0);
  });

  it('cancels it; the speaker offline across the Cancel connects afterwards, holds the cancellation and plays nothing', async () => {
    publish('A3', capMessage({ id: 'A3', sent: capTime(Date.now()), msgType: 'Cancel', references: `${SENDER},A1,${sentA1} ${SENDER},A2,${sentA2}` }));
    const m = await pollFor('A3');
    expect(m).toMatchObject({ state: 'accepted', alertIds: [updated.id] });
    expect((await server.api.get<AlertView>(`/api/v1/alerts/${updated.id}`)).status).toBe('cancelled');
    const before = readdirSync(outRoaming).sort();
    const again = await spawnAgent({ suite: SUITE, name: 'agent-roaming-2', dataDir: roamingData, serverUrl: server.baseUrl, mqttUrl: server.mqttUrl, deviceId: 'spk-cap-roaming', secret: roamingSecret, kind: 'speaker', audioOutput: `file:${outRoaming}/{occurrenceId}-{seq}.wav` });
    // What proves the agent processed the channel: the retained cancellation is in its alert book, and it said so.
    const book = path.join(again.dataDir, 'alerts.json');
    await waitFor(
      () => existsSync(book) && readFileSync(book, 'utf8').includes(`"references":"${updated.id}"`) && again.proc.stdout().includes('"msgType":"cancel"'),
      30_000,
      { what: 'spk-cap-roaming holding the cancellation' },
    );
    const held = JSON.parse(readFileSync(book, 'utf8')) as Record<string, { msgType: string; id: string }>;
    expect(held[COMMUNE]).toMatchObject({ msgType: 'cancel', id: `${updated.id}:cancel` });
    // It never had the update, and nothing new was played after it came back.
    expect(again.proc.stdout()).not.toContain(`alert:${updated.id}`);
    expect(outputsOf(outRoaming, updated.id)).toEqual([]);
    expect(readdirSync(outRoaming).sort()).toEqual(before);
    expect(await record(updated.id, 'spk-cap-roaming')).toMatchObject({ state: 'withdrawn', startedAt: null });
  });

  it('the "Nguồn CAP" page: an admin adds a push source (secret shown once) and sees received messages with their outcome and reason', async () => {
    const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    try {
      const page = await browser.newPage();
      await page.goto(server.baseUrl, { waitUntil: 'domcontentloaded' });
      await page.fill('input[name=username]', ADMIN_USERNAME);
      await page.fill('input[name=password]', ADMIN_PASSWORD);
      await page.click('button[type=submit]');
      await page.waitForSelector('[data-testid=logout]');
      await page.goto(`${server.baseUrl}/#/cap`);
      await page.click('[data-testid=cap-add-source]');
      await page.fill('[data-testid=cap-source-name]', 'Ban chỉ huy PCTT tỉnh');
      await page.click('[data-testid=cap-source-save]');
      const secret = await page.inputValue('[data-testid=cap-secret]');
      expect(secret.length).toBeGreaterThan(40);
      const created = (await server.api.get<Array<{ id: string; name: string }>>('/api/v1/cap/sources')).find((x) => x.name === 'Ban chỉ huy PCTT tỉnh')!;
      // The source sends a CAP 1.1 message: refused, recorded with the reason.
      const res = await fetch(`${server.baseUrl}/api/v1/cap/sources/${created.id}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/cap+xml', authorization: `Bearer ${secret}` },
        body: capMessage({ id: 'OLD-1', sent: capTime(Date.now()), msgType: 'Alert', headline: 'x', audioUrl: `${base}/audio/short.mp3` }).replace(':cap:1.2', ':cap:1.1'),
      });
      expect(res.status).toBe(400);
      await page.keyboard.press('Escape');
      await page.click('[data-testid=cap-tab-messages]');
      const table = page.locator('[data-testid=cap-messages]');
      await table.waitFor();
      await waitFor(async () => (await table.innerText()).includes('root element must be'), 15_000, { what: 'the refused message listed with its reason' });
      const text = await table.innerText();
      expect(text).toContain('Từ chối');
      expect(text).toContain('Bão số 5 đổ bộ');
      expect(text).toContain('Đã áp dụng');
      await page.screenshot({ path: path.join(artifactsDir(SUITE), 'cap-messages.png'), fullPage: true });
      // Shown once: the list never carries it again.
      await page.click('[data-testid=cap-tab-sources]');
      expect(await page.locator(`[data-cap-source="${created.id}"]`).innerText()).not.toContain(secret);
    } finally {
      await browser.close();
    }
  });
});
