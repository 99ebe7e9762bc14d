import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { FeedbackChannel, FeedbackPriority, FeedbackState } from '@loa/shared/rest';
import { rawNum as num, rawNumOrNull as numOrNull, rawStrOrNull as strOrNull } from '../database/raw-values.js';

/**
 * The sums a slice of items adds up to: counts, and the sums and counts behind the averages, so that slices read per
 * area can be added into their child area (and the totals) before shares and averages are taken.
 */
export interface StatsCounts {
  received: number;
  handled: number;
  handledOnTime: number;
  overdue: number;
  rated: number;
  satisfied: number;
  workingMs: number;
  workingN: number;
  calendarMs: number;
  calendarN: number;
}

export const ZERO_COUNTS: StatsCounts = { received: 0, handled: 0, handledOnTime: 0, overdue: 0, rated: 0, satisfied: 0, workingMs: 0, workingN: 0, calendarMs: 0, calendarN: 0 };

export const addCounts = (a: StatsCounts, b: StatsCounts): StatsCounts => ({
  received: a.received + b.received,
  handled: a.handled + b.handled,
  handledOnTime: a.handledOnTime + b.handledOnTime,
  overdue: a.overdue + b.overdue,
  rated: a.rated + b.rated,
  satisfied: a.satisfied + b.satisfied,
  workingMs: a.workingMs + b.workingMs,
  workingN: a.workingN + b.workingN,
  calendarMs: a.calendarMs + b.calendarMs,
  calendarN: a.calendarN + b.calendarN,
});

/** Which items a statistics query counts: received in [from, to), in a subtree (null: everywhere), of a category. */
export interface StatsFilter {
  from: number;
  to: number;
  /** `areas.path` prefix of the subtree; null for the whole tree. */
  pathPrefix: string | null;
  category: string | null;
  /** "Now", for items still open and already past a deadline. */
  now: number;
}

export interface StatsArea {
  code: string;
  name: string;
  level: string;
  path: string;
}

/** The list filters of an export (feedbackListQuerySchema without paging), resolved to plain values. */
export interface ExportFilter {
  /** The reader's scope or the asked subtree, as an `areas.path` prefix; null for everything. */
  pathPrefix: string | null;
  states: readonly FeedbackState[];
  priorities: readonly FeedbackPriority[] | null;
  channels: readonly FeedbackChannel[] | null;
  category: string | null;
  /** Items marked past a deadline (the list's `overdue=true`). */
  overdueOnly: boolean;
  assigneeUserId: string | null;
  /** Folded words (searchTerms), each in the item's search text or code, as the list searches. */
  words: readonly string[];
  /** A normalised phone number the search may also match exactly. */
  phone: string | null;
  from: number | null;
  to: number | null;
}

/** One row of the item export, personal data included (the exporter drops it unless asked for). */
export interface ExportRow {
  id: string;
  code: string;
  createdAt: number;
  areaCode: string;
  areaName: string;
  village: string | null;
  department: string | null;
  category: string;
  title: string;
  content: string;
  channel: FeedbackChannel;
  state: FeedbackState;
  priority: FeedbackPriority;
  assignee: string | null;
  ackDueAt: number;
  acknowledgedAt: number | null;
  answerDueAt: number;
  firstAnsweredAt: number | null;
  answeredAt: number | null;
  closedAt: number | null;
  overdue: string | null;
  answer: string | null;
  rejectReason: string | null;
  satisfied: boolean | null;
  residentName: string | null;
  residentPhone: string | null;
  residentEmail: string | null;
}

/** Handled: answered at least once (a reopened item was answered), or in a handled state (a rejection). */
const HANDLED = `(i.first_answered_at IS NOT NULL OR i.state IN ('answered', 'closed', 'rejected'))`;
/**
 * When it was handled: the first answer; for a rejection the time of its `rejected` step (a note added later moves
 * `updated_at`, not the rejection); otherwise the answer or closing time.
 */
