/**
 * Issue 19 item 5, the map, in a real Chromium on a phone (390×844) as a commune officer. The server's map tiles
 * come from a tile server in this test (LOA_MAP_TILE_URL): it answers every /{z}/{x}/{y}.png with a small PNG and
 * counts the requests, so a map that draws proves the configured URL (and the dashboard's img-src policy for it)
 * is used. Three speakers: one placed by its agent's `--location` and online, one placed by a CSV import whose
 * agent ran and stopped (offline), one imported and never connected. The officer finds the offline one on the
 * overview's map — inside a cluster coloured by its worst device — opens its popup, follows the link to its page,
 * sets another device's location by hand, and opens the map on the device list. Screenshots in
 * test-artifacts/screenshots/.
 */
import { jest } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { deflateSync } from 'node:zlib';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { DeviceView, LocationImportResult, MapDevicesView } from '@loa/shared/rest';
import { REPO_ROOT, loa, spawnAgent, spawnServer, stopAll, waitFor, type TestAgent, type TestServer } from './support/index.js';

jest.setTimeout(240_000);

const SUITE = 'map';
const CHROMIUM = process.env.LOA_E2E_CHROMIUM ?? '/usr/bin/chromium';
const TAY_DANG = '09955';
const OFFICER = { username: 'canbo.bando', password: 'canbo-bando-pass' };
const SHOTS = path.join(REPO_ROOT, 'test-artifacts', 'screenshots');

