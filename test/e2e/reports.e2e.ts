/**
 * Issue 16, "done when": an operator opens Reports on a phone-sized screen (390×844), sees last month's coverage of a
 * district with the commune below 100 % first, drills down to a device and the occurrences behind its figure,
 * downloads the XLSX in Vietnamese (read back with exceljs) and opens the printable report. A real server process
 * and a real Chromium; last month's proof of play is written into the server's SQLite (as scheduling.e2e.ts reads
 * it) and reaches the report through the server's own rollup job, which picks changed deliveries up by updated_at.
 * Screenshots land in test-artifacts/reports/.
 */
import { jest } from '@jest/globals';
import Database from 'better-sqlite3';
import ExcelJS from 'exceljs';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ADMIN_PASSWORD, ADMIN_USERNAME, artifactsDir, loa, stopAll, spawnServer, tempDir, waitFor, type TestServer } from './support/index.js';

jest.setTimeout(300_000);

const SUITE = 'reports';
const CHROMIUM = process.env.LOA_E2E_CHROMIUM ?? '/usr/bin/chromium';

/** Last month on Vietnam's calendar (the Reports page's default period). */
function lastMonthVn(now = Date.now()): { y: number; m: number; label: string } {
  const vn = new Date(now + 7 * 3_600_000);
  const y = vn.getUTCMonth() === 0 ? vn.getUTCFullYear() - 1 : vn.getUTCFullYear();
  const m = vn.getUTCMonth() === 0 ? 12 : vn.getUTCMonth();
  return { y, m, label: `${y}-${String(m).padStart(2, '0')}` };
}

/** dd of the month at 06:30 in Vietnam, as epoch ms. */
const at = (y: number, m: number, d: number): number => Date.UTC(y, m - 1, d, 6, 30) - 7 * 3_600_000;

interface Coverage {
  totals: { due: number; played: number; coverage: number | null };
  rows: Array<{ key: string; name: string; figures: { coverage: number | null; due: number } }>;
}

