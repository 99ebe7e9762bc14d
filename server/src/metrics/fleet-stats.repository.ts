import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { DEVICE_KINDS } from '@loa/shared';
import { AppConfig } from '../config/app-config.js';
import { Clock } from '../common/clock.js';
import { areaCodesOf } from '../areas/area.entity.js';

/** Offline and total devices under one area of the configured level (or an area above it holding devices itself). */
export interface AreaCount {
  code: string;
  name: string;
  level: string;
  offline: number;
  total: number;
}

/** What the scrape needs from the database; a family whose query failed is null (and the scrape goes on). */
export interface FleetStats {
  devices: Array<{ kind: string; online: number; total: number }> | null;
  areas: AreaCount[] | null;
  timelineBehind: { online: number; offline: number } | null;
  mediaJobs: { queued: number; running: number; failed: number } | null;
  fanouts: { jobs: Record<'queued' | 'materialising' | 'sending', number>; devicesPending: number } | null;
  outbox: { pending: number; oldestAgeS: number } | null;
  /** Families whose query failed in this scrape. */
  failed: number;
}

export interface PgPool {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

/** Two scrapes (two Prometheus servers, a human with curl) within this window share one set of queries. */
export const FLEET_STATS_TTL_MS = 1000;

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const truthy = (v: unknown): boolean => v === true || v === 1 || v === '1' || v === 't';

/**
 * Aggregates for /metrics, computed at scrape time: one cheap GROUP BY per family, the same SQL on SQLite and
 * PostgreSQL, cached for FLEET_STATS_TTL_MS. Nothing here runs between scrapes, so an unscraped server pays nothing.
 */
@Injectable()
export class FleetStatsReader {
  private cached: { at: number; stats: Promise<FleetStats> } | null = null;

  constructor(
    private readonly db: DataSource,
    private readonly config: AppConfig,
    private readonly clock: Clock,
  ) {}

  read(): Promise<FleetStats> {
    const now = performance.now();
    if (this.cached && now - this.cached.at < FLEET_STATS_TTL_MS) return this.cached.stats;
    const stats = this.query();
    this.cached = { at: now, stats };
    return stats;
  }

  private async query(): Promise<FleetStats> {
    let failed = 0;
    const guard = async <T>(q: () => Promise<T>): Promise<T | null> => {
      try {
        return await q();
      } catch {
        failed++;
        return null;
      }
    };
    // One after the other: a scrape holds at most one pooled connection, never several the fleet's traffic needs.
    const devices = await guard(() => this.devices());
    const areas = await guard(() => this.areas());
    const timelineBehind = await guard(() => this.timelineBehind());
    const mediaJobs = await guard(() => this.mediaJobs());
    const fanouts = await guard(() => this.fanouts());
    const outbox = await guard(() => this.outbox());
    return { devices, areas, timelineBehind, mediaJobs, fanouts, outbox, failed };
  }

  /** The pg Pool TypeORM's PostgreSQL driver holds (its `master`); null on SQLite (one connection). */
  pool(): PgPool | null {
    if (!this.pg) return null;
    return (this.db.driver as unknown as { master?: PgPool }).master ?? null;
  }

  private get pg(): boolean {
    return this.db.options.type === 'postgres';
  }

  private async devices(): Promise<NonNullable<FleetStats['devices']>> {
    const rows = (await this.db.query('SELECT kind, SUM(CASE WHEN online THEN 1 ELSE 0 END) AS online, COUNT(*) AS total FROM devices GROUP BY kind')) as Array<{ kind: string; online: unknown; total: unknown }>;
    // Every kind appears, with zeros, so a fleet that lost all its boards still shows the series at 0.
    const byKind = new Map<string, { kind: string; online: number; total: number }>(DEVICE_KINDS.map((k) => [k, { kind: k, online: 0, total: 0 }]));
    for (const r of rows) byKind.set(r.kind, { kind: r.kind, online: num(r.online), total: num(r.total) });
    return [...byKind.values()];
  }

