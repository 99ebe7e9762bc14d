/**
 * Issue 17, the officers' side in a real browser on a phone (390×844): residents file feedback through the public
 * API (one with a photo), and one item is recorded at the office as received ten days ago, so it is overdue. The
 * commune officer sees the menu badge and the overdue item first, opens the photo item, assigns it to themself,
 * answers it as of public interest and makes the bulletin drafts from the answer (both contents exist, the resident
 * sees the answer by code). The administrator adds a day off in the settings (the server's calendar preview shows
 * it), sets up the SMS gateway and prints the commune's QR poster on one A4 page. A district operator sees both communes' items, transfers
 * one to the other commune, reads the counts in the Reports page's feedback tab (and its XLSX), sees a new item
 * arrive live, exports the list without personal data, records a call taken at the office and merges a duplicate;
 * on a desk the queue is a table. A real server process and a real Chromium; screenshots land in
 * test-artifacts/feedback-officer/.
 */
import { jest } from '@jest/globals';
import ffmpeg from '@ffmpeg-installer/ffmpeg';
import ExcelJS from 'exceljs';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import type { FeedbackDetailView, FeedbackForm, FeedbackListView, FeedbackReceipt, FeedbackSettingsView, FeedbackStatsView, PublicFeedbackView } from '@loa/shared/rest';
import { ADMIN_PASSWORD, ADMIN_USERNAME, artifactsDir, loa, stopAll, spawnServer, tempDir, type TestServer } from './support/index.js';

jest.setTimeout(300_000);

const SUITE = 'feedback-officer';
const CHROMIUM = process.env.LOA_E2E_CHROMIUM ?? '/usr/bin/chromium';
const TAY_DANG = '09955';
const VAN_THANG = '09958';
const OFFICER = { username: 'canbo.taydang', password: 'canbo-taydang-pass' };
const DISTRICT = { username: 'bientap.bavi', password: 'bientap-bavi-pass' };
const DAY = 86_400_000;
const run = promisify(execFile);

/** yyyy-mm-dd on Vietnam's calendar, `offset` days from now. */
const vnDate = (offset: number): string => new Date(Date.now() + 7 * 3_600_000 + offset * DAY).toISOString().slice(0, 10);

