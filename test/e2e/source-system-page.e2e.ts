/**
 * Issue 16, the source-system page and the calendar panel in a real Chromium against a real server process: an admin
 * adds a lower Loa peer in the page (its secret shown once), sends it a bulletin that the peer (the stand-in) refuses
 * with 503 — the exchange shows as failed with its error and attempts — and "Thử lại" after the peer recovers sends
 * it; the lower peer reports results with a signed envelope and they show under "Kết quả từ cấp dưới", the envelope
 * under "Nhận về"; the exchanges list on a 390×844 phone has no horizontal overflow of the page. Then the account
 * page's calendar link: created (URL shown once, serving text/calendar), revoked (the URL answers 404).
 * Screenshots land in test-artifacts/source-system-page/.
 */
import { jest } from '@jest/globals';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { signBody } from '../../server/src/source-system/signing.js';
import { StandInSource } from '../support/stand-in-source.js';
import { ADMIN_PASSWORD, ADMIN_USERNAME, artifactsDir, loa, spawnServer, stopAll, waitFor, type TestServer } from './support/index.js';

jest.setTimeout(300_000);

const SUITE = 'source-system-page';
const CHROMIUM = process.env.LOA_E2E_CHROMIUM ?? '/usr/bin/chromium';
const TITLE = 'Thông báo lịch tiêm chủng tháng 12';
/** The stand-in plays the lower Loa: the secret it minted for us and our id there. */
const LOWER_SECRET = 'secret-the-commune-minted-for-the-province';
const OUR_ID_THERE = 'tinh-thu-at-xa';

interface ExchangeRow {
  id: string;
  idempotencyKey: string;
  peerId: string;
  state: string;
  attempts: number;
  lastError: string | null;
  httpStatus: number | null;
}

