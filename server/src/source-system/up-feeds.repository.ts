import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { managerOf } from '../database/transaction-runner.js';

export interface ScheduleRow {
  id: string;
  contentId: string;
  contentTitle: string | null;
  priority: string;
  status: string;
  startAt: number;
  rrule: string | null;
  timezone: string;
  repeat: number;
  gapMs: number;
  volume: number | null;
  createdAt: number;
  updatedAt: number | null;
  targets: Array<{ kind: string; ref: string }>;
}

export interface InventoryRow {
  id: string;
  name: string;
  kind: string;
  areaCode: string;
  areaName: string | null;
  online: boolean;
  lastSeenAt: string | null;
  agentVersion: string | null;
}

const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** The reads the up feeds need from other features' tables (schedules, devices, areas, contents), as plain rows. */
@Injectable()
export class UpFeedsRepository {
  constructor(private readonly db: DataSource) {}

  private get m(): EntityManager {
    return managerOf(this.db);
  }

  async schedule(id: string): Promise<ScheduleRow | null> {
    const r = await this.m
      .createQueryBuilder()
      .select([
        's.id AS "id"',
        's.content_id AS "contentId"',
        'c.title AS "contentTitle"',
        's.priority AS "priority"',
        's.status AS "status"',
        's.start_at AS "startAt"',
        's.rrule AS "rrule"',
        's.timezone AS "timezone"',
        's.repeat_count AS "repeat"',
        's.gap_ms AS "gapMs"',
        's.volume AS "volume"',
        's.created_at AS "createdAt"',
        's.updated_at AS "updatedAt"',
      ])
      .from('schedules', 's')
      .leftJoin('contents', 'c', 'c.id = s.content_id')
      .where('s.id = :id', { id })
      .getRawOne<Record<string, unknown>>();
    if (!r) return null;
    const targets = await this.m
      .createQueryBuilder()
      .select(['t.kind AS "kind"', 't.ref AS "ref"'])
      .from('schedule_targets', 't')
      .where('t.schedule_id = :id', { id })
      .orderBy('t.kind')
      .addOrderBy('t.ref')
      .getRawMany<{ kind: string; ref: string }>();
    return {
      id: String(r.id),
      contentId: String(r.contentId),
      contentTitle: (r.contentTitle as string | null) ?? null,
      priority: String(r.priority),
      status: String(r.status),
      startAt: num(r.startAt),
      rrule: (r.rrule as string | null) ?? null,
      timezone: String(r.timezone),
      repeat: num(r.repeat),
      gapMs: num(r.gapMs),
      volume: numOrNull(r.volume),
      createdAt: num(r.createdAt),
      updatedAt: numOrNull(r.updatedAt),
      targets,
    };
  }

  /** Schedules changed (or created) at or after `since`, for the catch-up of the schedule feed. */
  async schedulesChangedSince(since: number, limit: number): Promise<string[]> {
    const rows = await this.m
      .createQueryBuilder()
      .select('s.id', 'id')
      .from('schedules', 's')
      .where('COALESCE(s.updated_at, s.created_at) >= :since', { since })
      .orderBy('s.id')
      .limit(limit)
      .getRawMany<{ id: string }>();
    return rows.map((r) => r.id);
  }

  /** Contents approved at or after `since` (their approval step in content_events), for the catch-up of the bulletin feed. */
  async contentsApprovedSince(since: number, limit: number): Promise<string[]> {
    const rows = await this.m
      .createQueryBuilder()
      .select('c.id', 'id')
      .from('contents', 'c')
      .where("c.state = 'approved'")
      .andWhere('COALESCE(c.updated_at, c.created_at) >= :since', { since })
      .orderBy('c.id')
      .limit(limit)
      .getRawMany<{ id: string }>();
    return rows.map((r) => r.id);
  }

  /** Every device with its area and status, in pages of `limit` after `afterId`. */
  async inventory(afterId: string | null, limit: number): Promise<InventoryRow[]> {
    const q = this.m
      .createQueryBuilder()
      .select([
        'd.id AS "id"',
        'd.name AS "name"',
        'd.kind AS "kind"',
        'd.area_code AS "areaCode"',
        'a.name AS "areaName"',
        'd.online AS "online"',
        'd.last_seen_at AS "lastSeenAt"',
        'd.agent_version AS "agentVersion"',
      ])
      .from('devices', 'd')
      .leftJoin('areas', 'a', 'a.code = d.area_code');
    if (afterId !== null) q.where('d.id > :afterId', { afterId });
    const rows = await q.orderBy('d.id').limit(limit).getRawMany<Record<string, unknown>>();
    return rows.map((r) => ({
      id: String(r.id),
      name: String(r.name),
      kind: String(r.kind),
      areaCode: String(r.areaCode),
      areaName: (r.areaName as string | null) ?? null,
      online: r.online === true || r.online === 1 || r.online === '1',
      lastSeenAt: r.lastSeenAt === null || r.lastSeenAt === undefined ? null : new Date(Number(r.lastSeenAt)).toISOString(),
      agentVersion: (r.agentVersion as string | null) ?? null,
    }));
  }

  /** The name of the top of our area tree (e.g. "Tỉnh Hà Tĩnh"): how the bulletins we send name their origin. */
  async rootAreaName(): Promise<string | null> {
    const r = await this.m
      .createQueryBuilder()
      .select('a.name', 'name')
      .from('areas', 'a')
      .where('a.parent_code IS NULL')
      .orderBy('a.code')
      .limit(1)
      .getRawOne<{ name: string }>();
    return r?.name ?? null;
  }
}
