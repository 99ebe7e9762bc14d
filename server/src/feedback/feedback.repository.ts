import { Injectable } from '@nestjs/common';
import { DataSource, In, type EntityManager, type SelectQueryBuilder } from 'typeorm';
import { FEEDBACK_OPEN_STATES, type FeedbackChannel, type FeedbackPriority, type FeedbackState } from '@loa/shared/rest';
import { SettingEntity } from '../approvals/setting.entity.js';
import { AreaEntity } from '../areas/area.entity.js';
import { managerOf } from '../database/transaction-runner.js';
import { rawNum, rawStrOrNull } from '../database/raw-values.js';
import { UserEntity } from '../users/user.entity.js';
import { FeedbackAttachmentEntity, FeedbackBulletinEntity, FeedbackEventEntity, FeedbackItemEntity } from './feedback.entities.js';

/** Both drivers' words for "this row already exists" (PostgreSQL 23505, SQLite SQLITE_CONSTRAINT_UNIQUE). */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: unknown; driverError?: { code?: unknown }; message?: unknown };
  const code = e?.driverError?.code ?? e?.code;
  if (code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return true;
  return typeof e?.message === 'string' && /UNIQUE constraint failed|duplicate key value/.test(e.message);
}

/** What an officers' list may be narrowed to (the service turns the query and the caller's scope into this). */
export interface FeedbackFilter {
  /** `areas.path LIKE` pattern: the caller's scope, null for everything. */
  scopePattern: string | null;
  /** A chosen subtree inside the scope. */
  areaPattern?: string | undefined;
  states?: readonly FeedbackState[] | undefined;
  priorities?: readonly FeedbackPriority[] | undefined;
  channels?: readonly FeedbackChannel[] | undefined;
  category?: string | undefined;
  overdueOnly?: boolean;
  assigneeUserId?: string | undefined;
  /** Folded words (common/search-text): each must occur in the code, title, content, village or the resident's name. */
  words?: readonly string[] | undefined;
  /** A normalised phone number to match exactly. */
  phone?: string | undefined;
  from?: number | undefined;
  to?: number | undefined;
}

export type FeedbackSort = 'due' | 'newest' | 'oldest';

/** A user as the feedback views and the assignee checks need them. */
export interface FeedbackUser {
  id: string;
  username: string;
  role: string;
  areaCode: string | null;
  disabled: boolean;
}

const OPEN_LIST = FEEDBACK_OPEN_STATES.map((s) => `'${s}'`).join(', ');
/** The deadline an open item runs towards: acknowledging while unacknowledged, then answering. */
const NEXT_DUE = `CASE WHEN i.state IN (${OPEN_LIST}) THEN (CASE WHEN i.state = 'received' AND i.acknowledged_at IS NULL THEN i.ack_due_at ELSE i.answer_due_at END) ELSE 0 END`;
const likeEscape = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/** Every query of citizen feedback (issue 17): items, their history and attachments, and the reads they need. */
@Injectable()
export class FeedbackRepository {
  constructor(private readonly db: DataSource) {}

  private get m(): EntityManager {
    return managerOf(this.db);
  }

  private get items() {
    return this.m.getRepository(FeedbackItemEntity);
  }

  // --- settings row -------------------------------------------------------------------------------------------

  /** Stores `value` under `key` unless a value is stored already, and returns the stored one (first committed wins). */
  async claimSetting(key: string, value: string, at: number): Promise<string> {
    await this.db.createQueryBuilder().insert().into(SettingEntity).values({ key, value, updatedBy: null, updatedAt: at }).orIgnore().execute();
    return (await this.db.getRepository(SettingEntity).findOneByOrFail({ key })).value;
  }

  // --- items --------------------------------------------------------------------------------------------------

  findById(id: string): Promise<FeedbackItemEntity | null> {
    return this.items.findOneBy({ id });
  }

  findByCode(code: string): Promise<FeedbackItemEntity | null> {
    return this.items.findOneBy({ code });
  }

  findByIds(ids: readonly string[]): Promise<FeedbackItemEntity[]> {
    return ids.length === 0 ? Promise.resolve([]) : this.items.findBy({ id: In([...ids]) });
  }