const HANDLED_AT = `CASE WHEN i.first_answered_at IS NOT NULL THEN i.first_answered_at
  WHEN i.state = 'rejected' THEN COALESCE((SELECT MIN(e.at) FROM feedback_events e WHERE e.item_id = i.id AND e.kind = 'rejected'), i.updated_at)
  ELSE COALESCE(i.answered_at, i.closed_at, i.updated_at) END`;
/** Still open and past a deadline now (the overdue job's mark, or the deadlines themselves if it has not run yet): two `now` parameters. */
const OPEN_LATE = `(i.overdue IS NOT NULL OR i.answer_due_at < ? OR (i.state = 'received' AND i.ack_due_at < ?))`;

/** The sums of a slice; takes two `now` parameters (OPEN_LATE). `TRUE` reads as 1 on SQLite (3.23+) and as a boolean on PostgreSQL. */
const COUNTS = [
  'COUNT(*) AS "received"',
  `SUM(CASE WHEN ${HANDLED} THEN 1 ELSE 0 END) AS "handled"`,
  `SUM(CASE WHEN ${HANDLED} AND (${HANDLED_AT}) <= i.answer_due_at THEN 1 ELSE 0 END) AS "handledOnTime"`,
  `SUM(CASE WHEN ${HANDLED} AND (i.was_overdue = TRUE OR (${HANDLED_AT}) > i.answer_due_at) THEN 1 WHEN NOT ${HANDLED} AND ${OPEN_LATE} THEN 1 ELSE 0 END) AS "overdue"`,
  'SUM(CASE WHEN i.satisfied IS NOT NULL THEN 1 ELSE 0 END) AS "rated"',
  'SUM(CASE WHEN i.satisfied = TRUE THEN 1 ELSE 0 END) AS "satisfied"',
  'SUM(i.answer_working_ms) AS "workingMs"',
  'COUNT(i.answer_working_ms) AS "workingN"',
  'SUM(i.first_answered_at - i.created_at) AS "calendarMs"',
  'COUNT(i.first_answered_at) AS "calendarN"',
].join(', ');

const countsOf = (r: Record<string, unknown>): StatsCounts => ({
  received: num(r.received ?? 0),
  handled: num(r.handled ?? 0),
  handledOnTime: num(r.handledOnTime ?? 0),
  overdue: num(r.overdue ?? 0),
  rated: num(r.rated ?? 0),
  satisfied: num(r.satisfied ?? 0),
  workingMs: num(r.workingMs ?? 0),
  workingN: num(r.workingN ?? 0),
  calendarMs: num(r.calendarMs ?? 0),
  calendarN: num(r.calendarN ?? 0),
});

const bool = (v: unknown): boolean | null => (v === null || v === undefined ? null : v === true || v === 1 || v === '1' || v === 't');

/**
 * The statistics' and exports' reads of feedback items (the core writes them; this only reads). Every figure is one
 * GROUP BY over the items received in the period, joined to their area for the subtree: the idx_feedback_items_created
 * index bounds the scan to the period.
 */
@Injectable()
export class FeedbackStatsRepository {
  constructor(private readonly db: DataSource) {}

  private get pg(): boolean {
    return this.db.options.type === 'postgres';
  }

  private query(text: string, params: unknown[]): Promise<Array<Record<string, unknown>>> {
    let n = 0;
    const sql = this.pg ? text.replace(/\?/g, () => `$${++n}`) : text;
    return this.db.query(sql, params) as Promise<Array<Record<string, unknown>>>;
  }

  async area(code: string): Promise<StatsArea | null> {
    const rows = await this.query('SELECT code, name, level, path FROM areas WHERE code = ?', [code]);
    return rows[0] ? areaOf(rows[0]) : null;
  }

  /** The areas right under `code` (the top-level areas for null). */
  async children(code: string | null): Promise<StatsArea[]> {
    const rows = code === null ? await this.query('SELECT code, name, level, path FROM areas WHERE parent_code IS NULL ORDER BY code', []) : await this.query('SELECT code, name, level, path FROM areas WHERE parent_code = ? ORDER BY code', [code]);
    return rows.map(areaOf);
  }

