/**
 * Issue 20, agent updates over the air, from the dashboard, in a real Chromium against a real server process: an
 * administrator uploads a release (package and detached signature, made here with a test release key), starts a
 * staged rollout to a commune, and watches each device's update state change live as the devices (real MQTT clients
 * speaking the agent's protocol: signed `update` commands in, `ota` reports out) report, without a reload. On a
 * phone (390×844) the rollout is paused and resumed; on a desk the rollout stops by itself at the error threshold and
 * says why. Screenshots land in test-artifacts/screenshots/ota-dashboard-*.png.
 */
import { jest } from '@jest/globals';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { chromium, type Browser, type Page } from 'playwright-core';
import { create as createTar } from 'tar';
import { commandMessageSchema, deviceTopic, openSigned, PROTOCOL_VERSION, signRelease, verifyKeyFromBase64, type CommandMessage, type OtaReport, type UpdateCommand } from '@loa/shared';
import { ADMIN_PASSWORD, ADMIN_USERNAME, artifactsDir, loa, stopAll, spawnServer, waitFor, type TestServer } from './support/index.js';

jest.setTimeout(300_000);

const SUITE = 'ota-dashboard';
const CHROMIUM = process.env.LOA_E2E_CHROMIUM ?? '/usr/bin/chromium';
const VERSION = '9.1.0';

const releaseKey = generateKeyPairSync('ed25519');
const RELEASE_PUB = releaseKey.publicKey.export({ format: 'jwk' }).x!;
const RELEASE_PEM = releaseKey.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();

/** A device as the agent speaks to the server: status online, signed commands in, `ota` reports out. */
class FakeDevice {
  readonly updates: Array<CommandMessage & { command: UpdateCommand }> = [];
  private constructor(
    readonly id: string,
    private readonly client: MqttClient,
  ) {}

  static async connect(server: TestServer, id: string, serverKey: string): Promise<FakeDevice> {
    const { secret } = await loa.createDevice(server.api, { id, name: `Loa ${id}`, kind: 'speaker', areaCode: '00115' });
    const client = await mqtt.connectAsync(server.mqttUrl, { clientId: id, username: id, password: secret, reconnectPeriod: 0, protocolVersion: 4, clean: true });
    const d = new FakeDevice(id, client);
    const key = verifyKeyFromBase64(serverKey);
    client.on('message', (_topic, payload) => {
      const opened = openSigned(commandMessageSchema, payload, key);
      if (opened.ok && opened.value.command.type === 'update') d.updates.push(opened.value as CommandMessage & { command: UpdateCommand });
    });
    await client.subscribeAsync(deviceTopic(id, 'req'), { qos: 1 });
    await client.publishAsync(deviceTopic(id, 'status'), JSON.stringify({ v: 1, state: 'online', at: Date.now(), reason: 'connect', kind: 'speaker', agentVersion: '9.0.0' }), { qos: 1, retain: true });
    return d;
  }

  async report(state: OtaReport['state'], extra: Partial<OtaReport> = {}): Promise<void> {
    const u = this.updates[0]!.command;
    const msg: OtaReport = { v: 1, rolloutId: u.rolloutId, releaseId: u.release.id, version: u.release.version, state, at: Date.now(), running: '9.0.0', ...extra };
    await this.client.publishAsync(deviceTopic(this.id, 'ota'), JSON.stringify(msg), { qos: 1 });
  }

  close(): void {
    this.client.end(true);
  }
}

