/**
 * Issue 19, items 8 and 10 in a real Chromium against a real server process. The administrator creates a commune
 * officer with a full name, a phone and a password; the officer signs in on a phone (390×844), is held on the
 * password page (the server refuses everything else with `password.change-required`, checked with the browser's own
 * token), changes it and lands on the dashboard. An approver approves a province-wide schedule; the administrator's
 * audit page shows "approved schedule <content title>" by the approver's full name, with the approval before and
 * after and names in place of ids, in Vietnamese and in English; the overview lists the commune, not only the
 * province. Screenshots land in test-artifacts/screenshots/accounts-audit-*.png.
 */
import { jest } from '@jest/globals';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ADMIN_PASSWORD, ADMIN_USERNAME, Api, artifactsDir, loa, spawnServer, stopAll, type TestServer } from './support/index.js';

jest.setTimeout(180_000);

const SUITE = 'accounts-audit';
const CHROMIUM = process.env.LOA_E2E_CHROMIUM ?? '/usr/bin/chromium';
const COMMUNE = '10105';
const OFFICER = { username: 'canbo.minhchau', fullName: 'Nguyễn Thị Hoa', phone: '0912 345 678', password: 'mat-khau-tam-01', own: 'mat-khau-rieng-02' };
const APPROVER = { username: 'duyet.hanoi', fullName: 'Trần Văn Duyệt', password: 'duyet-hanoi-pass' };
const TITLE = 'Thông báo tiêm chủng đợt 2';

