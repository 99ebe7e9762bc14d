/**
 * Issue 19 item 7, approvals that do not go stale, in a real Chromium on a phone (390×844): a district approver has
 * the approval queue open; an operator of the district types a bulletin, has it synthesised (eSpeak-NG) and submits it
 * through the API. Without a reload, the item appears in the approver's queue with the text it speaks, and the queue's
 * counter, the menu badge and the bell count rise. The approver approves it: the counters drop, and the operator's
 * dashboard (open meanwhile on another phone) shows the decision in its bell. Then on a desk in English, a rejection.
 * A real server process; screenshots land in test-artifacts/screenshots/approvals-live-*.png.
 */
import { jest } from '@jest/globals';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { ContentView } from '@loa/shared/rest';
import { Api, artifactsDir, loa, stopAll, spawnServer, type TestServer } from './support/index.js';

jest.setTimeout(300_000);

const SUITE = 'approvals-live';
const CHROMIUM = process.env.LOA_E2E_CHROMIUM ?? '/usr/bin/chromium';
const APPROVER = { username: 'duyet.bavi', password: 'duyet-bavi-pass' };
const OPERATOR = { username: 'bientap.bavi', password: 'bientap-bavi-pass' };
const BULLETIN = 'Từ 7 giờ sáng thứ Bảy, xã tổ chức tiêm phòng dại cho chó mèo tại nhà văn hóa thôn Yên Thịnh.';