describe('Agent updates from the dashboard', () => {
  let server: TestServer;
  let browser: Browser;
  let devices: FakeDevice[] = [];
  const work = mkdtempSync(path.join(tmpdir(), 'loa-ota-e2e-'));
  const shots = artifactsDir('screenshots');
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(shots, `${SUITE}-${name}.png`), fullPage: true });

  const signIn = async (page: Page, route: string) => {
    await page.goto(`${server.baseUrl}/${route}`, { waitUntil: 'domcontentloaded' });
    await page.fill('input[name=username]', ADMIN_USERNAME);
    await page.fill('input[name=password]', ADMIN_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=logout]');
    await page.waitForSelector('[data-testid=live-status][data-live=up]');
  };
  const deviceState = (page: Page, id: string, state: string) => page.waitForSelector(`[data-testid=ota-devices] tr[data-device="${id}"][data-state="${state}"]`, { timeout: 30_000 });
  const offered = (n: number) => waitFor(() => devices.filter((d) => d.updates.length > 0).length >= n && devices.filter((d) => d.updates.length > 0), 30_000, { what: `${n} devices offered` });

  beforeAll(async () => {
    server = await spawnServer({ suite: SUITE, env: { LOA_OTA_RELEASE_KEYS: RELEASE_PUB, LOA_OTA_TICK_S: '1' } });
    const { api } = server;
    await loa.createArea(api, { code: '01', name: 'Thành phố Hà Nội', level: 'province' });
    await loa.createArea(api, { code: '00115', name: 'Xã Tây Đằng', level: 'commune', parentCode: '01' });
    const serverKey = (await api.get<{ publicKey: string }>('/api/v1/signing-key')).publicKey;
    devices = await Promise.all(['ota-e2e-1', 'ota-e2e-2', 'ota-e2e-3'].map((id) => FakeDevice.connect(server, id, serverKey)));
    await waitFor(async () => (await Promise.all(devices.map((d) => loa.getDevice(api, d.id)))).every((v) => v.online), 30_000, { what: 'devices online' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    for (const d of devices) d.close();
    await browser?.close().catch(() => undefined);
    await stopAll();
    rmSync(work, { recursive: true, force: true });
  });

  it('uploads a signed release, starts a rollout and follows its devices live to the error-threshold stop; pause and resume on a phone', async () => {
    // The release, as the release script makes it.
    const main = Buffer.from(`console.log('loa-agent ${VERSION}');\n`);
    writeFileSync(path.join(work, 'main.mjs'), main);
    writeFileSync(
      path.join(work, 'manifest.json'),
      JSON.stringify({ format: 1, name: 'loa-agent', version: VERSION, protocol: PROTOCOL_VERSION, node: '>=20.19', entry: 'main.mjs', builtAt: Date.now(), files: [{ path: 'main.mjs', sha256: createHash('sha256').update(main).digest('hex'), size: main.length }] }),
    );
    const pkgFile = path.join(work, `loa-agent-${VERSION}.tar.gz`);
    await createTar({ gzip: true, cwd: work, file: pkgFile }, ['manifest.json', 'main.mjs']);
    const pkg = readFileSync(pkgFile);
    const sigFile = `${pkgFile}.sig`;
    writeFileSync(sigFile, JSON.stringify(signRelease(RELEASE_PEM, { version: VERSION, sha256: createHash('sha256').update(pkg).digest('hex'), size: pkg.length })));

    const desk = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'vi-VN' });
    const page = await desk.newPage();
    await signIn(page, '#/ota');
    expect(await page.textContent('h1')).toContain('Cập nhật phần mềm');

    // Upload: the two files.
    await page.click('[data-testid=ota-tab-releases]');
    await page.click('[data-testid=ota-upload-open]');
    await page.setInputFiles('[data-testid=ota-package-file]', pkgFile);
    await page.setInputFiles('[data-testid=ota-signature-file]', sigFile);
    await page.click('[data-testid=ota-upload-send]');
    await page.waitForSelector(`[data-testid=ota-releases] tr[data-release="${VERSION}"]`);
    await shot(page, '1-release-uploaded');

    // Rollout: 3 devices, stages 30 % (1 device) then 100 %; one failure in three stops it (33 % ≥ 30 %).
    await page.click('[data-testid=ota-tab-rollouts]');
    await page.click('[data-testid=ota-rollout-open]');
    await page.selectOption('#ota-rollout-area', '00115');
    await page.fill('[data-testid=ota-rollout-stages]', '30, 100');
    await page.fill('[data-testid=ota-rollout-success]', '100');
    await page.fill('[data-testid=ota-rollout-error]', '30');
    await shot(page, '2-rollout-form');
    await page.click('[data-testid=ota-rollout-save]');
    await page.waitForSelector('[data-testid=ota-rollout-state][data-state=running]');

    // Stage 1: one device gets the signed update command; its reports show live.
    const [first] = await offered(1);
    expect(devices.filter((d) => d.updates.length > 0)).toHaveLength(1);
    const cmd = first!.updates[0]!.command;
    expect(cmd.release).toMatchObject({ version: VERSION, size: pkg.length, path: `/api/v1/ota/releases/${cmd.release.id}/package` });
    await deviceState(page, first!.id, 'offered');
    await first!.report('accepted');
    await first!.report('downloading', { progress: { bytes: Math.floor(pkg.length / 2), total: pkg.length } });
    await deviceState(page, first!.id, 'downloading');
    await shot(page, '3-downloading');

    // On a phone, meanwhile: the same rollout, paused and resumed.
    const phoneCtx = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true, locale: 'vi-VN' });
    const phone = await phoneCtx.newPage();
    await signIn(phone, `#/ota-rollout/${cmd.rolloutId}`);
    await phone.waitForSelector(`[data-testid=ota-devices] tr[data-device="${first!.id}"]`);
    expect(await phone.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await phone.click('[data-testid=ota-pause]');
    await phone.waitForSelector('[data-testid=ota-rollout-state][data-state=paused]');
    // The desk sees the pause live.
    await page.waitForSelector('[data-testid=ota-rollout-state][data-state=paused]');
    await shot(phone, '4-phone-paused');
    await phone.click('[data-testid=ota-resume]');
    await phone.waitForSelector('[data-testid=ota-rollout-state][data-state=running]');

    await first!.report('installed');
    await first!.report('healthy', { running: VERSION });
    await deviceState(page, first!.id, 'healthy');
    await deviceState(phone, first!.id, 'healthy');
    await page.waitForSelector('[data-testid=ota-stages] [data-stage="0"][data-status=done]');

    // Stage 2: the other two; one comes back healthy, one rolls back — the rollout stops itself.
    const all = await offered(3);
    const [second, third] = all.filter((d) => d !== first);
    await second!.report('healthy', { running: VERSION });
    await deviceState(page, second!.id, 'healthy');
    await third!.report('rolled-back', { error: { code: 'health-timeout', message: 'không chạy tốt trong 300 giây' } });
    await deviceState(page, third!.id, 'rolled-back');
    await page.waitForSelector('[data-testid=ota-rollout-state][data-state=stopped]', { timeout: 30_000 });
    const reason = await page.textContent('[data-testid=ota-stop-reason]');
    expect(reason).toContain('vượt ngưỡng lỗi');
    expect(reason).toContain('1/3 thiết bị');
    await shot(page, '5-stopped-desk');
    await phone.waitForSelector('[data-testid=ota-rollout-state][data-state=stopped]');
    expect(await phone.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await shot(phone, '6-stopped-phone');
    // The lists on the phone: rollouts and releases as cards, nothing wider than the screen.
    await phone.goto(`${server.baseUrl}/#/ota`);
    await phone.waitForSelector(`[data-testid=ota-rollouts] tr[data-rollout="${cmd.rolloutId}"]`);
    expect(await phone.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await shot(phone, '8-phone-rollouts');
    await phone.click('[data-testid=ota-tab-releases]');
    await phone.waitForSelector(`[data-testid=ota-releases] tr[data-release="${VERSION}"]`);
    expect(await phone.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await shot(phone, '9-phone-releases');

    // English too: the same page, the same live state, in the other language.
    await page.click('[data-testid=lang-switch]');
    await page.waitForFunction(`document.querySelector('[data-testid=ota-stop-reason]')?.textContent?.includes('1 of 3 offered devices failed')`);
    await shot(page, '7-stopped-desk-en');
    await phoneCtx.close();
    await desk.close();
  });
});