describe('accounts and the audit log in a real browser', () => {
  let server: TestServer;
  let browser: Browser;
  const shots = artifactsDir('screenshots');
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(shots, `${SUITE}-${name}.png`), fullPage: true });
  const signIn = async (page: Page, username: string, password: string) => {
    await page.goto(server.baseUrl, { waitUntil: 'domcontentloaded' });
    await page.fill('input[name=username]', username);
    await page.fill('input[name=password]', password);
    await page.click('button[type=submit]');
  };
  /** The API as the browser's own session calls it. */
  const asBrowser = async (page: Page, url: string) => {
    // A string, evaluated in the page: the test's own tsconfig has no DOM types.
    const token = await page.evaluate<string>("JSON.parse(localStorage.getItem('loa.session') || '{}').accessToken || ''");
    const res = await fetch(server.baseUrl + url, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, body: (await res.json()) as { code?: string } };
  };

  beforeAll(async () => {
    // Standard approval rules: a province-wide schedule waits for an approver.
    server = await spawnServer({ suite: SUITE, env: { LOA_APPROVAL_RULES_DEFAULT: 'standard' } });
    await loa.createArea(server.api, { code: '01', name: 'Thành phố Hà Nội', level: 'province' });
    await loa.createArea(server.api, { code: COMMUNE, name: 'Xã Minh Châu', level: 'commune', parentCode: '01' });
    await loa.createDevice(server.api, { id: 'bang-tin-minhchau-01', name: 'Bảng tin thôn 1', kind: 'board', areaCode: COMMUNE });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await stopAll();
  });

  it('creates an officer with full name and phone who must change the password before anything else works', async () => {
    const desk = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await signIn(desk, ADMIN_USERNAME, ADMIN_PASSWORD);
    await desk.waitForSelector('[data-testid=logout]');
    // The overview lists the commune under its province, not only the province row.
    await desk.waitForSelector(`[data-testid=area-row][data-area="${COMMUNE}"][data-level=commune][data-total="1"]`);
    expect(await desk.$$eval('[data-testid=area-row]', (rows) => rows.map((r) => r.getAttribute('data-area')))).toEqual(['01', COMMUNE]);

    await desk.goto(`${server.baseUrl}/#/users`);
    await desk.click('[data-testid=user-new]');
    await desk.fill('[data-testid=user-username]', OFFICER.username);
    await desk.fill('[data-testid=user-full-name-input]', OFFICER.fullName);
    await desk.fill('[data-testid=user-phone-input]', '12345');
    await desk.fill('[data-testid=user-password]', OFFICER.password);
    await desk.selectOption('[data-testid=user-role]', 'commune_officer');
    await desk.selectOption('[data-testid=user-form] select:not([data-testid=user-role])', COMMUNE);
    expect(await desk.isChecked('[data-testid=user-must-change-input]')).toBe(true);
    // A number that is not Vietnamese is refused before it is sent, in Vietnamese.
    await desk.click('[data-testid=user-save]');
    await desk.waitForSelector('[data-testid=user-form] .error:has-text("Số điện thoại không hợp lệ")');
    await desk.fill('[data-testid=user-phone-input]', OFFICER.phone);
    await desk.click('[data-testid=user-save]');
    const row = await desk.waitForSelector(`[data-testid=user-row][data-username="${OFFICER.username}"]`);
    expect(await (await row.$('[data-testid=user-full-name]'))?.textContent()).toBe(OFFICER.fullName);
    expect(await (await row.$('[data-testid=user-phone]'))?.textContent()).toBe('0912 345 678');
    expect(await row.$('[data-testid=user-must-change]')).not.toBeNull();
    await shot(desk, '01-user-created');
    await desk.close();

    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true, locale: 'vi-VN' });
    const phone = await context.newPage();
    await signIn(phone, OFFICER.username, OFFICER.password);
    await phone.waitForSelector('[data-testid=forced-password]');
    expect(await phone.textContent('[data-testid=forced-password]')).toContain('Hãy đặt mật khẩu của riêng bạn');
    // Nothing else opens: not in the dashboard, and the server refuses the browser's token with the code.
    await phone.goto(`${server.baseUrl}/#/devices`);
    await phone.waitForSelector('[data-testid=forced-password]');
    expect(await phone.$('[data-testid=logout]')).toBeNull();
    expect(await asBrowser(phone, '/api/v1/devices')).toEqual({ status: 403, body: expect.objectContaining({ code: 'password.change-required' }) });
    await shot(phone, '02-forced-password-phone');

    await phone.fill('[data-testid=password-current]', OFFICER.password);
    await phone.fill('[data-testid=password-new]', OFFICER.own);
    await phone.fill('[data-testid=password-repeat]', OFFICER.own);
    await phone.click('[data-testid=password-save]');
    await phone.waitForSelector('[data-testid=logout]');
    await phone.waitForSelector(`[data-testid=area-row][data-area="${COMMUNE}"]`);
    expect((await asBrowser(phone, '/api/v1/devices')).status).toBe(200);
    await shot(phone, '03-dashboard-after-change-phone');
    await context.close();
  });

  it('shows "approved schedule <name>" with before/after and names, in Vietnamese and English', async () => {
    await server.api.post('/api/v1/users', { username: APPROVER.username, password: APPROVER.password, role: 'approver', areaCode: '01', fullName: APPROVER.fullName });
    const approver = await Api.login(server.baseUrl, APPROVER.username, APPROVER.password);
    const content = await loa.createTextContent(server.api, TITLE, 'Mời các gia đình đưa trẻ đi tiêm.', 20);
    // An operator's province-wide schedule waits (an admin's own would be approved by its creator).
    await server.api.post('/api/v1/users', { username: 'bientap.hanoi', password: 'bientap-hanoi-pass', role: 'operator', areaCode: '01', fullName: 'Lê Văn Biên' });
    const operator = await Api.login(server.baseUrl, 'bientap.hanoi', 'bientap-hanoi-pass');
    const pending = await operator.post<{ id: string; approval: string }>('/api/v1/schedules', { contentId: content.id, startAt: new Date(Date.now() + 3_600_000).toISOString(), targets: { areas: ['01'] } });
    expect(pending.approval).toBe('pending');
    await approver.post(`/api/v1/schedules/${pending.id}/approve`, {}, 200);

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, ADMIN_USERNAME, ADMIN_PASSWORD);
    await page.waitForSelector('[data-testid=logout]');
    await page.goto(`${server.baseUrl}/#/audit?action=schedules.approve`);
    const row = await page.waitForSelector(`[data-testid=audit-row][data-action="schedules.approve"]`);
    const text = (await row.textContent()) ?? '';
    expect(text).toContain(`Duyệt lịch phát ${TITLE}`);
    expect(text).toContain(APPROVER.fullName);
    await row.click();
    const diff = await page.waitForSelector('[data-testid=audit-diff]');
    const cells = async (key: string) => diff.$$eval(`tr[data-key="${key}"] td`, (tds) => tds.map((td) => (td.textContent ?? '').trim()));
    expect(await cells('approval')).toEqual(['approval', 'pending', 'approved']);
    expect((await cells('approvedBy'))[2]).toContain(APPROVER.fullName);
    expect((await cells('contentId'))[1]).toContain(TITLE);
    expect((await cells('contentId'))[1]).toContain(content.id);
    expect(JSON.stringify(await cells('targets'))).toContain('Thành phố Hà Nội');
    await shot(page, '04-audit-approved-vi');

    await page.click('[data-testid=lang-switch]');
    await page.waitForSelector(`[data-testid=audit-row][data-action="schedules.approve"] [data-testid=audit-action]:has-text("Approved schedule")`);
    expect(await page.textContent('[data-testid=audit-row][data-action="schedules.approve"]')).toContain(`Approved schedule ${TITLE}`);
    expect(await page.textContent('[data-testid=audit-diff]')).toContain('Before');
    await shot(page, '05-audit-approved-en');
    await page.close();
  });
});
