import { Inject, Injectable } from '@nestjs/common';
import { ScopeService } from '../auth/area-scope.js';
import type { UserPrincipal } from '../auth/principal.js';
import { Clock } from '../common/clock.js';
import { newId } from '../common/ids.js';
import { AppConfig } from '../config/app-config.js';
import type { AuditEntryEntity } from './audit-entry.entity.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { AuditRepository, type AuditCursor, type AuditFilter } from './audit.repository.js';
import { AuditNames, type EntryNames } from './audit-names.js';
import { boundedJson, DETAIL_MAX_BYTES, parseJson, SNAPSHOT_MAX_BYTES } from './redact.js';
import { CsvWriter, type CsvColumn, type CsvValue } from '../common/csv-export.js';
import { attachmentDisposition, isoInstant, localDate, localDateTime } from '../common/export-format.js';
import { AUDIT_OUTCOME_LABELS_VI } from '@loa/shared';
import type { ExportFormat } from '@loa/shared/rest';
import { badRequest } from '../common/loa-error.js';

export type AuditOutcome = 'ok' | 'refused' | 'error';

export interface AuditActor {
  id: string | null;
  name: string;
  role: string;
  areaCode: string | null;
}

/** One audited action as a caller describes it; snapshots and detail are redacted and bounded when stored. */
export interface AuditRecord {
  actor: AuditActor;
  action: string;
  resourceType?: string | null;
  resourceId?: string | null;
  areaCode?: string | null;
  outcome: AuditOutcome;
  status: number;
  before?: unknown;
  after?: unknown;
  detail?: unknown;
  ip?: string | null;
}

export interface AuditEntryView {
  id: string;
  at: string;
  actor: AuditActor & { fullName: string | null };
  action: string;
  resourceType: string | null;
  resourceId: string | null;
  /** Issue 19: the object's current name (a schedule's content title), resolved when the log is read. */
  resourceName: string | null;
  areaCode: string | null;
  areaName: string | null;
  /** id → name for every id the entry mentions (areas, devices, contents, schedules, users, groups…). */
  names: Record<string, string>;
  outcome: AuditOutcome;
  status: number;
  before: unknown;
  after: unknown;
  detail: unknown;
  ip: string | null;
}

export interface AuditQuery {
  actor?: string | undefined;
  action?: string | undefined;
  resourceType?: string | undefined;
  resourceId?: string | undefined;
  outcome?: AuditOutcome | undefined;
  from?: string | undefined;
  to?: string | undefined;
  limit: number;
  /** Cursor: an entry id (the last one of the previous page), epoch milliseconds or an ISO instant. */
  before?: string | undefined;
}

/** The machine format's columns (`format=iso`): keys, codes and ISO-8601 UTC instants. */
export const AUDIT_CSV_COLUMNS = [
  'id', 'at', 'actorId', 'actorName', 'actorRole', 'actorAreaCode', 'action', 'resourceType', 'resourceId', 'areaCode', 'outcome', 'status', 'ip', 'before', 'after', 'detail',
] as const;

/** The Vietnamese headers of the same columns, in the same order (the default format, for people). */
export const AUDIT_CSV_HEADERS_VI = [
  'Mã bản ghi', 'Thời điểm', 'Mã người thực hiện', 'Người thực hiện', 'Vai trò', 'Địa bàn người thực hiện', 'Thao tác', 'Loại đối tượng', 'Mã đối tượng', 'Địa bàn', 'Kết quả', 'Mã HTTP', 'Địa chỉ IP', 'Trước', 'Sau', 'Chi tiết',
] as const;

const auditColumns = (format: ExportFormat, zone: string): Array<CsvColumn<AuditEntryEntity>> => {
  const vi = format === 'vi';
  const values: Array<(e: AuditEntryEntity) => CsvValue> = [
    (e) => e.id,
    (e) => (vi ? localDateTime(e.at, zone) : isoInstant(e.at)),
    (e) => e.actorId,
    (e) => e.actorName,
    (e) => e.actorRole,
    (e) => e.actorAreaCode,
    (e) => e.action,
    (e) => e.resourceType,
    (e) => e.resourceId,
    (e) => e.areaCode,
    (e) => (vi ? AUDIT_OUTCOME_LABELS_VI[e.outcome] : e.outcome),
    (e) => e.status,
    (e) => e.ip,
    (e) => e.before,
    (e) => e.after,
    (e) => e.detail,
  ];
  const headers: readonly string[] = vi ? AUDIT_CSV_HEADERS_VI : AUDIT_CSV_COLUMNS;
  return values.map((value, i) => ({ header: headers[i]!, value }));
};

export interface AuditCsv {
  /** The Content-Disposition header: ASCII name and the Vietnamese one (RFC 5987). */
  disposition: string;
  text: string;
}

const cut = (s: string | null | undefined, max: number): string | null => (s === null || s === undefined ? null : s.length > max ? s.slice(0, max) : s);