  /**
   * Devices counted per area of their own, then folded onto the ancestor at the configured level in memory (the
   * areas of that level are a few hundred rows): cheaper than a LIKE join of every area against every ancestor.
   */
  private async areas(): Promise<AreaCount[]> {
    const level = this.config.metrics.offlineAreaLevel;
    const p = this.pg ? '$1' : '?';
    const counts = (await this.db.query(
        'SELECT a.code AS code, a.name AS name, a.level AS level, a.path AS path, SUM(CASE WHEN d.online THEN 0 ELSE 1 END) AS offline, COUNT(*) AS total FROM devices d JOIN areas a ON a.code = d.area_code GROUP BY a.code, a.name, a.level, a.path',
    )) as Array<{ code: string; name: string; level: string; path: string; offline: unknown; total: unknown }>;
    const tops = (await this.db.query(`SELECT code, name FROM areas WHERE level = ${p}`, [level])) as Array<{ code: string; name: string }>;
    const atLevel = new Map(tops.map((a) => [a.code, a.name]));
    const out = new Map<string, AreaCount>();
    for (const r of counts) {
      const ancestor = areaCodesOf(r.path).find((c) => atLevel.has(c));
      // A device attached above the level (a province's own speaker) is counted under its own area.
      const key = ancestor ?? r.code;
      const entry = out.get(key) ?? { code: key, name: ancestor ? atLevel.get(ancestor)! : r.name, level: ancestor ? level : r.level, offline: 0, total: 0 };
      entry.offline += num(r.offline);
      entry.total += num(r.total);
      out.set(key, entry);
    }
    return [...out.values()];
  }

  private async timelineBehind(): Promise<NonNullable<FleetStats['timelineBehind']>> {
    const rows = (await this.db.query('SELECT online, COUNT(*) AS n FROM devices WHERE acked_timeline_version < timeline_version GROUP BY online')) as Array<{ online: unknown; n: unknown }>;
    const out = { online: 0, offline: 0 };
    for (const r of rows) out[truthy(r.online) ? 'online' : 'offline'] += num(r.n);
    return out;
  }

  private async mediaJobs(): Promise<NonNullable<FleetStats['mediaJobs']>> {
    const rows = (await this.db.query("SELECT state, COUNT(*) AS n FROM media_jobs WHERE state <> 'done' GROUP BY state")) as Array<{ state: string; n: unknown }>;
    const out = { queued: 0, running: 0, failed: 0 };
    for (const r of rows) {
      if (r.state === 'queued') out.queued += num(r.n);
      else if (r.state === 'failed') out.failed += num(r.n);
      else out.running += num(r.n);
    }
    return out;
  }

  private async fanouts(): Promise<NonNullable<FleetStats['fanouts']>> {
    const rows = (await this.db.query(
      "SELECT state, COUNT(*) AS n, SUM(total - done) AS pending FROM fanouts WHERE state IN ('queued', 'materialising', 'sending') GROUP BY state",
    )) as Array<{ state: 'queued' | 'materialising' | 'sending'; n: unknown; pending: unknown }>;
    const out = { jobs: { queued: 0, materialising: 0, sending: 0 }, devicesPending: 0 };
    for (const r of rows) {
      out.jobs[r.state] = num(r.n);
      out.devicesPending += num(r.pending);
    }
    return out;
  }

  private async outbox(): Promise<NonNullable<FleetStats['outbox']>> {
    const [row] = (await this.db.query('SELECT COUNT(*) AS n, MIN(created_at) AS oldest FROM notification_outbox WHERE sent_at IS NULL AND failed_at IS NULL')) as Array<{ n: unknown; oldest: unknown }>;
    const oldest = row?.oldest === null || row?.oldest === undefined ? null : num(row.oldest);
    return { pending: num(row?.n), oldestAgeS: oldest === null ? 0 : Math.max(0, (this.clock.now() - oldest) / 1000) };
  }
}