describe('Approvals that do not go stale, on a phone', () => {
  let server: TestServer;
  let browser: Browser;
  const shots = artifactsDir('screenshots');
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(shots, `${SUITE}-${name}.png`), fullPage: true });

  const phone = async (): Promise<{ context: BrowserContext; page: Page }> => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true, locale: 'vi-VN' });
    return { context, page: await context.newPage() };
  };
  const signIn = async (page: Page, who: { username: string; password: string }, route = '') => {
    await page.goto(`${server.baseUrl}/${route}`, { waitUntil: 'domcontentloaded' });
    await page.fill('input[name=username]', who.username);
    await page.fill('input[name=password]', who.password);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=logout]');
    // The live stream is up: what follows arrives through it, not through a reload.
    await page.waitForSelector('[data-testid=live-status][data-live=up]');
  };

  beforeAll(async () => {
    server = await spawnServer({ suite: SUITE });
    const { api } = server;
    await loa.createArea(api, { code: '01', name: 'Thành phố Hà Nội', level: 'province' });
    await loa.createArea(api, { code: '271', name: 'Huyện Ba Vì', level: 'district', parentCode: '01' });
    await loa.createArea(api, { code: '09955', name: 'Xã Tây Đằng', level: 'commune', parentCode: '271' });
    await api.post('/api/v1/users', { ...APPROVER, role: 'approver', areaCode: '271' });
    await api.post('/api/v1/users', { ...OPERATOR, role: 'operator', areaCode: '271' });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await stopAll();
  });

  it('shows a submitted TTS bulletin with its text live, counts it, and tells the operator of the approval', async () => {
    const approver = await phone();
    const operator = await phone();
    await signIn(approver.page, APPROVER, '#/approvals');
    await approver.page.waitForSelector('[data-testid=count-contents][data-value="0"]');
    await signIn(operator.page, OPERATOR);
    expect(await approver.page.$('[data-testid=approvals-nav-badge]')).toBeNull();
    expect(await approver.page.getAttribute('[data-testid=notification-bell]', 'data-unread')).toBe('0');
    await shot(approver.page, '1-empty-queue');

    // The operator types the bulletin, has it spoken and submits it, through the API.
    const ops = await Api.login(server.baseUrl, OPERATOR.username, OPERATOR.password);
    const tts = await ops.post<{ media: { sha256: string } }>('/api/v1/tts', { text: BULLETIN, voice: 'female', accent: 'north', speed: 1 });
    const content = await ops.post<ContentView>('/api/v1/contents', { type: 'audio', title: 'Tiêm phòng dại', mediaSha256: tts.media.sha256, submit: true });
    expect(content.state).toBe('submitted');

    // It appears without a reload, with what it says; the counter, the menu badge and the bell rise.
    const item = await approver.page.waitForSelector(`[data-testid=approval-content][data-content-id="${content.id}"]`);
    expect((await (await item.$('[data-testid=spoken-text]'))!.textContent())!.trim()).toBe(BULLETIN);
    await approver.page.waitForSelector('[data-testid=count-contents][data-value="1"]');
    await approver.page.waitForSelector('[data-testid=approvals-nav-badge][data-value="1"]', { state: 'attached' });
    await approver.page.waitForSelector('[data-testid=notification-bell][data-unread="1"]');
    await shot(approver.page, '2-item-arrived');
    await approver.page.click('.menu-toggle');
    expect((await approver.page.textContent('.sidenav [data-nav="/approvals"]'))!.trim()).toBe('Phê duyệt1');
    await shot(approver.page, '3-menu-badge');
    await approver.page.click('.menu-toggle');
    // The bell lists it, with the first words it speaks.
    await approver.page.click('[data-testid=notification-bell]');
    const note = await approver.page.waitForSelector(`[data-testid=notification][data-kind="approval.submitted"][data-subject-id="${content.id}"]`);
    expect(await note.textContent()).toContain('Nội dung «Tiêm phòng dại» cần bạn phê duyệt');
    expect(await note.textContent()).toContain('tiêm phòng dại cho chó mèo');
    await shot(approver.page, '4-bell');
    await approver.page.click('[data-testid=notification-bell]');

    // Approved: the item leaves, the counts drop.
    await approver.page.click(`[data-testid=approval-content][data-content-id="${content.id}"] [data-testid=approve]`);
    await approver.page.waitForSelector(`[data-testid=approval-content][data-content-id="${content.id}"]`, { state: 'detached' });
    await approver.page.waitForSelector('[data-testid=count-contents][data-value="0"]');
    await approver.page.waitForSelector('[data-testid=approvals-nav-badge]', { state: 'detached' });
    // Its "needs your approval" notification is settled too: the bell no longer counts it.
    await approver.page.waitForSelector('[data-testid=notification-bell][data-unread="0"]');
    expect((await ops.get<ContentView>(`/api/v1/contents/${content.id}`)).state).toBe('approved');
    await shot(approver.page, '5-approved');

    // The operator's open dashboard shows the decision in its bell, live.
    await operator.page.waitForSelector('[data-testid=notification-bell][data-unread="1"]');
    await operator.page.click('[data-testid=notification-bell]');
    const decided = await operator.page.waitForSelector(`[data-testid=notification][data-kind="approval.approved"][data-subject-id="${content.id}"]`);
    expect(await decided.textContent()).toContain('Nội dung «Tiêm phòng dại» đã được phê duyệt');
    expect(await decided.textContent()).toContain(`bởi ${APPROVER.username}`);
    await shot(operator.page, '6-operator-notified');
    // Read all: the count clears, here and on the server.
    await operator.page.click('[data-testid=notifications-read-all]');
    await operator.page.waitForSelector('[data-testid=notification-bell][data-unread="0"]');
    expect(await ops.get<{ unread: number }>('/api/v1/notifications/unread')).toEqual({ unread: 0 });

    await approver.context.close();
    await operator.context.close();
  });

  it('does the same on a desk in English: the item arrives live, the bell speaks English, rejecting tells the operator why', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-GB' });
    const page = await context.newPage();
    await page.addInitScript("localStorage.setItem('loa.lang', 'en')");
    await signIn(page, APPROVER, '#/approvals');
    await page.waitForSelector('[data-testid=count-contents][data-value="0"]');
    const unreadBefore = Number(await page.getAttribute('[data-testid=notification-bell]', 'data-unread'));

    const ops = await Api.login(server.baseUrl, OPERATOR.username, OPERATOR.password);
    const content = await ops.post<ContentView>('/api/v1/contents', { type: 'text', title: 'Road closure', text: 'Provincial road 411 is closed on Sunday morning.', submit: true });
    await page.waitForSelector(`[data-testid=approval-content][data-content-id="${content.id}"]`);
    await page.waitForSelector('.sidenav [data-testid=approvals-nav-badge][data-value="1"]');
    await page.waitForSelector(`[data-testid=notification-bell][data-unread="${unreadBefore + 1}"]`);
    await page.click('[data-testid=notification-bell]');
    const note = await page.waitForSelector(`[data-testid=notification][data-subject-id="${content.id}"]`);
    expect(await note.textContent()).toContain('Content “Road closure” needs your approval');
    await page.screenshot({ path: path.join(shots, `${SUITE}-7-desk-en.png`) });
    await page.click('[data-testid=notification-bell]');

    await page.click(`[data-testid=approval-content][data-content-id="${content.id}"] [data-testid=reject]`);
    await page.fill('[data-testid=reject-reason]', 'Say which stretch of the road');
    await page.click('[data-testid=reject-confirm]');
    await page.waitForSelector(`[data-testid=approval-content][data-content-id="${content.id}"]`, { state: 'detached' });
    await page.waitForSelector('[data-testid=count-contents][data-value="0"]');
    const told = await ops.get<{ items: Array<{ kind: string; subjectId: string; detail: string | null }> }>('/api/v1/notifications');
    expect(told.items[0]).toMatchObject({ kind: 'approval.rejected', subjectId: content.id, detail: 'Say which stretch of the road' });
    await context.close();
  });
});