describe('Citizen feedback: the officers’ pages on a phone', () => {
  let server: TestServer;
  let browser: Browser;
  let category: string;
  const shots = artifactsDir(SUITE);
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });
  const codes = { overdue: '', photo: '', plain: '', other: '' };
  const ids = { overdue: '', photo: '', plain: '', other: '' };
  const PHOTO_PHONE = '0912000001';

  const phone = async (): Promise<{ context: BrowserContext; page: Page }> => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true, locale: 'vi-VN', acceptDownloads: true });
    return { context, page: await context.newPage() };
  };
  const signIn = async (page: Page, who: { username: string; password: string }) => {
    await page.goto(server.baseUrl, { waitUntil: 'domcontentloaded' });
    await page.fill('input[name=username]', who.username);
    await page.fill('input[name=password]', who.password);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=logout]');
  };
  const rowCodes = (page: Page) => page.$$eval('[data-testid=feedback-row]', (els) => els.map((e) => e.getAttribute('data-code')));

  beforeAll(async () => {
    server = await spawnServer({ suite: SUITE });
    const { api } = server;
    await loa.createArea(api, { code: '01', name: 'Thành phố Hà Nội', level: 'province' });
    await loa.createArea(api, { code: '271', name: 'Huyện Ba Vì', level: 'district', parentCode: '01' });
    await loa.createArea(api, { code: TAY_DANG, name: 'Xã Tây Đằng', level: 'commune', parentCode: '271' });
    await loa.createArea(api, { code: VAN_THANG, name: 'Xã Vạn Thắng', level: 'commune', parentCode: '271' });
    await api.post('/api/v1/users', { ...OFFICER, role: 'commune_officer', areaCode: TAY_DANG });
    await api.post('/api/v1/users', { ...DISTRICT, role: 'operator', areaCode: '271' });
    const form = await api.anonymous().get<FeedbackForm>(`/api/v1/public/feedback/form/${TAY_DANG}`);
    category = form.categories[0]!.code;

    // A resident's photo (ffmpeg's test picture) and two plain items through the public intake, one per commune.
    const photo = path.join(tempDir('feedback-officer'), 'duong-ngap.jpg');
    await run(ffmpeg.path, ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=640x480:rate=1', '-frames:v', '1', '-q:v', '4', photo]);
    const multipart = new FormData();
    for (const [k, v] of Object.entries({ areaCode: TAY_DANG, name: 'Nguyễn Văn An', phone: PHOTO_PHONE, title: 'Đường thôn Yên Thịnh ngập nước', content: 'Sau mưa, đoạn đường trước nhà văn hóa thôn ngập sâu, học sinh đi lại khó khăn.', category, consent: 'true' }))
      multipart.append(k, v);
    multipart.append('attachments', new Blob([readFileSync(photo)], { type: 'image/jpeg' }), 'duong-ngap.jpg');
    const filed = await api.anonymous().request<FeedbackReceipt>('POST', '/api/v1/public/feedback', multipart);
    expect(filed.status).toBe(201);
    codes.photo = filed.body.code;
    const plain = await api.anonymous().post<FeedbackReceipt>('/api/v1/public/feedback', {
      areaCode: TAY_DANG,
      name: 'Trần Thị Bình',
      phone: '0912000002',
      title: 'Đèn đường hỏng ở xóm Đông',
      content: 'Ba bóng đèn đường ở xóm Đông hỏng đã hai tuần, buổi tối rất tối.',
      category,
      consent: true,
    });
    codes.plain = plain.code;
    const other = await api.anonymous().post<FeedbackReceipt>('/api/v1/public/feedback', {
      areaCode: VAN_THANG,
      name: 'Lê Văn Cường',
      phone: '0912000003',
      title: 'Rác thải ven kênh Bằng Y',
      content: 'Rác thải đổ ven kênh Bằng Y chưa được thu gom.',
      category,
      consent: true,
    });
    codes.other = other.code;
    // A letter received at the office ten days ago: past its acknowledgement deadline at least.
    const late = await api.post<FeedbackDetailView>('/api/v1/feedback', {
      areaCode: TAY_DANG,
      name: 'Phạm Văn Dũng',
      phone: '0912000004',
      title: 'Đề nghị sửa cầu tràn Đồng Sậy',
      content: 'Cầu tràn Đồng Sậy bị sụt lún, xe máy qua lại nguy hiểm.',
      category,
      consent: true,
      channel: 'office',
      receivedAt: new Date(Date.now() - 10 * DAY).toISOString(),
    });
    expect(late.overdue).not.toBeNull();
    codes.overdue = late.code;
    const all = await api.get<FeedbackListView>('/api/v1/feedback?limit=200');
    for (const k of Object.keys(codes) as Array<keyof typeof codes>) ids[k] = all.items.find((i) => i.code === codes[k])!.id;

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await stopAll();
  });

  it('lets the commune officer take the overdue-first queue, assign, answer of public interest and draft the bulletin', async () => {
    const { context, page } = await phone();
    await signIn(page, OFFICER);

    // The menu entry carries the overdue count; the queue puts the overdue item first, in red, as cards.
    await page.click('.menu-toggle');
    await page.waitForSelector('.sidenav [data-nav="/feedback"] [data-testid=feedback-nav-badge][data-value="1"]');
    expect(await page.textContent('.sidenav [data-nav="/feedback"]')).toBe('Ý kiến người dân1');
    await page.click('[data-nav="/feedback"]');
    await page.waitForSelector('[data-testid=feedback-row]');
    await page.waitForSelector('[data-testid=feedback-count-overdue][data-value="1"]');
    // Only the officer's commune: never Vạn Thắng's item.
    expect((await rowCodes(page)).sort()).toEqual([codes.overdue, codes.photo, codes.plain].sort());
    expect((await rowCodes(page))[0]).toBe(codes.overdue);
    const first = page.locator('[data-testid=feedback-row]').first();
    expect(await first.getAttribute('data-overdue')).toBe('1');
    expect(await first.locator('[data-testid=feedback-due]').textContent()).toMatch(/^quá hạn \d+ ngày$/);
    expect(await page.locator(`[data-testid=feedback-row][data-code="${codes.photo}"] [data-testid=feedback-due]`).textContent()).toMatch(/^còn \d+ (giờ|phút|ngày)$/);
    expect(await page.getAttribute('[data-testid=feedback-count-open]', 'data-value')).toBe('3');
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await shot(page, '01-queue-overdue-first');

    // The photo item: its thumbnail (fetched with the session) opens full size; the resident's phone is a tel: link.
    await page.click(`[data-testid=feedback-row][data-code="${codes.photo}"] a`);
    await page.waitForSelector(`[data-testid=feedback-detail][data-id="${ids.photo}"][data-state=received]`);
    await page.waitForSelector('[data-testid=feedback-attachment-image] img');
    expect(await page.getAttribute('[data-testid=feedback-phone]', 'href')).toBe(`tel:${PHOTO_PHONE}`);
    expect(await page.$eval('[data-testid=feedback-attachment-image] img', (img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBe(640);
    await page.click('[data-testid=feedback-attachment-image]');
    await page.waitForSelector('[data-testid=feedback-attachment-full]');
    await shot(page, '02-item-photo');
    await page.keyboard.press('Escape');
    // Close and reopen are not offered to an item not yet answered.
    expect(await page.$('[data-testid=feedback-action-close]')).toBeNull();
    expect(await page.$('[data-testid=feedback-action-reopen]')).toBeNull();

    // Assign to themself (the select offers the officer first).
    await page.click('[data-testid=feedback-action-assign]');
    await page.waitForFunction(`document.querySelector('[data-testid=feedback-assign-user]')?.selectedOptions[0]?.textContent?.includes('${OFFICER.username}')`);
    await page.click('[data-testid=feedback-assign-submit]');
    await page.waitForSelector(`[data-testid=feedback-detail][data-state=assigned]`);
    expect(await page.textContent('[data-testid=feedback-assignee]')).toBe(OFFICER.username);
    expect(await page.textContent('[data-testid=feedback-state]')).toBe('Đã phân công');

    // Answer it, of public interest.
    const answer = 'UBND xã đã giao tổ công tác khơi thông cống thoát nước đoạn trước nhà văn hóa thôn Yên Thịnh; hoàn thành trước ngày 20.';
    await page.fill('[data-testid=feedback-answer-text]', answer);
    await page.check('[data-testid=feedback-answer-public]');
    await page.click('[data-testid=feedback-answer-submit]');
    await page.waitForSelector('[data-testid=feedback-detail][data-state=answered]');
    expect(await page.textContent('[data-testid=feedback-answer]')).toContain(answer);
    expect(await page.$('[data-testid=feedback-answer-form]')).toBeNull();
    expect(await page.textContent('[data-testid=feedback-history]')).toContain('Phân công');

    // Close the loop: one step makes the loudspeaker bulletin and the board message.
    await page.click('[data-testid=feedback-bulletin-open]');
    await page.click('[data-testid=feedback-bulletin-submit]');
    await page.waitForFunction("document.querySelectorAll('[data-testid=feedback-bulletin-content]').length === 2");
    const contentIds = await page.$$eval('[data-testid=feedback-bulletin-content]', (els) => els.map((e) => e.getAttribute('data-content-id')));
    for (const id of contentIds) expect(await server.api.get<{ id: string }>(`/api/v1/contents/${id}`)).toMatchObject({ id });
    await shot(page, '03-answered-bulletin');

    // The resident sees the answer by code and phone.
    const tracked = await server.api.anonymous().post<PublicFeedbackView>('/api/v1/public/feedback/track', { code: codes.photo, phone: PHOTO_PHONE }, 200);
    expect(tracked).toMatchObject({ state: 'answered', answer });
    await context.close();
  });

  it('lets the administrator add a day off (the server’s calendar shows it), set up the SMS gateway and print the commune’s QR poster', async () => {
    const { context, page } = await phone();
    await signIn(page, { username: ADMIN_USERNAME, password: ADMIN_PASSWORD });
    await page.goto(`${server.baseUrl}/#/feedback`);
    await page.click('[data-testid=feedback-settings-link]');
    await page.waitForSelector('[data-testid=feedback-settings-preview] ul, [data-testid=feedback-settings-preview] .muted');
    // A weekday two to three weeks ahead becomes an extra day off.
    let offset = 15;
    while ([0, 6].includes(new Date(`${vnDate(offset)}T00:00:00Z`).getUTCDay())) offset++;
    const day = vnDate(offset);
    expect(await page.$(`[data-testid=feedback-settings-preview] li[data-date="${day}"]`)).toBeNull();
    await page.fill('[data-testid=feedback-settings-extra-input]', day);
    await page.click('[data-testid=feedback-settings-extra-add]');
    await page.click('[data-testid=feedback-settings-save]');
    await page.waitForSelector('[data-testid=feedback-settings-saved]');
    await page.waitForSelector(`[data-testid=feedback-settings-preview] li[data-date="${day}"][data-working="0"]`);
    expect((await server.api.get<FeedbackSettingsView>('/api/v1/feedback/settings')).settings.holidays.extra).toContain(day);
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await shot(page, '06-settings');

    // The SMS gateway: texts taken in, a signing secret set (never shown back), the webhook URL to give the provider.
    await page.click('[data-testid=feedback-sms-on]');
    await page.check('[data-testid=feedback-sms-inbound-enabled]');
    await page.fill('[data-testid=feedback-sms-inbound-secret] input', 'bi-mat-cong-sms-0123456789');
    await page.click('[data-testid=feedback-settings-save]');
    await page.waitForSelector('[data-testid=feedback-settings-saved]');
    await page.waitForSelector('[data-testid=feedback-sms-inbound-secret][data-set="1"]');
    expect(await page.inputValue('[data-testid=feedback-sms-inbound-secret] input')).toBe('');
    const saved = await server.api.get<FeedbackSettingsView>('/api/v1/feedback/settings');
    expect(saved).toMatchObject({ smsInboundSecretSet: true, sms: { inbound: { enabled: true } } });
    expect(JSON.stringify(saved)).not.toContain('bi-mat-cong-sms-0123456789');
    expect(await page.inputValue('[data-testid=feedback-sms-webhook-url]')).toBe(saved.smsWebhookUrl);

    // The poster: the commune's name, its QR code (a real SVG image) and its short link.
    await page.goto(`${server.baseUrl}/#/feedback/poster?areaCode=${TAY_DANG}`);
    await page.waitForSelector(`[data-testid=feedback-poster-loaded][data-area="${TAY_DANG}"]`);
    await page.waitForFunction("(() => { const i = document.querySelector('[data-testid=feedback-poster-qr]'); return i && i.complete && i.naturalWidth > 0; })()");
    expect(await page.textContent('[data-testid=feedback-poster-commune]')).toBe('UBND XÃ TÂY ĐẰNG');
    expect(await page.textContent('[data-testid=feedback-poster-url]')).toContain(`/y/${TAY_DANG}`);
    expect(await page.textContent('[data-testid=feedback-poster-sms]')).toContain(`XA ${TAY_DANG}`);
    await shot(page, '07-poster');
    await page.emulateMedia({ media: 'print' });
    expect(await page.isVisible('.topbar')).toBe(false);
    expect(await page.isVisible('[data-testid=feedback-poster-print]')).toBe(false);
    const pdf = (await page.pdf({ path: path.join(shots, '08-poster.pdf'), format: 'A4', printBackground: true })).toString('latin1');
    expect(pdf.match(/\/Type\s*\/Page\b/g)?.length).toBe(1);
    await context.close();
  });

  it('says so and reloads when someone else acted first (a 409), keeping nothing of the refused step', async () => {
    const { context, page } = await phone();
    // No live events on this page (its socket goes to a silent stand-in), so it keeps the version it loaded.
    await context.routeWebSocket(/\/api\/v1\/events/, () => undefined);
    await signIn(page, OFFICER);
    await page.goto(`${server.baseUrl}/#/feedback/${ids.overdue}`);
    await page.waitForSelector(`[data-testid=feedback-detail][data-id="${ids.overdue}"][data-state=received]`);
    const seen = Number(await page.getAttribute('[data-testid=feedback-detail]', 'data-version'));
    // Meanwhile a colleague writes a note.
    await server.api.post(`/api/v1/feedback/${ids.overdue}/notes`, { text: 'Đã gọi điện cho người dân.', internal: true }, 200);
    await page.click('[data-testid=feedback-action-note]');
    await page.fill('[data-testid=feedback-note-text]', 'Ghi chú viết trên phiên bản cũ');
    await page.click('[data-testid=feedback-note-submit]');
    await page.waitForSelector('[data-testid=feedback-notice]');
    expect(await page.textContent('[data-testid=feedback-notice]')).toContain('Người khác vừa thao tác trên ý kiến này');
    await page.waitForFunction(`Number(document.querySelector('[data-testid=feedback-detail]')?.getAttribute('data-version')) > ${seen}`);
    // What the officer typed is still there, to send again on the fresh item.
    expect(await page.inputValue('[data-testid=feedback-note-text]')).toBe('Ghi chú viết trên phiên bản cũ');
    const history = await page.textContent('[data-testid=feedback-history]');
    expect(history).toContain('Đã gọi điện cho người dân.');
    expect(history).not.toContain('Ghi chú viết trên phiên bản cũ');
    await shot(page, '12-conflict');
    await context.close();
  });

  it('lets a district operator see both communes, transfer an item, read the statistics, follow new items live, export, record a call and merge', async () => {
    const { context, page } = await phone();
    await signIn(page, DISTRICT);
    await page.goto(`${server.baseUrl}/#/feedback`);
    await page.waitForSelector(`[data-testid=feedback-row][data-code="${codes.other}"]`);
    expect((await rowCodes(page)).sort()).toEqual([codes.overdue, codes.photo, codes.plain, codes.other].sort());
    expect((await rowCodes(page))[0]).toBe(codes.overdue);

    // Tây Đằng's street-light item goes to Vạn Thắng.
    await page.click(`[data-testid=feedback-row][data-code="${codes.plain}"] a`);
    await page.waitForSelector(`[data-testid=feedback-detail][data-id="${ids.plain}"]`);
    await page.click('[data-testid=feedback-action-transfer]');
    await page.selectOption('[data-testid=feedback-transfer-area]', VAN_THANG);
    await page.fill('[data-testid=feedback-transfer-reason]', 'Xóm Đông thuộc địa bàn xã Vạn Thắng.');
    await page.click('[data-testid=feedback-transfer-submit]');
    await page.waitForFunction(`document.querySelector('[data-testid=feedback-history] [data-kind=transferred]') !== null`);
    expect(await page.textContent('.fb-head')).toContain('Xã Vạn Thắng');
    expect((await server.api.get<FeedbackDetailView>(`/api/v1/feedback/${ids.plain}`)).areaCode).toBe(VAN_THANG);
    await shot(page, '04-transferred');

    // Reports › Ý kiến người dân for the district, over the last two weeks: four received, one answered, one overdue.
    await page.goto(`${server.baseUrl}/#/reports?period=range&from=${vnDate(-14)}&to=${vnDate(0)}&areaCode=271`);
    await page.click('[data-testid=report-feedback-tab]');
    await page.waitForSelector('[data-testid=feedback-report-loaded][data-area="271"]');
    expect(await page.getAttribute('[data-testid=feedback-report-loaded]', 'data-received')).toBe('4');
    const byArea = await page.$$eval('[data-testid=feedback-report-by-area] tbody tr', (els) => els.map((e) => [e.getAttribute('data-key'), e.getAttribute('data-received'), e.getAttribute('data-handled')]));
    // Worst first: Vạn Thắng (none of its two handled, the transferred one with it now) before Tây Đằng (one of two).
    expect(byArea).toEqual([
      [VAN_THANG, '2', '0'],
      [TAY_DANG, '2', '1'],
    ]);
    expect(await page.textContent('[data-testid=feedback-report-kpis] [data-kpi=received] .value')).toBe('4');
    expect(await page.textContent('[data-testid=feedback-report-kpis] [data-kpi=handled] .value')).toBe('25,0 %');
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    const stats = await server.api.get<FeedbackStatsView>(`/api/v1/reports/feedback?areaCode=271&from=${vnDate(-14)}&to=${vnDate(0)}`);
    expect(stats.totals).toMatchObject({ received: 4, handled: 1 });
    await shot(page, '05-report-feedback');
    const [xlsx] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=feedback-report-xlsx]')]);
    const xlsxFile = path.join(tempDir('feedback-officer-xlsx'), 'thong-ke.xlsx');
    await xlsx.saveAs(xlsxFile);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(readFileSync(xlsxFile) as unknown as ExcelJS.Buffer);
    expect(wb.worksheets.length).toBeGreaterThan(0);
    const cells = wb.worksheets.flatMap((w) => w.getSheetValues().flat().map(String));
    expect(cells).toEqual(expect.arrayContaining(['Xã Tây Đằng', 'Xã Vạn Thắng']));

    // Live: with the queue open, a new item filed by a resident appears without a reload, and the counters follow.
    await page.goto(`${server.baseUrl}/#/feedback`);
    await page.waitForSelector(`[data-testid=feedback-row][data-code="${codes.other}"]`);
    await page.waitForSelector('[data-testid=live-status][data-live=up]');
    await page.waitForSelector('[data-testid=feedback-count-open][data-value="3"]');
    const fresh = await server.api.anonymous().post<FeedbackReceipt>('/api/v1/public/feedback', {
      areaCode: VAN_THANG,
      name: 'Hoàng Thị Em',
      phone: '0912000005',
      title: 'Cống thoát nước bị tắc ở thôn Bằng Y',
      content: 'Cống thoát nước đầu thôn Bằng Y bị tắc, nước tràn ra đường.',
      category,
      consent: true,
    });
    await page.waitForSelector(`[data-testid=feedback-row][data-code="${fresh.code}"]`);
    await page.waitForSelector('[data-testid=feedback-count-open][data-value="4"]');

    // The export leaves the residents' personal data out unless asked for.
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=feedback-export-csv]')]);
    const csvFile = path.join(tempDir('feedback-officer-csv'), 'export.csv');
    await dl.saveAs(csvFile);
    const csv = readFileSync(csvFile, 'utf8');
    expect(csv).toContain(fresh.code);
    expect(csv).toContain(codes.other);
    expect(csv).not.toContain('0912000005');
    expect(csv).not.toContain('Hoàng Thị Em');

    // A resident's call taken at the district office: recorded in the commune, channel "office".
    await page.click('[data-testid=feedback-new]');
    await page.selectOption('[data-testid=feedback-new-area]', TAY_DANG);
    await page.waitForFunction("(document.querySelector('[data-testid=feedback-new-category]')?.value ?? '') !== ''");
    await page.fill('[data-testid=feedback-new-name]', 'Đỗ Văn Giang');
    await page.fill('[data-testid=feedback-new-phone]', '0912 000 006');
    await page.fill('[data-testid=feedback-new-title]', 'Xin cấp lại sổ hộ nghèo');
    await page.fill('[data-testid=feedback-new-content]', 'Gia đình bị mất sổ hộ nghèo khi lũ về, đề nghị xã cấp lại.');
    await page.click('[data-testid=feedback-new-submit]');
    await page.waitForSelector('[data-testid=feedback-detail][data-state=received]');
    expect(await page.textContent('.fb-head')).toContain('Tại bộ phận một cửa');
    const recorded = await server.api.get<FeedbackDetailView>(`/api/v1/feedback/${await page.getAttribute('[data-testid=feedback-detail]', 'data-id')}`);
    expect(recorded).toMatchObject({ areaCode: TAY_DANG, channel: 'office', title: 'Xin cấp lại sổ hộ nghèo', resident: { name: 'Đỗ Văn Giang', phone: '0912000006' } });
    await shot(page, '09-office-entry');

    // A second resident reports the same rubbish: offered as similar on the first item, and merged into it.
    const again = await server.api.anonymous().post<FeedbackReceipt>('/api/v1/public/feedback', {
      areaCode: VAN_THANG,
      name: 'Vũ Văn Hải',
      phone: '0912000007',
      title: 'Rác thải ven kênh Bằng Y',
      content: 'Rác thải đổ ven kênh Bằng Y nhiều ngày chưa được thu gom, bốc mùi.',
      category,
      consent: true,
    });
    await page.goto(`${server.baseUrl}/#/feedback/${ids.other}`);
    await page.waitForSelector(`[data-testid=feedback-similar-item] >> text=${again.code}`);
    await page.click(`[data-testid=feedback-similar-item]:has-text("${again.code}") [data-testid=feedback-merge]`);
    await page.waitForSelector(`[data-testid=feedback-similar] a:has-text("${again.code}")`);
    const list = await server.api.get<FeedbackListView>(`/api/v1/feedback?state=merged&q=${again.code}`);
    expect(list.items.map((i) => [i.code, i.mergedInto?.code])).toEqual([[again.code, codes.other]]);
    await context.close();

    // On a desk the queue is a table, still overdue first.
    const desk = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1, locale: 'vi-VN' });
    const deskPage = await desk.newPage();
    await signIn(deskPage, DISTRICT);
    await deskPage.goto(`${server.baseUrl}/#/feedback`);
    await deskPage.waitForSelector('table[data-testid=feedback-list] tr[data-testid=feedback-row]');
    expect((await rowCodes(deskPage))[0]).toBe(codes.overdue);
    await shot(deskPage, '10-desktop-queue');
    await deskPage.click(`[data-testid=feedback-row][data-code="${codes.photo}"]`);
    await deskPage.waitForSelector(`[data-testid=feedback-detail][data-id="${ids.photo}"] [data-testid=feedback-bulletin-content]`);
    await shot(deskPage, '11-desktop-item');
    await desk.close();
  });
});