describe('Reports in a real browser on a phone', () => {
  let server: TestServer;
  let browser: Browser;
  const month = lastMonthVn();
  const shots = artifactsDir(SUITE);
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(shots, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    server = await spawnServer({ suite: SUITE });
    const { api } = server;
    await loa.createArea(api, { code: '01', name: 'Thành phố Hà Nội', level: 'province' });
    await loa.createArea(api, { code: '271', name: 'Huyện Ba Vì', level: 'district', parentCode: '01' });
    await loa.createArea(api, { code: '09955', name: 'Xã Tây Đằng', level: 'commune', parentCode: '271' });
    await loa.createArea(api, { code: '09958', name: 'Xã Vạn Thắng', level: 'commune', parentCode: '271' });
    await loa.createArea(api, { code: '09961', name: 'Xã Cổ Đô', level: 'commune', parentCode: '271' });
    for (const d of [
      { id: 'loa-taydang-01', name: 'Cụm loa thôn Yên Thịnh', areaCode: '09955' },
      { id: 'loa-taydang-02', name: 'Cụm loa thôn Đông Phú', areaCode: '09955' },
      { id: 'loa-vanthang-01', name: 'Cụm loa thôn Bằng Y', areaCode: '09958' },
      { id: 'loa-codo-01', name: 'Cụm loa thôn Cổ Đô', areaCode: '09961' },
    ])
      await loa.createDevice(api, { ...d, kind: 'speaker' });

    // Last month's proof of play: four morning bulletins; Tây Đằng's second speaker failed them all (50 %), Cổ Đô
    // missed one (75 %), Vạn Thắng played everything (100 %).
    const db = new Database(path.join(server.dataDir, 'loa.sqlite'), { fileMustExist: true, timeout: 30_000 });
    try {
      const now = Date.now();
      db.prepare("INSERT INTO contents (id, type, title, text, duration_ms, created_by, created_at, state) VALUES ('c-sang', 'text', 'Bản tin sáng', 'x', 300000, 'seed', 0, 'approved')").run();
      db.prepare("INSERT INTO schedules (id, content_id, priority, start_at, status, created_by, created_at) VALUES ('s-sang', 'c-sang', 'normal', ?, 'active', 'seed', 0)").run(at(month.y, month.m, 3));
      const occ = db.prepare("INSERT INTO occurrences (id, schedule_id, start_at, duration_ms) VALUES (?, 's-sang', ?, 300000)");
      const del = db.prepare(
        "INSERT INTO deliveries (occurrence_id, device_id, schedule_id, state, queued_at, delivered_at, started_at, ended_at, played_ms, reason, updated_at) VALUES (?, ?, 's-sang', ?, ?, ?, ?, ?, ?, ?, ?)",
      );
      [3, 10, 17, 24].forEach((day, i) => {
        const start = at(month.y, month.m, day);
        const id = `o-sang-${day}`;
        occ.run(id, start);
        const played = (device: string) => del.run(id, device, 'finished', start - 3_600_000, start - 3_000_000, start + 1_000, start + 301_000, 300_000, null, now);
        played('loa-taydang-01');
        del.run(id, 'loa-taydang-02', 'failed', start - 3_600_000, start - 3_000_000, start + 1_000, start + 20_000, 19_000, 'Mất nguồn loa', now);
        played('loa-vanthang-01');
        if (i === 1) del.run(id, 'loa-codo-01', 'expired', start - 3_600_000, null, null, null, null, 'Thiết bị mất kết nối', now);
        else played('loa-codo-01');
      });
    } finally {
      db.close();
    }
    // The rollup job takes the new deliveries in (asked to run now rather than within its 30 s).
    await waitFor(
      async () => {
        await api.post('/api/v1/reports/coverage/refresh', {}, 200);
        const r = await api.get<Coverage>(`/api/v1/reports/coverage?month=${month.label}&areaCode=271`);
        return r.totals.due === 16 ? r : undefined;
      },
      150_000,
      { what: 'last month in the coverage rollups', intervalMs: 1_000 },
    );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await stopAll();
  });

  it('shows the worst commune first, drills down to a device and its occurrences, downloads the XLSX and prints', async () => {
    const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true, hasTouch: true, acceptDownloads: true });
    const page = await context.newPage();
    await page.goto(server.baseUrl, { waitUntil: 'domcontentloaded' });
    await page.fill('input[name=username]', ADMIN_USERNAME);
    await page.fill('input[name=password]', ADMIN_PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForSelector('[data-testid=logout]');

    // The menu (collapsed on a phone) has "Báo cáo"; the page opens on last month.
    await page.click('.menu-toggle');
    await page.click('[data-nav="/reports"]');
    await page.waitForSelector(`[data-testid=report-loaded][data-period="${month.label}"]`);
    expect(await page.textContent('.sidenav [data-nav="/reports"]')).toBe('Báo cáo');
    await shot(page, '01-reports-nationwide');

    // Down to the district: its communes, worst first, the ones short of 100 % flagged.
    await page.selectOption('[data-testid=report-area]', '271');
    await page.waitForSelector('[data-testid=report-loaded][data-area="271"]');
    const rows = await page.$$eval('[data-testid=report-row]', (els) => els.map((e) => ({ key: e.getAttribute('data-key'), coverage: e.getAttribute('data-coverage'), low: e.classList.contains('row-low') })));
    expect(rows).toEqual([
      { key: '09955', coverage: '0.5', low: true },
      { key: '09961', coverage: '0.75', low: true },
      { key: '09958', coverage: '1', low: false },
    ]);
    expect(await page.getAttribute('[data-testid=report-kpis]', 'data-coverage')).toBe(String(11 / 16));
    expect(await page.textContent('[data-testid=report-kpis] [data-kpi=coverage] .value')).toBe('68,7 %'); // 68.75 %, never rounded up to a figure not reached
    expect(await page.getAttribute('[data-testid=report-chart]', 'data-bars')).not.toBe('0');
    // The page fits the phone: nothing wider than the screen but the tables' own scroll areas.
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(390);
    await shot(page, '02-district-worst-first');

    // The commune: its devices, the failing one first.
    await page.click('[data-testid=report-row][data-key="09955"]');
    await page.waitForSelector('[data-testid=report-loaded][data-area="09955"]');
    const devices = await page.$$eval('[data-testid=report-row]', (els) => els.map((e) => [e.getAttribute('data-kind'), e.getAttribute('data-key'), e.getAttribute('data-coverage')]));
    expect(devices).toEqual([
      ['device', 'loa-taydang-02', '0'],
      ['device', 'loa-taydang-01', '1'],
    ]);
    expect(await page.textContent('[data-testid=report-crumbs]')).toContain('Huyện Ba Vì');
    await shot(page, '03-commune-devices');

    // The device: its figures and the four occurrences behind them, in Vietnamese.
    await page.click('[data-testid=report-row][data-key="loa-taydang-02"]');
    await page.waitForSelector('[data-testid=report-device][data-device-id="loa-taydang-02"] [data-testid=device-kpis]');
    await page.waitForFunction("document.querySelectorAll('[data-testid=device-occurrence]').length === 4");
    const occurrences = await page.$$eval('[data-testid=device-occurrence]', (els) => els.map((e) => [e.getAttribute('data-state'), e.querySelector('.badge')?.textContent]));
    expect(occurrences).toEqual(Array.from({ length: 4 }, () => ['failed', 'Lỗi']));
    expect(await page.textContent('[data-testid=device-occurrences]')).toContain('Mất nguồn loa');
    expect(await page.getAttribute('[data-testid=device-kpis]', 'data-coverage')).toBe('0');
    await shot(page, '04-device-occurrences');

    // Back up by the breadcrumbs to the district, and download its XLSX.
    await page.click('[data-testid=report-crumbs] [data-crumb="271"]');
    await page.waitForSelector('[data-testid=report-loaded][data-area="271"]');
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=report-xlsx] >> nth=0')]);
    expect(dl.suggestedFilename()).toBe(`Báo cáo thông tin cơ sở Huyện Ba Vì ${month.label}.xlsx`);
    const file = path.join(tempDir('reports-xlsx'), 'bao-cao.xlsx');
    await dl.saveAs(file);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(readFileSync(file) as unknown as ExcelJS.Buffer);
    expect(wb.worksheets.map((w) => w.name)).toEqual(['Tổng hợp', 'Theo địa bàn', 'Theo cấp', 'Theo mức ưu tiên', 'Theo thể loại', 'Theo ngày', 'Lỗi theo nguyên nhân']);
    const byArea = wb.getWorksheet('Theo địa bàn')!;
    expect((byArea.getRow(4).values as unknown[]).slice(1, 6)).toEqual(['Mã', 'Tên', 'Cấp/loại', 'Số lượt phải phát', 'Số lượt phát hết']);
    expect((byArea.getRow(5).values as unknown[]).slice(1, 7)).toEqual(['09955', 'Xã Tây Đằng', 'Xã/phường', 8, 4, 0.5]);
    const mm = String(month.m).padStart(2, '0');
    expect(wb.getWorksheet('Tổng hợp')!.getRow(1).getCell(1).value).toBe(`Báo cáo kết quả thông tin cơ sở — tháng ${mm}/${month.y} — Huyện Ba Vì`);
    const reasons = wb.getWorksheet('Lỗi theo nguyên nhân')!;
    const reasonRows = [5, 6].map((n) => (reasons.getRow(n).values as unknown[]).slice(1));
    expect(reasonRows).toEqual(expect.arrayContaining([['Mất nguồn loa', 4]]));

    // The printable report: heading, totals, communes worst first, signatures; no dashboard chrome on paper.
    await page.click('[data-testid=report-print]');
    await page.waitForSelector('[data-testid=report-print-loaded][data-area="271"]');
    expect(await page.textContent('[data-testid=report-print-title]')).toBe(`Báo cáo kết quả thông tin cơ sở — tháng ${mm}/${month.y} — Huyện Ba Vì`);
    expect(await page.$$eval('[data-testid=report-print-rows] tbody tr', (els) => els.map((e) => e.getAttribute('data-key')))).toEqual(['09955', '09961', '09958']);
    const signatures = await page.textContent('[data-testid=report-print-signatures]');
    expect(signatures).toContain('Người lập biểu');
    expect(signatures).toContain('Thủ trưởng đơn vị');
    await shot(page, '05-print-view-phone');
    await page.emulateMedia({ media: 'print' });
    expect(await page.isVisible('.topbar')).toBe(false);
    expect(await page.isVisible('.sidenav')).toBe(false);
    expect(await page.isVisible('[data-testid=report-print-now]')).toBe(false);
    expect(await page.isVisible('[data-testid=report-print-title]')).toBe(true);
    // On paper it is one A4 page (595 × 842 pt), with the signature block on it.
    const pdf = (await page.pdf({ path: path.join(shots, '06-report.pdf'), format: 'A4', printBackground: true })).toString('latin1');
    expect(pdf.match(/\/Type\s*\/Page\b/g)?.length).toBe(1);
    expect(pdf).toMatch(/\/MediaBox\s*\[0 0 595\.\d+ 842\.\d+\]/);
    await context.close();
  });
});