/** A 256×256 PNG of one colour (RGB, no filter), as a tile server would answer. */
function solidPng(r: number, g: number, b: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf: Buffer) => {
    let c = 0xffffffff;
    for (const byte of buf) c = crcTable[(c ^ byte) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const sum = Buffer.alloc(4);
    sum.writeUInt32BE(crc(body));
    return Buffer.concat([len, body, sum]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(256, 0);
  ihdr.writeUInt32BE(256, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(256 * 3, Buffer.from([r, g, b]))]);
  const raw = Buffer.concat(Array.from({ length: 256 }, () => row));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

describe('The map on a phone, as a commune officer', () => {
  let server: TestServer;
  let tiles: Server;
  let tileBase = '';
  const tileRequests: string[] = [];
  const otherRequests: string[] = [];
  let browser: Browser;
  const agents: TestAgent[] = [];
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const png = solidPng(0xe8, 0xf0, 0xe0);
    tiles = createServer((req, res) => {
      const url = req.url ?? '';
      if (/^\/tiles\/\d+\/\d+\/\d+\.png$/.test(url)) {
        tileRequests.push(url);
        res.writeHead(200, { 'content-type': 'image/png', 'content-length': png.length });
        res.end(png);
        return;
      }
      otherRequests.push(url);
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => tiles.listen(0, '127.0.0.1', resolve));
    tileBase = `http://127.0.0.1:${(tiles.address() as AddressInfo).port}`;

    server = await spawnServer({ suite: SUITE, env: { LOA_MAP_TILE_URL: `${tileBase}/tiles/{z}/{x}/{y}.png`, LOA_MAP_ATTRIBUTION: 'Bản đồ thử nghiệm' } });
    const { api } = server;
    await loa.createArea(api, { code: '01', name: 'Thành phố Hà Nội', level: 'province' });
    await loa.createArea(api, { code: TAY_DANG, name: 'Xã Tây Đằng', level: 'commune', parentCode: '01' });
    await api.post('/api/v1/users', { ...OFFICER, role: 'commune_officer', areaCode: TAY_DANG });
    const cho = await loa.createDevice(api, { id: 'spk-cho', name: 'Loa chợ Tây Đằng', kind: 'speaker', areaCode: TAY_DANG });
    const dinh = await loa.createDevice(api, { id: 'spk-dinh', name: 'Loa đình Đông Phú', kind: 'speaker', areaCode: TAY_DANG });
    await loa.createDevice(api, { id: 'spk-truong', name: 'Loa trường tiểu học', kind: 'speaker', areaCode: TAY_DANG });

    // Two places from the installer's sheet, with Vietnamese headers; the market speaker's comes from its agent.
    const res = await fetch(`${server.baseUrl}/api/v1/devices/locations/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${api.token}`, 'content-type': 'text/csv' },
      body: 'Mã thiết bị,Vĩ độ,Kinh độ,Thôn\nspk-dinh,21.2020,105.4222,Thôn Đông Phú\nspk-truong,"21,2500",105.4800,Thôn Yên Thịnh\n',
    });
    expect([res.status, (await res.json()) as LocationImportResult]).toEqual([201, { updated: 2, skipped: 0 }]);

    // The market speaker knows where it stands (--location) and stays online; the temple's runs and stops: offline.
    agents.push(await spawnAgent({ suite: SUITE, serverUrl: server.baseUrl, mqttUrl: server.mqttUrl, deviceId: 'spk-cho', secret: cho.secret, kind: 'speaker', extraArgs: ['--location=21.2005,105.4205', '--telemetry-interval-s=2'] }));
    const dinhAgent = await spawnAgent({ suite: SUITE, serverUrl: server.baseUrl, mqttUrl: server.mqttUrl, deviceId: 'spk-dinh', secret: dinh.secret, kind: 'speaker' });
    await waitFor(async () => (await loa.getDevice(api, 'spk-dinh')).online, 30_000);
    await dinhAgent.stop();
    await waitFor(async () => {
      const d = await loa.getDevice(api, 'spk-dinh');
      return !d.online && d.lastSeenAt !== null;
    }, 30_000);
    const placed = await waitFor(async () => {
      const d = await loa.getDevice(api, 'spk-cho');
      return d.online && d.locationSource === 'agent' ? d : null;
    }, 30_000);
    expect(placed.location).toEqual({ latitude: 21.2005, longitude: 105.4205 });
    const map = await api.get<MapDevicesView>('/api/v1/map/devices');
    expect(map.points.map((p) => [p.id, p.status])).toEqual([
      ['spk-cho', 'online'],
      ['spk-dinh', 'offline'],
      ['spk-truong', 'never'],
    ]);

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await new Promise((resolve) => tiles?.close(resolve));
    await stopAll();
  });

  const phone = async (): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true, locale: 'vi-VN' });
    const page = await context.newPage();
    await page.goto(server.baseUrl, { waitUntil: 'domcontentloaded' });
    await page.fill('input[name=username]', OFFICER.username);
    await page.fill('input[name=password]', OFFICER.password);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=logout]');
    return page;
  };

  it('finds the offline speaker on the overview map, opens its popup and follows the link to its page', async () => {
    const page = await phone();
    const policyViolations: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy/i.test(m.text())) policyViolations.push(m.text());
    });
    await page.goto(`${server.baseUrl}/#/`);
    await page.waitForSelector('[data-testid=device-map][data-points="3"] .leaflet-tile-loaded');
    // Tiles come from the configured server, and only from it.
    expect(tileRequests.length).toBeGreaterThan(0);
    const sources = await page.$$eval('[data-testid=device-map] img.leaflet-tile', (imgs) => imgs.map((i) => (i as unknown as { src: string }).src));
    expect(sources.length).toBeGreaterThan(0);
    expect(sources.every((s) => s.startsWith(`${tileBase}/tiles/`))).toBe(true);
    expect(otherRequests).toEqual([]);
    expect(await page.textContent('.leaflet-control-attribution')).toContain('Bản đồ thử nghiệm');

    // The market (online) and the temple (offline), 200 m apart, are one cluster in the colour of the worse: offline.
    const cluster = page.locator('[data-testid=device-map] .loa-cluster.loa-st-offline .loa-bubble[data-count="2"]');
    await cluster.waitFor();
    expect(await page.locator('[data-testid=device-map] .loa-marker.loa-st-never [data-device-id=spk-truong]').count()).toBe(1);
    expect(await page.textContent('[data-testid=map-legend] [data-status=offline]')).toBe('Mất kết nối: 1');
    await shot(page, 'map-overview-phone');

    await cluster.click();
    const offline = page.locator('[data-testid=device-map] .loa-marker.loa-st-offline [data-device-id=spk-dinh]');
    await offline.waitFor({ state: 'visible' });
    expect(await page.locator('[data-testid=device-map] .loa-marker.loa-st-online [data-device-id=spk-cho]').count()).toBe(1);
    await offline.click();
    const popup = page.locator('.leaflet-popup .loa-popup[data-device-id=spk-dinh]');
    await popup.waitFor();
    expect(await popup.textContent()).toBe('Loa đình Đông PhúThôn Đông PhúMất kết nốiMở trang thiết bị');
    await shot(page, 'map-offline-popup-phone');

    await popup.locator('[data-testid=map-popup-link]').click();
    await page.waitForFunction("location.hash === '#/device/spk-dinh'");
    await page.waitForSelector('[data-testid=device-header]');
    expect(await page.textContent('h1')).toContain('Loa đình Đông Phú');
    expect(await page.getAttribute('[data-testid=device-online]', 'data-online')).toBe('false');
    expect(await page.textContent('[data-testid=device-location-text]')).toContain('Thôn Đông Phú');
    expect(await page.textContent('[data-testid=device-location-source]')).toContain('nhập từ CSV');
    expect(policyViolations).toEqual([]);
    await page.context().close();
  });

  it('lets the officer set a speaker’s location by hand on its page, and shows the map on the device list', async () => {
    const page = await phone();
    await page.goto(`${server.baseUrl}/#/device/spk-truong`);
    await page.click('[data-testid=edit-location]');
    await page.fill('[data-testid=location-form] input[name=latitude]', '21,2488');
    await page.fill('[data-testid=location-form] input[name=longitude]', '105.4791');
    await page.fill('[data-testid=location-form] input[name=village]', 'Thôn Yên Thịnh');
    await page.fill('[data-testid=location-form] input[name=address]', 'Cổng trường tiểu học');
    await page.click('[data-testid=save-location]');
    await page.waitForSelector('[data-testid=device-location][data-source=operator]');
    expect(await page.textContent('[data-testid=device-location-text]')).toBe('Thôn Yên Thịnh · 21.24880, 105.47910 · Cổng trường tiểu học (Nguồn: cán bộ nhập tay)');
    const stored = await server.api.get<DeviceView>('/api/v1/devices/spk-truong');
    expect([stored.location, stored.locationSource]).toEqual([{ latitude: 21.2488, longitude: 105.4791, village: 'Thôn Yên Thịnh', address: 'Cổng trường tiểu học' }, 'operator']);
    await shot(page, 'map-device-location-phone');

    // The device list: the map is off until asked for ("Bản đồ"), then shows the same devices.
    await page.goto(`${server.baseUrl}/#/devices`);
    await page.waitForSelector('[data-testid=map-toggle]');
    expect(await page.locator('[data-testid=device-map]').count()).toBe(0);
    await page.click('[data-testid=map-toggle]');
    await page.waitForSelector('[data-testid=device-map][data-points="3"] .leaflet-tile-loaded');
    await page.locator('[data-testid=device-map] .loa-cluster.loa-st-offline').waitFor();
    expect(await page.getAttribute('[data-testid=map-toggle]', 'aria-pressed')).toBe('true');
    await shot(page, 'map-device-list-phone');
    await page.context().close();
  });
});