describe('source-system page and calendar panel in a real browser', () => {
  let server: TestServer;
  let browser: Browser;
  const lower = new StandInSource({ loa: { secret: LOWER_SECRET, peerId: OUR_ID_THERE } });
  const shots = artifactsDir(SUITE);
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
  /** Filled in by the first test, used by the next ones. */
  let peerId = '';
  let peerSecret = '';
  let contentId = '';

  beforeAll(async () => {
    await lower.start();
    server = await spawnServer({ suite: SUITE });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await stopAll();
    await lower.close();
  });

  const login = async (page: Page) => {
    await page.goto(server.baseUrl, { waitUntil: 'domcontentloaded' });
    await page.fill('input[name=username]', ADMIN_USERNAME);
    await page.fill('input[name=password]', ADMIN_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=logout]');
  };
  const exchanges = async (): Promise<ExchangeRow[]> => (await server.api.get<{ items: ExchangeRow[] }>(`/api/v1/source-system/exchanges?peerId=${peerId}&limit=500`)).items;
  /** The exchanges tab, loaded afresh (the list is read when the tab opens). */
  const openExchanges = async (page: Page) => {
    await page.click('[data-testid=source-tab-inbound]');
    await page.click('[data-testid=source-tab-exchanges]');
  };

  it('an admin adds a lower peer (secret shown once); a 5xx shows failed with its error; "Thử lại" sends it', async () => {
    const content = await loa.createTextContent(server.api, TITLE, 'Sáng thứ bảy tại trạm y tế xã.', 30);
    expect(content.state).toBe('approved');
    contentId = content.id;

    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await login(page);
    await page.goto(`${server.baseUrl}/#/source-system`);
    await page.click('[data-testid=source-tab-peers]');
    await page.click('[data-testid=source-add-peer]');
    await page.fill('[data-testid=peer-name]', 'Xã Tây Đằng');
    await page.selectOption('[data-testid=peer-kind]', 'loa');
    await page.selectOption('[data-testid=peer-role]', 'lower');
    await page.fill('[data-testid=peer-url]', lower.url);
    await page.fill('[data-testid=peer-remote-id]', OUR_ID_THERE);
    await page.fill('[data-testid=peer-outbound-secret]', LOWER_SECRET);
    await page.click('[data-testid=peer-save]');
    const secretBox = await page.waitForSelector('[data-testid=source-secret]');
    peerSecret = await secretBox.inputValue();
    peerId = await (await page.waitForSelector('[data-testid=source-peer-id]')).inputValue();
    expect(peerSecret.length).toBeGreaterThanOrEqual(32);
    await shot(page, '01-peer-secret-once');
    // Shown once: no read of the peer answers it, and the page reopened does not show it.
    const view = await server.api.get<Record<string, unknown>>(`/api/v1/source-system/peers/${peerId}`);
    expect(JSON.stringify(view)).not.toContain(peerSecret);
    await page.reload();
    await page.click('[data-testid=source-tab-peers]');
    await page.waitForSelector(`[data-peer="${peerId}"]`);
    expect(await page.content()).not.toContain(peerSecret);

    // The peer is down: every delivery answers 503, and asks us to come back in an hour (no automatic retry races the button).
    lower.failNext = 1_000;
    lower.failStatus = 503;
    lower.failRetryAfterS = 3_600;
    await page.click(`[data-peer="${peerId}"] [data-testid=source-send-down]`);
    await page.selectOption('[data-testid=send-content]', contentId);
    await page.click('[data-testid=send-submit]');
    await page.waitForSelector('[data-testid=send-done]');
    await page.click('[data-testid=send-close]');
    const failed = await waitFor(async () => (await exchanges()).find((x) => x.state === 'failed'), 60_000, { what: 'the exchange failed with 503' });
    expect(failed).toMatchObject({ attempts: 1, httpStatus: 503 });
    expect(lower.deliveriesOf(failed.idempotencyKey).map((r) => r.status)).toEqual([503]);

    await page.click('[data-testid=source-tab-exchanges]');
    const row = await page.waitForSelector(`[data-exchange="${failed.id}"][data-state=failed][data-attempts="1"]`);
    expect(await (await row.$('[data-testid=source-exchange-error]'))!.innerText()).toMatch(/HTTP 503/);
    expect(await row.innerText()).toContain('Lỗi');
    await shot(page, '02-exchange-failed');

    // The peer recovers; the operator does not wait an hour.
    lower.failNext = 0;
    await (await row.$('[data-testid=source-retry]'))!.click();
    await lower.waitFor(() => lower.accepted.has(failed.idempotencyKey), 'the bulletin at the lower peer after the retry');
    await waitFor(async () => (await exchanges()).find((x) => x.id === failed.id && x.state === 'sent'), 60_000, { what: 'the exchange sent' });
    await waitFor(
      async () => {
        await openExchanges(page);
        return page.waitForSelector(`[data-exchange="${failed.id}"][data-state=sent][data-attempts="2"]`, { timeout: 5_000 }).catch(() => null);
      },
      60_000,
      { what: 'the page showing the exchange sent' },
    );
    expect(await page.$(`[data-exchange="${failed.id}"] [data-testid=source-retry]`)).toBeNull();
    const sent = JSON.parse(lower.accepted.get(failed.idempotencyKey)!.body) as { kind: string; payload: { originId: string; title: string } };
    expect(sent).toMatchObject({ kind: 'bulletin', payload: { originId: contentId, title: TITLE } });
    await shot(page, '03-exchange-sent');
    await page.close();
  });

  it('results a lower peer reports (a signed envelope) show under "Kết quả từ cấp dưới" and "Nhận về"', async () => {
    const now = new Date();
    const body = JSON.stringify({
      idempotencyKey: `result-e2e-${Date.now()}`,
      kind: 'bulletin-result',
      v: 1,
      sentAt: now.toISOString(),
      payload: { originId: contentId, status: 'scheduled', due: 3, played: 2, failed: 1, asOf: now.toISOString(), rows: [] },
    });
    const res = await fetch(`${server.baseUrl}/api/v1/source-system/inbox`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-loa-peer': peerId, 'x-loa-signature': signBody(peerSecret, body, Date.now() / 1000) },
      body,
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ accepted: true, duplicate: false });

    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await login(page);
    await page.goto(`${server.baseUrl}/#/source-system`);
    await page.click('[data-testid=source-tab-lower]');
    const line = await page.waitForSelector(`[data-testid=source-lower-levels] tr[data-origin="${contentId}"][data-peer="${peerId}"]`);
    expect(await line.getAttribute('data-played')).toBe('2');
    expect(await line.getAttribute('data-due')).toBe('3');
    const text = await line.innerText();
    expect(text).toContain(TITLE);
    expect(text).toContain('Xã Tây Đằng');
    expect(text).toContain('Đã phát 2/3');
    expect(text).toContain('Đã lên lịch');
    await shot(page, '04-lower-levels');

    await page.click('[data-testid=source-tab-inbound]');
    const received = await page.waitForSelector('[data-testid=source-inbound] tr[data-kind=bulletin-result][data-state=stored]');
    expect(await received.innerText()).toContain('Xã Tây Đằng');
    await shot(page, '05-inbound');
    await page.close();
  });

  it('on a 390×844 phone the exchanges list fits: no horizontal overflow of the page', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await login(page);
    await page.goto(`${server.baseUrl}/#/source-system`);
    await page.click('[data-testid=source-tab-exchanges]');
    await page.waitForSelector('[data-testid=source-exchanges] tr[data-state=sent]');
    const widths = await page.evaluate<{ doc: number; body: number; inner: number }>('({ doc: document.documentElement.scrollWidth, body: document.body.scrollWidth, inner: window.innerWidth })');
    expect(widths.inner).toBe(390);
    expect(widths.doc).toBeLessThanOrEqual(widths.inner);
    expect(widths.body).toBeLessThanOrEqual(widths.inner);
    // The table scrolls inside its own box; its state column can be reached and read.
    const state = await page.waitForSelector('[data-testid=source-exchanges] tr[data-state=sent] .badge');
    await state.scrollIntoViewIfNeeded();
    expect(await state.isVisible()).toBe(true);
    expect(await state.innerText()).toMatch(/\S/);
    await shot(page, '06-phone-exchanges');
    await page.close();
  });

  it('the calendar link on the account page: shown once, serves text/calendar, 404 once revoked', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await login(page);
    await page.goto(`${server.baseUrl}/#/password`);
    await page.click('[data-testid=calendar-link-create]');
    const url = (await (await page.waitForSelector('[data-testid=calendar-link-url]')).innerText()).trim();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v1\/calendar\/[^/]+\.ics$/);
    await shot(page, '07-calendar-link-once');
    const feed = await fetch(url);
    expect(feed.status).toBe(200);
    expect(feed.headers.get('content-type')).toMatch(/^text\/calendar/);
    expect(await feed.text()).toMatch(/^BEGIN:VCALENDAR/);

    // Shown once: the page reopened says a link exists, without it.
    await page.reload();
    await page.waitForSelector('[data-testid=calendar-link-revoke]');
    expect(await page.content()).not.toContain(url);
    await page.click('[data-testid=calendar-link-revoke]');
    await page.click('[data-testid=calendar-link-confirm] [data-testid=confirm-yes]');
    await page.waitForSelector('[data-testid=calendar-link-create]');
    await shot(page, '08-calendar-link-revoked');
    expect((await fetch(url)).status).toBe(404);
    await page.close();
  });
});