  findByExternalId(externalId: string): Promise<FeedbackItemEntity | null> {
    return this.items.findOneBy({ externalId });
  }

  /** The earliest item with this phone and text received since `since` (an exact resubmission). */
  findExactDuplicate(phoneHash: string, contentHash: string, since: number): Promise<FeedbackItemEntity | null> {
    return this.items
      .createQueryBuilder('i')
      .where('i.phone_hash = :p AND i.content_hash = :c AND i.created_at >= :since', { p: phoneHash, c: contentHash, since })
      .orderBy('i.created_at', 'ASC')
      .getOne();
  }

  /** A new item with its first history entries and its attachments' rows (the caller holds the transaction). */
  async insertNew(item: FeedbackItemEntity, events: readonly FeedbackEventEntity[], attachments: readonly FeedbackAttachmentEntity[]): Promise<void> {
    await this.items.insert(item);
    await this.m.getRepository(FeedbackEventEntity).insert([...events]);
    if (attachments.length > 0) await this.m.getRepository(FeedbackAttachmentEntity).insert([...attachments]);
  }

  /** Compare-and-set on the version: false when someone else changed the item since it was read. */
  async update(id: string, version: number, patch: Partial<FeedbackItemEntity>): Promise<boolean> {
    const r = await this.items.createQueryBuilder().update(FeedbackItemEntity).set(patch).where('id = :id AND version = :version', { id, version }).execute();
    return (r.affected ?? 0) > 0;
  }

  async insertEvents(events: readonly FeedbackEventEntity[]): Promise<void> {
    if (events.length > 0) await this.m.getRepository(FeedbackEventEntity).insert([...events]);
  }

  events(itemId: string): Promise<FeedbackEventEntity[]> {
    return this.m.getRepository(FeedbackEventEntity).find({ where: { itemId }, order: { at: 'ASC', id: 'ASC' } });
  }

  /** Which deadlines already have an overdue entry, per item (by the entry's text, see OVERDUE_TEXT). */
  async overdueTexts(itemIds: readonly string[]): Promise<Map<string, Set<string>>> {
    const out = new Map<string, Set<string>>();
    if (itemIds.length === 0) return out;
    const rows = await this.m.getRepository(FeedbackEventEntity).find({ select: { itemId: true, text: true }, where: { itemId: In([...itemIds]), kind: 'overdue' } });
    for (const r of rows) {
      const set = out.get(r.itemId) ?? new Set<string>();
      if (r.text !== null) set.add(r.text);
      out.set(r.itemId, set);
    }
    return out;
  }