@Injectable()
export class AuditService {
  constructor(
    private readonly repo: AuditRepository,
    private readonly names: AuditNames,
    private readonly scope: ScopeService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  /** Stores one entry. Never throws: a failed audit write is logged and the audited request goes on. */
  async record(r: AuditRecord): Promise<void> {
    try {
      const entry: AuditEntryEntity = {
        id: newId(),
        at: this.clock.now(),
        actorId: cut(r.actor.id, 36),
        actorName: cut(r.actor.name, 64) ?? '',
        actorRole: cut(r.actor.role, 32) ?? '',
        actorAreaCode: cut(r.actor.areaCode, 32),
        action: cut(r.action, 100) ?? '',
        resourceType: cut(r.resourceType, 32),
        resourceId: cut(r.resourceId, 100),
        areaCode: cut(r.areaCode, 32),
        outcome: r.outcome,
        status: r.status,
        before: boundedJson(r.before, SNAPSHOT_MAX_BYTES),
        after: boundedJson(r.after, SNAPSHOT_MAX_BYTES),
        detail: boundedJson(r.detail, DETAIL_MAX_BYTES),
        ip: cut(r.ip, 64),
      };
      await this.repo.insert(entry);
    } catch (err) {
      this.logger.error({ ctx: 'audit', action: r.action, actor: r.actor.name, err: (err as Error).message }, 'audit entry could not be written');
    }
  }

  /** Newest first, within the reader's area subtree; `total` counts every match regardless of the cursor. */
  async list(user: UserPrincipal, q: AuditQuery): Promise<{ items: AuditEntryView[]; total: number }> {
    const filter = await this.filter(user, q);
    const cursor = await this.cursor(q.before);
    const [rows, total] = await Promise.all([this.repo.page(filter, cursor, q.limit), this.repo.count(filter)]);
    const parsed = rows.map((e) => ({ e, before: parseJson(e.before), after: parseJson(e.after), detail: parseJson(e.detail) }));
    const names = await this.names.resolve(parsed.map((p) => ({ ...p.e, before: p.before, after: p.after, detail: p.detail })));
    return { items: parsed.map((p, i) => view(p.e, p, names[i]!)), total };
  }

  /**
   * The same selection as a spreadsheet-friendly CSV (the shared writer: BOM, CRLF, header row, every cell guarded
   * against formula injection), named "Nhật ký thao tác <reader's area> <period or day of export>".
   */
  async csv(user: UserPrincipal, q: AuditQuery & { format: ExportFormat }): Promise<AuditCsv> {
    const filter = await this.filter(user, q);
    const rows = await this.repo.page(filter, await this.cursor(q.before), q.limit);
    const zone = this.config.timezone;
    const areaName = user.areaCode === null ? null : await this.repo.areaName(user.areaCode);
    const period =
      filter.from !== undefined || filter.to !== undefined
        ? [filter.from === undefined ? '' : localDate(filter.from, zone), filter.to === undefined ? '' : localDate(filter.to - 1, zone)].join('_')
        : localDate(this.clock.now(), zone);
    return {
      disposition: attachmentDisposition(['Nhật ký thao tác', areaName, period], 'csv').header,
      text: new CsvWriter(auditColumns(q.format, zone)).document(rows),
    };
  }

  /** Deletes entries older than LOA_AUDIT_RETENTION_DAYS; returns how many. */
  async sweep(): Promise<number> {
    const deleted = await this.repo.deleteBefore(this.clock.now() - this.config.auditRetentionMs);
    if (deleted > 0) this.logger.info({ ctx: 'audit', deleted, retentionMs: this.config.auditRetentionMs }, 'old audit entries deleted');
    return deleted;
  }

  private async filter(user: UserPrincipal, q: AuditQuery): Promise<AuditFilter> {
    const scope = await this.scope.of(user);
    return {
      actor: q.actor,
      action: q.action,
      resourceType: q.resourceType,
      resourceId: q.resourceId,
      outcome: q.outcome,
      from: q.from === undefined ? undefined : Date.parse(q.from),
      to: q.to === undefined ? undefined : Date.parse(q.to),
      pathPrefix: scope.all ? null : (scope.pathPrefix ?? '/nowhere/'),
    };
  }

  private async cursor(before: string | undefined): Promise<AuditCursor | null> {
    if (before === undefined) return null;
    if (/^\d{1,15}$/.test(before)) return { at: Number(before), id: null };
    const entry = await this.repo.findById(before);
    if (entry) return { at: entry.at, id: entry.id };
    const t = Date.parse(before);
    if (/^\d{4}-\d{2}-\d{2}T/.test(before) && !Number.isNaN(t)) return { at: t, id: null };
    throw badRequest('audit.before-invalid');
  }
}

const view = (e: AuditEntryEntity, parsed: { before: unknown; after: unknown; detail: unknown }, n: EntryNames): AuditEntryView => ({
  id: e.id,
  at: new Date(e.at).toISOString(),
  actor: { id: e.actorId, name: e.actorName, role: e.actorRole, areaCode: e.actorAreaCode, fullName: n.actorFullName },
  action: e.action,
  resourceType: e.resourceType,
  resourceId: e.resourceId,
  resourceName: n.resourceName,
  areaCode: e.areaCode,
  areaName: n.areaName,
  outcome: e.outcome,
  status: e.status,
  before: parsed.before,
  after: parsed.after,
  detail: parsed.detail,
  ip: e.ip,
  names: n.names,
});
