import type { NextFunction, Request, Response } from 'express';
import type { LoaMetrics } from './loa-metrics.js';

/**
 * Express middleware timing every request. The route label is the matched route's template (`/api/v1/devices/:id`,
 * known once the router has run, hence read at `finish`), "static" for the dashboard's files and "unmatched" for the
 * rest: never the raw URL, whose ids would make a series per device.
 */
export function httpMetricsMiddleware(metrics: LoaMetrics): (req: Request, res: Response, next: NextFunction) => void {
  return (req, res, next) => {
    const started = performance.now();
    res.once('finish', () => {
      const matched = (req as Request & { route?: { path?: unknown } }).route?.path;
      const route = typeof matched === 'string' ? `${req.baseUrl}${matched}` : req.method === 'GET' && !req.originalUrl.startsWith('/api/') && res.statusCode < 400 ? 'static' : 'unmatched';
      metrics.httpRequest(req.method, route, res.statusCode, (performance.now() - started) / 1000);
    });
    next();
  };
}