  attachments(itemId: string): Promise<FeedbackAttachmentEntity[]> {
    return this.m.getRepository(FeedbackAttachmentEntity).find({ where: { itemId }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  attachmentsOf(itemIds: readonly string[]): Promise<FeedbackAttachmentEntity[]> {
    if (itemIds.length === 0) return Promise.resolve([]);
    return this.m.getRepository(FeedbackAttachmentEntity).find({ where: { itemId: In([...itemIds]) }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  attachment(itemId: string, attachmentId: string): Promise<FeedbackAttachmentEntity | null> {
    return this.m.getRepository(FeedbackAttachmentEntity).findOneBy({ itemId, id: attachmentId });
  }

  /** Items merged into any of these. */
  mergedInto(itemIds: readonly string[]): Promise<Array<Pick<FeedbackItemEntity, 'id' | 'code' | 'mergedInto'>>> {
    if (itemIds.length === 0) return Promise.resolve([]);
    return this.items.find({ select: { id: true, code: true, mergedInto: true }, where: { mergedInto: In([...itemIds]) }, order: { createdAt: 'ASC' } });
  }

  bulletinsOf(itemIds: readonly string[]): Promise<FeedbackBulletinEntity[]> {
    if (itemIds.length === 0) return Promise.resolve([]);
    return this.m.getRepository(FeedbackBulletinEntity).find({ where: { itemId: In([...itemIds]) }, order: { createdAt: 'ASC' } });
  }

  /** Open items of a commune received since `since`, the newest first, to compare texts with (bounded). */
  similarCandidates(areaCode: string, since: number, limit = 300): Promise<FeedbackItemEntity[]> {
    return this.items
      .createQueryBuilder('i')
      .where(`i.area_code = :areaCode AND i.state IN (${OPEN_LIST}, 'answered') AND i.created_at >= :since`, { areaCode, since })
      .orderBy('i.created_at', 'DESC')
      .limit(limit)
      .getMany();
  }

  // --- lists --------------------------------------------------------------------------------------------------

  private filtered(f: FeedbackFilter): SelectQueryBuilder<FeedbackItemEntity> {
    const q = this.items.createQueryBuilder('i');
    if (f.scopePattern !== null || f.areaPattern !== undefined) q.innerJoin(AreaEntity, 'a', 'a.code = i.area_code');
    if (f.scopePattern !== null) q.andWhere('a.path LIKE :scope', { scope: f.scopePattern });
    if (f.areaPattern !== undefined) q.andWhere('a.path LIKE :sub', { sub: f.areaPattern });
    if (f.states !== undefined) q.andWhere('i.state IN (:...states)', { states: f.states.length > 0 ? f.states : [''] });
    if (f.priorities?.length) q.andWhere('i.priority IN (:...priorities)', { priorities: f.priorities });
    if (f.channels?.length) q.andWhere('i.channel IN (:...channels)', { channels: f.channels });
    if (f.category !== undefined) q.andWhere('i.category = :category', { category: f.category });
    if (f.overdueOnly) q.andWhere('i.overdue IS NOT NULL');
    if (f.assigneeUserId !== undefined) q.andWhere('i.assignee_user_id = :assignee', { assignee: f.assigneeUserId });
    if (f.from !== undefined) q.andWhere('i.created_at >= :from', { from: f.from });
    if (f.to !== undefined) q.andWhere('i.created_at < :to', { to: f.to });
    (f.words ?? []).forEach((w, n) => {
      // Words arrive folded (accents and case dropped), as search_text is stored; codes are upper-case ASCII.
      q.andWhere(`(i.search_text LIKE :w${n} ESCAPE '\\' OR LOWER(i.code) LIKE :w${n} ESCAPE '\\'${f.phone !== undefined ? ` OR i.resident_phone = :phone` : ''})`, {
        [`w${n}`]: `%${likeEscape(w)}%`,
        ...(f.phone !== undefined ? { phone: f.phone } : {}),
      });
    });
    return q;
  }

  /** One page of items, sorted; the count of all matching and of the overdue among them. */
  async list(f: FeedbackFilter, sort: FeedbackSort, limit: number, offset: number): Promise<{ items: FeedbackItemEntity[]; total: number; overdue: number }> {
    const page = this.filtered(f).select('i.id', 'id');
    if (sort === 'due') {
      page
        .addSelect('CASE WHEN i.overdue IS NULL THEN 1 ELSE 0 END', 'ovr')
        .addSelect(`CASE WHEN i.state IN (${OPEN_LIST}) THEN 0 ELSE 1 END`, 'opn')
        .addSelect(NEXT_DUE, 'due')
        .orderBy('ovr', 'ASC')
        .addOrderBy('opn', 'ASC')
        .addOrderBy('due', 'ASC')
        .addOrderBy('i.created_at', 'DESC');
    } else page.orderBy('i.created_at', sort === 'newest' ? 'DESC' : 'ASC');
    page.addOrderBy('i.id', 'ASC').offset(offset).limit(limit);
    const ids = (await page.getRawMany<{ id: string }>()).map((r) => String(r.id));
    const counts = await this.filtered(f)
      .select('COUNT(*)', 'total')
      .addSelect('SUM(CASE WHEN i.overdue IS NULL THEN 0 ELSE 1 END)', 'overdue')
      .getRawOne<{ total: unknown; overdue: unknown }>();
    const rows = await this.findByIds(ids);
    const byId = new Map(rows.map((r) => [r.id, r]));
    return {
      items: ids.map((id) => byId.get(id)).filter((r): r is FeedbackItemEntity => r !== undefined),
      total: rawNum(counts?.total ?? 0),
      overdue: rawNum(counts?.overdue ?? 0),
    };
  }

  /** Open items in the scope: all, overdue, unassigned, assigned to `userId`. */
  async summary(scopePattern: string | null, userId: string): Promise<{ open: number; overdue: number; unassigned: number; mine: number }> {
    const r = await this.filtered({ scopePattern, states: FEEDBACK_OPEN_STATES })
      .select('COUNT(*)', 'open')
      .addSelect('SUM(CASE WHEN i.overdue IS NULL THEN 0 ELSE 1 END)', 'overdue')
      .addSelect('SUM(CASE WHEN i.assignee_user_id IS NULL THEN 1 ELSE 0 END)', 'unassigned')
      .addSelect('SUM(CASE WHEN i.assignee_user_id = :me THEN 1 ELSE 0 END)', 'mine')
      .setParameter('me', userId)
      .getRawOne<Record<string, unknown>>();
    const n = (v: unknown): number => (v === null || v === undefined ? 0 : rawNum(v));
    return { open: n(r?.open), overdue: n(r?.overdue), unassigned: n(r?.unassigned), mine: n(r?.mine) };
  }

  // --- periodic work ------------------------------------------------------------------------------------------

  /** Open items that have missed a deadline their `overdue` column does not show yet. */
  newlyOverdue(now: number, limit: number): Promise<FeedbackItemEntity[]> {
    return this.items
      .createQueryBuilder('i')
      .where(`i.state IN (${OPEN_LIST})`)
      .andWhere(
        `((i.answer_due_at < :now AND (i.overdue IS NULL OR i.overdue <> 'answer')) OR (i.state = 'received' AND i.acknowledged_at IS NULL AND i.ack_due_at < :now AND i.overdue IS NULL))`,
        { now },
      )
      .orderBy('i.answer_due_at', 'ASC')
      .limit(limit)
      .getMany();
  }

  /** Answered, unrated items answered before `before`. */
  answeredBefore(before: number, limit: number): Promise<FeedbackItemEntity[]> {
    return this.items.createQueryBuilder('i').where("i.state = 'answered' AND i.answered_at < :before AND i.satisfied IS NULL", { before }).orderBy('i.answered_at', 'ASC').limit(limit).getMany();
  }

  /** Finished items (closed, rejected, merged) last changed before `before` whose personal data is still there. */
  erasable(before: number, limit: number): Promise<FeedbackItemEntity[]> {
    return this.items
      .createQueryBuilder('i')
      .where("i.state IN ('closed', 'rejected', 'merged') AND i.personal_data_erased_at IS NULL AND i.updated_at < :before", { before })
      .orderBy('i.updated_at', 'ASC')
      .limit(limit)
      .getMany();
  }

  // --- areas and users ----------------------------------------------------------------------------------------

  area(code: string): Promise<AreaEntity | null> {
    return this.m.getRepository(AreaEntity).findOneBy({ code });
  }

  async areas(codes: readonly string[]): Promise<Map<string, AreaEntity>> {
    if (codes.length === 0) return new Map();
    const rows = await this.m.getRepository(AreaEntity).findBy({ code: In([...new Set(codes)]) });
    return new Map(rows.map((a) => [a.code, a]));
  }

  async users(ids: readonly string[]): Promise<Map<string, FeedbackUser>> {
    if (ids.length === 0) return new Map();
    const rows = await this.m.getRepository(UserEntity).find({ select: { id: true, username: true, role: true, areaCode: true, disabled: true }, where: { id: In([...new Set(ids)]) } });
    return new Map(rows.map((u) => [u.id, toUser(u)]));
  }

  /** Active users whose scope holds an area of this path: those of the area or an ancestor, and nationwide admins. */
  async usersCovering(ancestorCodes: readonly string[]): Promise<Array<FeedbackUser & { displayName: string | null }>> {
    const q = this.m
      .getRepository(UserEntity)
      .createQueryBuilder('u')
      .where('(u.area_code IN (:...codes) OR (u.area_code IS NULL AND u.role = :admin))', { codes: ancestorCodes.length > 0 ? ancestorCodes : [''], admin: 'admin' })
      .orderBy('u.username', 'ASC')
      .limit(500);
    const rows = await q.getMany();
    return rows.map(toUser).filter((u) => !u.disabled).map((u) => ({ ...u, displayName: null }));
  }
}

const toUser = (u: UserEntity): FeedbackUser => ({ id: u.id, username: u.username, role: u.role, areaCode: rawStrOrNull(u.areaCode), disabled: u.disabled === true });
