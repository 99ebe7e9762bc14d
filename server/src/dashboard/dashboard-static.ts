import { FEEDBACK_PUBLIC_PAGE_PATH } from '@loa/shared/rest';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppLogger } from '../logging/logger.js';

/** dashboard/dist beside server/ in this repository (server/dist/dashboard/ → ../../../dashboard/dist). */
export const defaultDashboardDir = (): string => path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../dashboard/dist');

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Loa</title>
<p>The Loa dashboard has not been built. Run <code>npm run build</code> (or <code>npm start</code>, which builds it) in the repository, or set LOA_DASHBOARD_DIR.</p>
<p>The API is at <a href="/api/docs">/api/docs</a>.</p>`;

/**
 * Serves the operators' dashboard (a static single-page app using hash routes) at "/". It holds no secrets: every
 * datum it shows comes from the API with the user's token, so the files are public.
 */
const PUBLIC_PAGE_CSP = "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/**
 * The operators' dashboard's policy: images only from here, data:/blob: URLs and the map's tile server (issue 19,
 * LOA_MAP_TILE_URL), so a page cannot be made to beacon elsewhere through an image; no plugins, no <base>.
 */
export const dashboardCsp = (imgOrigins: readonly string[]): string => ["img-src 'self' data: blob:" + imgOrigins.map((o) => ` ${o}`).join(''), "object-src 'none'", "base-uri 'self'"].join('; ');

export function mountDashboard(app: NestExpressApplication, dir: string, logger: AppLogger, options: { imgOrigins?: readonly string[] } = {}): void {
  const csp = dashboardCsp(options.imgOrigins ?? []);
  const index = path.join(dir, 'index.html');
  const http = app.getHttpAdapter().getInstance() as { use: (fn: (req: Req, res: Res, next: () => void) => void) => void };
  http.use((req, res, next) => {
    // Headers for the dashboard's own files; API routes set theirs.
    if (!req.path.startsWith('/api/')) {
      res.setHeader('X-Content-Type-Options', 'nosniff');
      res.setHeader('Referrer-Policy', 'no-referrer');
      res.setHeader('X-Frame-Options', 'SAMEORIGIN');
      // The residents' feedback page (issue 17) is public and takes personal data: it runs under a strict policy
      // (no inline code, nothing from elsewhere); its browser test proves the page works under exactly this one.
      if (req.path.startsWith(FEEDBACK_PUBLIC_PAGE_PATH)) res.setHeader('Content-Security-Policy', PUBLIC_PAGE_CSP);
      else res.setHeader('Content-Security-Policy', csp);
    }
    next();
  });
  if (!existsSync(index)) {
    logger.warn({ ctx: 'dashboard', dir }, 'dashboard not built: serving a notice at /');
    http.use((req, res, next) => {
      if (req.method === 'GET' && req.path === '/') {
        res.setHeader('Content-Type', 'text/html; charset=utf-8');
        res.end(NOT_BUILT);
        return;
      }
      next();
    });
    return;
  }
  // index.html must never be cached (it names the current bundle); the bundle may be cached briefly.
  app.useStaticAssets(dir, {
    index: 'index.html',
    maxAge: '5m',
    setHeaders: (res, file) => {
      if (file.endsWith('.html')) res.setHeader('Cache-Control', 'no-cache');
    },
  });
  logger.info({ ctx: 'dashboard', dir }, 'dashboard served at /');
}

interface Req {
  path: string;
  method: string;
}
interface Res {
  setHeader(name: string, value: string): void;
  end(body: string): void;
}
