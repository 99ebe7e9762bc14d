/**
 * Issue 19 items 11 and 9 in a real Chromium on a phone (390×844) against a real server process:
 * - the browser is set to English (US) and New York time, yet the dashboard's own date/time pickers and the dates it
 *   shows are Vietnam time in dd/mm/yyyy HH:mm, and a time picked (typed or from the popup calendar) is sent with +07:00;
 * - the TTS page's "Xem cách đọc" reads a telephone number digit by digit in groups and "QL1A" as "quốc lộ một a";
 *   an administrator adds a pronunciation entry and sees it applied; the automatic title is cut at a word boundary.
 * Screenshots: test-artifacts/screenshots/pickers-tts-*.png.
 */
import { jest } from '@jest/globals';
import { cpSync, existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { ADMIN_PASSWORD, ADMIN_USERNAME, REPO_ROOT, spawnServer, stopAll, tempDir, type TestServer } from './support/index.js';

jest.setTimeout(180_000);

const SUITE = 'pickers-tts';
const CHROMIUM = process.env.LOA_E2E_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = path.join(REPO_ROOT, 'test-artifacts/screenshots');

const two = (n: number) => String(n).padStart(2, '0');
/** Vietnam wall-clock parts of an instant (UTC+7, no daylight saving), computed without the runner's zone. */
const vn = (ms: number) => {
  const d = new Date(ms + 7 * 3_600_000);
  return { y: d.getUTCFullYear(), m: d.getUTCMonth() + 1, d: d.getUTCDate(), hh: d.getUTCHours(), mm: d.getUTCMinutes() };
};
const dmy = (p: { y: number; m: number; d: number }) => `${two(p.d)}/${two(p.m)}/${p.y}`;

describe('pickers on Vietnam time and TTS readings, in an en-US / New York browser on a phone', () => {
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `${SUITE}-${name}.png`), fullPage: true });

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    // A private copy of the built dashboard: a rebuild of dashboard/dist meanwhile (another run) cannot pull the page
    // away under the browser.
    const built = path.join(REPO_ROOT, 'dashboard/dist');
    if (!existsSync(path.join(built, 'index.html'))) throw new Error('dashboard/dist is missing: run `npm run build -w dashboard` first');
    const dashboardDir = path.join(tempDir('pickers-tts-dashboard'), 'dist');
    cpSync(built, dashboardDir, { recursive: true });
    server = await spawnServer({ suite: SUITE, env: { LOA_DASHBOARD_DIR: dashboardDir } });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      env: { ...process.env, TZ: 'America/New_York' },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--lang=en-US'],
    });
    context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true });
    page = await context.newPage();
    await page.goto(server.baseUrl, { waitUntil: 'domcontentloaded' });
    await page.fill('input[name=username]', ADMIN_USERNAME);
    await page.fill('input[name=password]', ADMIN_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=logout]');
  });

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await stopAll();
  });

  it('runs in a browser whose own locale and zone are not Vietnam\'s', async () => {
    const env = await page.evaluate<{ zone: string; lang: string; native: string }>(
      '({ zone: Intl.DateTimeFormat().resolvedOptions().timeZone, lang: navigator.language, native: new Date(Date.UTC(2026, 11, 31, 16, 45)).toLocaleString() })',
    );
    expect(env.zone).toBe('America/New_York');
    expect(env.lang).toBe('en-US');
    // What a native picker/formatter would show here: US order, 12 h, New York's day.
    expect(env.native).toBe('12/31/2026, 11:45:00 AM');
  });

  it('types and picks provisioning-key expiry times in Vietnam time, sends +07:00, and lists them as dd/mm/yyyy HH:mm', async () => {
    const target = vn(Date.now() + 40 * 86_400_000);
    const typed = `${dmy(target)} 23:45`;
    await page.goto(`${server.baseUrl}/#/fleet?tab=enrolments`);
    await page.click('[data-testid=provisioning-key-new]');
    await page.fill('[data-testid=provisioning-key-label]', 'Khóa gõ tay');
    const field = '[data-testid=provisioning-key-expires]';
    // The field starts on Vietnam time in dd/mm/yyyy HH:mm (30 days ahead by default), not the browser's format.
    expect(await page.inputValue(field)).toMatch(/^\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}$/);
    // Typed digits only: the mask adds the separators.
    await page.fill(field, '');
    await page.type(field, typed.replace(/\D/g, ''));
    expect(await page.inputValue(field)).toBe(typed);
    const sent1 = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/api/v1/provisioning-keys'));
    await shot('01-typed-expiry');
    await page.click('[data-testid=provisioning-key-form] button[type=submit]');
    const body1 = JSON.parse((await sent1).postData() ?? '{}') as { expiresAt: string };
    expect(body1.expiresAt).toBe(`${target.y}-${two(target.m)}-${two(target.d)}T23:45:00+07:00`);
    await page.click('[data-testid=provisioning-key-once] button:has-text("Đóng")');

    // The popup calendar: Vietnamese weekday names (the dashboard's language), Monday first; pick the 15th at 06:30.
    await page.click('[data-testid=provisioning-key-new]');
    await page.fill('[data-testid=provisioning-key-label]', 'Khóa chọn lịch');
    await page.fill(field, typed);
    await page.click('[data-testid=provisioning-key-expires-open]');
    const popup = '[data-testid=provisioning-key-expires-popup]';
    await page.waitForSelector(popup);
    expect(await page.$$eval(`${popup} [role=columnheader]`, (els) => els.map((e) => e.textContent))).toEqual(['T2', 'T3', 'T4', 'T5', 'T6', 'T7', 'CN']);
    expect(await page.textContent('[data-testid=provisioning-key-expires-month]')).toBe(`Tháng ${target.m}/${target.y}`);
    await page.fill('[data-testid=provisioning-key-expires-time]', '06:30');
    await page.click('[data-testid=provisioning-key-expires-day-15]');
    await shot('02-popup-calendar');
    await page.click('[data-testid=provisioning-key-expires-done]');
    const picked = `15/${two(target.m)}/${target.y} 06:30`;
    expect(await page.inputValue(field)).toBe(picked);
    const sent2 = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith('/api/v1/provisioning-keys'));
    await page.click('[data-testid=provisioning-key-form] button[type=submit]');
    const body2 = JSON.parse((await sent2).postData() ?? '{}') as { expiresAt: string };
    expect(body2.expiresAt).toBe(`${target.y}-${two(target.m)}-15T06:30:00+07:00`);
    await page.click('[data-testid=provisioning-key-once] button:has-text("Đóng")');

    // The list shows both expiries on Vietnam's clock, dd/mm/yyyy HH:mm — 23:45 is still the same day in Vietnam,
    // though it is the morning of that day in New York and the server answers in UTC.
    const cells = async () => page.$$eval('[data-testid=provisioning-key-row]', (rows) => rows.map((r) => r.textContent ?? ''));
    await page.waitForFunction("document.querySelectorAll('[data-testid=provisioning-key-row]').length >= 2");
    const rows = await cells();
    expect(rows.find((r) => r.includes('Khóa gõ tay'))).toContain(typed);
    expect(rows.find((r) => r.includes('Khóa chọn lịch'))).toContain(picked);
    await shot('03-keys-listed');

    // English dashboard: English weekday names, the same dd/mm/yyyy order.
    await page.evaluate("localStorage.setItem('loa.lang', 'en')");
    await page.reload();
    await page.click('[data-testid=provisioning-key-new]');
    await page.click('[data-testid=provisioning-key-expires-open]');
    expect(await page.$$eval(`${popup} [role=columnheader]`, (els) => els.map((e) => e.textContent))).toEqual(['Mo', 'Tu', 'We', 'Th', 'Fr', 'Sa', 'Su']);
    expect(await page.inputValue(field)).toMatch(/^\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}$/);
    expect((await cells()).find((r) => r.includes('Khóa gõ tay'))).toContain(typed);
    await page.keyboard.press('Escape');
    await page.evaluate("localStorage.setItem('loa.lang', 'vi')");
    await page.reload();
    await page.waitForSelector('[data-testid=logout]');
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
  });

  it('shows how a bulletin will be read, applies an administrator\'s dictionary entry, and cuts the title at a word', async () => {
    const bulletin = 'UBND xã thông báo: bà con cần hỗ trợ sửa đường QL1A gọi 0912.345.678, mức hỗ trợ 1.500.000đ/hộ tại KCN Phú Nghĩa.';
    const openTts = async () => {
      await page.goto(`${server.baseUrl}/#/contents`);
      await page.click('[data-testid=creator-tts]');
      await page.fill('[data-testid=tts-text]', bulletin);
      await page.click('[data-testid=tts-preview-text]');
    };
    await openTts();
    await page.waitForSelector('[data-testid=tts-normalized]');
    const before = (await page.textContent('[data-testid=tts-normalized]')) ?? '';
    expect(before).toContain('gọi không chín một hai, ba bốn năm, sáu bảy tám');
    expect(before).toContain('sửa đường quốc lộ một a');
    expect(before).toContain('một triệu năm trăm nghìn đồng mỗi hộ');
    expect(before).toContain('tại ca xê en nờ phú nghĩa');
    await shot('04-tts-preview');

    // The administrator teaches the installation "KCN".
    await page.click('[data-testid=tts-dictionary-link]');
    await page.waitForSelector('[data-testid=tts-dictionary-page]');
    await page.fill('[data-testid=dict-term]', 'KCN');
    await page.fill('[data-testid=dict-spoken]', 'khu công nghiệp');
    const saved = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith('/api/v1/tts/dictionary'));
    await page.click('[data-testid=dict-add]');
    const entry = (await (await saved).json()) as { createdAt: string };
    await page.waitForSelector('[data-testid=dict-entry][data-term=KCN]');
    const c = vn(Date.parse(entry.createdAt));
    expect(await page.textContent('[data-testid=dict-entry][data-term=KCN]')).toContain(`${dmy(c)} ${two(c.hh)}:${two(c.mm)}`);
    await page.fill('[data-testid=dict-sample]', 'Họp tại KCN');
    await page.click('[data-testid=dict-try]');
    await page.waitForSelector('[data-testid=dict-reading]:has-text("họp tại khu công nghiệp")');
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await shot('05-dictionary');

    await openTts();
    await page.waitForSelector('[data-testid=tts-normalized]:has-text("tại khu công nghiệp phú nghĩa")');
    const after = (await page.textContent('[data-testid=tts-normalized]')) ?? '';
    expect(after).toContain('quốc lộ một a');
    expect(after).not.toContain('ca xê en nờ');

    // Synthesis (eSpeak-NG) fills in the title: cut at a word boundary with "…".
    await page.click('[data-testid=tts-listen]');
    await page.waitForSelector('[data-testid=tts-result]', { timeout: 120_000 });
    const title = await page.inputValue('[data-testid=tts-title]');
    expect(title.endsWith('…')).toBe(true);
    const head = title.slice(0, -1);
    expect(bulletin.startsWith(head)).toBe(true);
    expect([' ', ',', ':']).toContain(bulletin[head.length]);
    expect(title.length).toBeLessThanOrEqual(80);
    await shot('06-tts-title');
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
  });
});