  /** Communes (and wards) of the subtree (every one for null), for the upward feed's per-commune rows. */
  async communes(pathPrefix: string | null): Promise<StatsArea[]> {
    const rows =
      pathPrefix === null
        ? await this.query("SELECT code, name, level, path FROM areas WHERE level = 'commune' ORDER BY code", [])
        : await this.query("SELECT code, name, level, path FROM areas WHERE level = 'commune' AND path LIKE ? ORDER BY code", [`${pathPrefix}%`]);
    return rows.map(areaOf);
  }

  private where(f: StatsFilter): { sql: string; params: unknown[] } {
    const conds = ['i.created_at >= ?', 'i.created_at < ?', "i.state <> 'merged'"];
    const params: unknown[] = [f.from, f.to];
    if (f.pathPrefix !== null) {
      // By the items' area codes: the (area_code, state) index serves a commune's or a district's items.
      conds.push('i.area_code IN (SELECT s.code FROM areas s WHERE s.path LIKE ?)');
      params.push(`${f.pathPrefix}%`);
    }
    if (f.category !== null) {
      conds.push('i.category = ?');
      params.push(f.category);
    }
    return { sql: `FROM feedback_items i JOIN areas a ON a.code = i.area_code WHERE ${conds.join(' AND ')}`, params };
  }

  /** Sums per value of `key` (an expression over `i` and `a`); `keyParams` are the key's own parameters. */
  private async grouped(f: StatsFilter, key: string, keyParams: unknown[] = []): Promise<Array<{ key: string } & StatsCounts>> {
    const w = this.where(f);
    // GROUP BY 1: PostgreSQL would not see a parameterised key repeated in GROUP BY as the selected one.
    const rows = await this.query(`SELECT ${key} AS "key", ${COUNTS} ${w.sql} GROUP BY 1`, [...keyParams, f.now, f.now, ...w.params]);
    return rows.map((r) => ({ key: String(r.key), ...countsOf(r) }));
  }

  /**
   * Sums per area path, category, priority and channel in one scan (at most areas × 8 × 3 × 4 groups, far fewer than
   * items): the service folds them into child areas, totals and each breakdown.
   */
  async byDimensions(f: StatsFilter): Promise<Array<{ path: string; category: string; priority: string; channel: string } & StatsCounts>> {
    const w = this.where(f);
    const rows = await this.query(`SELECT a.path AS "path", i.category AS "category", i.priority AS "priority", i.channel AS "channel", ${COUNTS} ${w.sql} GROUP BY a.path, i.category, i.priority, i.channel`, [f.now, f.now, ...w.params]);
    return rows.map((r) => ({ path: String(r.path), category: String(r.category), priority: String(r.priority), channel: String(r.channel), ...countsOf(r) }));
  }

  /**
   * Sums per bucket of the series: `bounds` are the buckets' starts (epoch ms, ascending) and the end of the last;
   * the key is the bucket's index. A CASE over the bounds keeps local days and months exact on the zone.
   */
  async series(f: StatsFilter, bounds: readonly number[]): Promise<Map<number, StatsCounts>> {
    if (bounds.length < 2) return new Map();
    const whens: string[] = [];
    const params: unknown[] = [];
    for (let b = 1; b < bounds.length; b++) {
      whens.push(`WHEN i.created_at < ? THEN ${b - 1}`);
      params.push(bounds[b]);
    }
    const key = `CASE ${whens.join(' ')} ELSE ${bounds.length - 1} END`;
    const rows = await this.grouped(f, key, params);
    return new Map(rows.map((r) => [Number(r.key), r]));
  }

