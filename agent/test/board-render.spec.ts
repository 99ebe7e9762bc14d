/**
 * The board page in a real Chromium: BoardRunner shows a styled text, then an image from the media cache, through
 * the shared renderer (the same one the server's preview uses).
 */
import { jest } from '@jest/globals';
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import type { ImageSlot, TextSlot } from '@loa/shared';
import { BoardServer } from '../src/features/board/board.js';
import { SystemClock } from '../src/clock.js';
import type { MediaCache } from '../src/features/media/media-cache.js';
import { BoardRunner } from '../src/features/playback/runners.js';
import { silentLogger, tempDir, waitFor } from './helpers.js';

jest.setTimeout(60_000);
const CHROMIUM = process.env.LOA_E2E_CHROMIUM ?? '/usr/bin/chromium';
const SHA = 'b'.repeat(64);

describe(BoardRunner.name, () => {
  let board: BoardServer;
  let browser: Browser;
  let work: { dir: string; cleanup: () => Promise<void> };
  let sut: BoardRunner;
  const ensured: string[] = [];

  beforeAll(async () => {
    work = await tempDir();
    const png = path.join(work.dir, SHA);
    execFileSync(ffmpegInstaller.path, ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=red:size=320x180', '-frames:v', '1', '-f', 'image2', '-c:v', 'png', png]);
    const cache = {
      ensure: async (sha: string) => (ensured.push(sha), png),
      verifiedPath: async (sha: string) => {
        if (sha !== SHA) throw new Error('missing');
        return png;
      },
    } as unknown as MediaCache;
    board = new BoardServer({ host: '127.0.0.1', port: 0, logger: silentLogger(), mediaPath: (sha) => cache.verifiedPath(sha) });
    await board.start();
    sut = new BoardRunner(board, new SystemClock(), cache);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  });
  afterAll(async () => {
    await browser?.close();
    await board.stop();
    await work.cleanup();
  });

  const base = { scheduleId: 's', contentId: 'c', priority: 'normal' as const, startAt: Date.now(), durationMs: 30_000 };

  it('shows styled text, then an image served from the media cache', async () => {
    const page = await browser.newPage({ viewport: { width: 640, height: 360 } });
    await page.goto(board.url, { waitUntil: 'domcontentloaded' });
    const text: TextSlot = {
      ...base,
      occurrenceId: 'occ-text',
      type: 'text',
      title: 'Thông báo',
      text: 'Ủy ban nhân dân xã Tây Đằng tổ chức tiêm chủng',
      style: { fontSize: 40, color: '#ffff00', background: '#000080', mode: 'static' },
    };
    const h1 = await sut.run(text);
    await waitFor(async () => (await page.textContent('#message'))?.includes('Tây Đằng'), 10_000, 'styled text');
    // A string expression: this package is compiled without the DOM library.
    const look = await page.evaluate<{ size: string; color: string; bg: string }>(`(() => {
      const m = getComputedStyle(document.getElementById('message'));
      return { size: m.fontSize, color: m.color, bg: getComputedStyle(document.getElementById('screen')).backgroundColor };
    })()`);
    expect(look).toEqual({ size: '40px', color: 'rgb(255, 255, 0)', bg: 'rgb(0, 0, 128)' });
    h1.stop();

    const image: ImageSlot = { ...base, occurrenceId: 'occ-img', type: 'image', title: 'Áp phích', media: { sha256: SHA, bytes: 100, mime: 'image/png' }, fit: 'contain' };
    await sut.prepare(image);
    expect(ensured).toEqual([SHA]);
    const h2 = await sut.run(image);
    const natural = await waitFor(
      async () =>
        page.evaluate<string | null>(`(() => {
          const img = document.getElementById('image');
          return img && img.complete && img.naturalWidth > 0 ? img.naturalWidth + 'x' + img.naturalHeight : null;
        })()`),
      10_000,
      'the image to load',
    );
    expect(natural).toBe('320x180');
    const pixel = await page.screenshot({ clip: { x: 320, y: 180, width: 1, height: 1 } });
    expect(pixel.length).toBeGreaterThan(0);
    h2.stop();
    expect((await fetch(`${board.url}/media/${'c'.repeat(64)}`)).status).toBe(404);
    expect((await fetch(`${board.url}/media/..%2Fetc`)).status).toBe(404);
  });

  it('refuses an image slot whose file is not in the cache', async () => {
    const missing: ImageSlot = { ...base, occurrenceId: 'occ-x', type: 'image', title: 'x', media: { sha256: 'd'.repeat(64), bytes: 1, mime: 'image/png' }, fit: 'contain' };
    await expect(sut.run(missing)).rejects.toThrow(/missing/);
  });
});
