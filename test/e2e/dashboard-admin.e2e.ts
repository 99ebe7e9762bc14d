/**
 * The administrator's side of the dashboard in a real Chromium against a real server: a device registered through the
 * fleet page gets a secret shown once, and that secret really logs the device in to the broker; the audit log page
 * then shows who registered it, and the secret appears nowhere in the audit log. The agent settings shown beside the
 * secret name the server's real ports, and an agent started with exactly those settings connects.
 */
import { jest } from '@jest/globals';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { deviceTopic, encodeMessage, PROTOCOL_VERSION } from '@loa/shared';
import { ADMIN_PASSWORD, ADMIN_USERNAME, AGENT_CLI, ManagedProcess, WaitAborted, artifactsDir, childEnv, loa, spawnServer, stopAll, tempDir, tryConnect, waitFor, type TestServer } from './support/index.js';

jest.setTimeout(120_000);

const SUITE = 'dashboard-admin';
const CHROMIUM = process.env.LOA_E2E_CHROMIUM ?? '/usr/bin/chromium';

describe('dashboard administration in a real browser', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await spawnServer({ suite: SUITE });
    await loa.createArea(server.api, { code: '01', name: 'Thành phố Hà Nội', level: 'province' });
    await loa.createArea(server.api, { code: '10105', name: 'Xã Minh Châu', level: 'commune', parentCode: '01' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await stopAll();
  });

  it('registers a device whose once-shown secret logs in to the broker, and audits it without the secret', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const shot = (name: string) => page.screenshot({ path: path.join(artifactsDir(SUITE), `${name}.png`), fullPage: true });
    await page.goto(server.baseUrl, { waitUntil: 'domcontentloaded' });
    await page.fill('input[name=username]', ADMIN_USERNAME);
    await page.fill('input[name=password]', ADMIN_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=logout]');

    await page.goto(`${server.baseUrl}/#/fleet?tab=register`);
    await page.fill('[data-testid=device-register-id]', 'loa-minhchau-07');
    await page.fill('[data-testid=device-register-name]', 'Cụm loa thôn Minh Châu 7');
    await page.selectOption('[data-testid=device-register-area]', '10105');
    await page.click('[data-testid=device-register-submit]');
    const secret = ((await (await page.waitForSelector('[data-testid=device-secret]')).textContent()) ?? '').trim();
    expect(secret.length).toBeGreaterThanOrEqual(20);
    await shot('01-device-registered');

    // The agent settings name the ports the server really listens on (ephemeral here, never the default 1883), and
    // the secret travels in the environment, never as a flag that `ps` shows to every local user.
    const envText = ((await (await page.waitForSelector('[data-testid=agent-env]')).textContent()) ?? '').trim();
    const settings = Object.fromEntries(envText.split('\n').map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]));
    expect(settings).toMatchObject({ LOA_AGENT_MQTT_URL: server.mqttUrl, LOA_AGENT_SERVER_URL: server.baseUrl, LOA_AGENT_DEVICE_ID: 'loa-minhchau-07', LOA_AGENT_SECRET: secret });
    const command = (await page.textContent('[data-testid=agent-command]')) ?? '';
    expect(command).toContain(`--mqtt-url=${server.mqttUrl}`);
    expect(command).not.toContain('--secret');
    expect(command.startsWith(`LOA_AGENT_SECRET=`)).toBe(true);

    // The secret shown is the one the broker accepts at the MQTT URL shown (and a wrong one is refused).
    const will = { topic: deviceTopic('loa-minhchau-07', 'status'), payload: encodeMessage({ v: PROTOCOL_VERSION, state: 'offline', reason: 'will' }), qos: 1 as const, retain: true };
    const good = await tryConnect(settings.LOA_AGENT_MQTT_URL!, { clientId: 'loa-minhchau-07', username: 'loa-minhchau-07', password: secret, reconnectPeriod: 0, will });
    expect(good.connected).toBe(true);
    if (good.connected) good.client.end(true);
    const bad = await tryConnect(settings.LOA_AGENT_MQTT_URL!, { clientId: 'loa-minhchau-07', username: 'loa-minhchau-07', password: `${secret}x`, reconnectPeriod: 0 });
    expect(bad.connected).toBe(false);
    if (bad.connected) bad.client.end(true);

    // An agent given exactly the settings file shown (with a test data dir and no sound card) connects.
    const agent = new ManagedProcess('agent-from-dashboard', process.execPath, [AGENT_CLI], {
      env: childEnv({ ...settings, LOA_AGENT_DATA_DIR: tempDir('agent-from-dashboard'), LOA_AGENT_AUDIO_OUTPUT: 'null' }),
      logDir: artifactsDir(SUITE),
      stopFirst: true,
    });
    await waitFor(
      () => {
        if (agent.exit) throw new WaitAborted(`agent exited (${JSON.stringify(agent.exit)})\n${agent.tail()}`);
        return agent.stdout().includes('"msg":"connected to broker"');
      },
      60_000,
      { what: 'the agent configured from the dashboard to connect' },
    );
    await agent.stop();

    // The audit page lists the registration by the admin; the stored entries never hold the secret.
    await page.goto(`${server.baseUrl}/#/audit`);
    const row = await page.waitForSelector('[data-testid=audit-row][data-action="devices.register"]');
    expect(await row.textContent()).toContain(ADMIN_USERNAME);
    await row.click();
    await shot('02-audit-entry');
    const audit = await server.api.request('GET', '/api/v1/audit?limit=500');
    expect(audit.status).toBe(200);
    expect(audit.text).toContain('loa-minhchau-07');
    expect(audit.text).not.toContain(secret);
    await page.close();
  });
});