  /** One page of the export, oldest first, after the (createdAt, id) cursor. */
  async exportPage(f: ExportFilter, after: { createdAt: number; id: string } | null, limit: number): Promise<ExportRow[]> {
    const conds: string[] = [];
    const params: unknown[] = [];
    if (f.pathPrefix !== null) {
      conds.push('i.area_code IN (SELECT s.code FROM areas s WHERE s.path LIKE ?)');
      params.push(`${f.pathPrefix}%`);
    }
    conds.push(`i.state IN (${f.states.map(() => '?').join(', ')})`);
    params.push(...f.states);
    if (f.priorities !== null) {
      conds.push(`i.priority IN (${f.priorities.map(() => '?').join(', ')})`);
      params.push(...f.priorities);
    }
    if (f.channels !== null) {
      conds.push(`i.channel IN (${f.channels.map(() => '?').join(', ')})`);
      params.push(...f.channels);
    }
    if (f.category !== null) {
      conds.push('i.category = ?');
      params.push(f.category);
    }
    if (f.overdueOnly) conds.push('i.overdue IS NOT NULL');
    if (f.assigneeUserId !== null) {
      conds.push('i.assignee_user_id = ?');
      params.push(f.assigneeUserId);
    }
    for (const w of f.words) {
      conds.push(`(i.search_text LIKE ? ESCAPE '\\' OR LOWER(i.code) LIKE ? ESCAPE '\\'${f.phone !== null ? ' OR i.resident_phone = ?' : ''})`);
      const like = `%${w.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      params.push(like, like, ...(f.phone !== null ? [f.phone] : []));
    }
    if (f.from !== null) {
      conds.push('i.created_at >= ?');
      params.push(f.from);
    }
    if (f.to !== null) {
      conds.push('i.created_at < ?');
      params.push(f.to);
    }
    if (after !== null) {
      conds.push('(i.created_at > ? OR (i.created_at = ? AND i.id > ?))');
      params.push(after.createdAt, after.createdAt, after.id);
    }
    const rows = await this.query(
      `SELECT i.id AS "id", i.code AS "code", i.created_at AS "createdAt", i.area_code AS "areaCode", a.name AS "areaName", i.village AS "village",
              i.department AS "department", i.category AS "category", i.title AS "title", i.content AS "content", i.channel AS "channel",
              i.state AS "state", i.priority AS "priority", u.username AS "assignee", i.ack_due_at AS "ackDueAt", i.acknowledged_at AS "acknowledgedAt",
              i.answer_due_at AS "answerDueAt", i.first_answered_at AS "firstAnsweredAt", i.answered_at AS "answeredAt", i.closed_at AS "closedAt",
              i.overdue AS "overdue", i.answer AS "answer", i.reject_reason AS "rejectReason", i.satisfied AS "satisfied",
              i.resident_name AS "residentName", i.resident_phone AS "residentPhone", i.resident_email AS "residentEmail"
       FROM feedback_items i JOIN areas a ON a.code = i.area_code LEFT JOIN users u ON u.id = i.assignee_user_id
       WHERE ${conds.join(' AND ')} ORDER BY i.created_at, i.id LIMIT ${Math.max(1, Math.floor(limit))}`,
      params,
    );
    return rows.map((r) => ({
      id: String(r.id),
      code: String(r.code),
      createdAt: num(r.createdAt),
      areaCode: String(r.areaCode),
      areaName: String(r.areaName),
      village: strOrNull(r.village),
      department: strOrNull(r.department),
      category: String(r.category),
      title: String(r.title),
      content: String(r.content),
      channel: String(r.channel) as FeedbackChannel,
      state: String(r.state) as FeedbackState,
      priority: String(r.priority) as FeedbackPriority,
      assignee: strOrNull(r.assignee),
      ackDueAt: num(r.ackDueAt),
      acknowledgedAt: numOrNull(r.acknowledgedAt),
      answerDueAt: num(r.answerDueAt),
      firstAnsweredAt: numOrNull(r.firstAnsweredAt),
      answeredAt: numOrNull(r.answeredAt),
      closedAt: numOrNull(r.closedAt),
      overdue: strOrNull(r.overdue),
      answer: strOrNull(r.answer),
      rejectReason: strOrNull(r.rejectReason),
      satisfied: bool(r.satisfied),
      residentName: strOrNull(r.residentName),
      residentPhone: strOrNull(r.residentPhone),
      residentEmail: strOrNull(r.residentEmail),
    }));
  }
}

const areaOf = (r: Record<string, unknown>): StatsArea => ({ code: String(r.code), name: String(r.name), level: String(r.level), path: String(r.path) });
