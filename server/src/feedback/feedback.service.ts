import { foldText, searchTerms } from '../common/search-text.js';
import { ConflictException, Injectable, type OnModuleInit } from '@nestjs/common';
import { randomBytes, randomInt } from 'node:crypto';
import type { ReadStream } from 'node:fs';
import {
  FEEDBACK_CHANNEL_LABELS_VI,
  FEEDBACK_CODE_ALPHABET,
  FEEDBACK_PRIORITY_LABELS_VI,
  FEEDBACK_STATES,
  normalizePhone,
  type FeedbackAnswerRequest,
  type FeedbackAssignee,
  type FeedbackAssignRequest,
  type FeedbackChannel,
  type FeedbackCreateRequest,
  type FeedbackDetailView,
  type FeedbackEventKind,
  type FeedbackListQuery,
  type FeedbackListView,
  type FeedbackMergeRequest,
  type FeedbackNoteRequest,
  type FeedbackPriority,
  type FeedbackPriorityRequest,
  type FeedbackReasonRequest,
  type FeedbackSettings,
  type FeedbackState,
  type FeedbackStateRequest,
  type FeedbackSummary,
  type FeedbackTransferRequest,
} from '@loa/shared/rest';
import { areaCodesOf, type AreaEntity } from '../areas/area.entity.js';
import { AuditSnapshots } from '../audit/audit-snapshots.js';
import { ScopeService, type AreaScope } from '../auth/area-scope.js';
import type { Role, UserPrincipal } from '../auth/principal.js';
import { Clock } from '../common/clock.js';
import { badRequest, conflict, forbidden, notFound } from '../common/loa-error.js';
import { newId } from '../common/ids.js';
import { NamedLocks } from '../common/named-locks.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { DomainEvents } from '../domain-events/domain-events.js';
import { FeedbackSettingsService } from './feedback-settings.service.js';
import { FeedbackFiles } from './feedback-files.js';
import { FeedbackHasher } from './feedback-hash.js';
import { eventView, itemView, type ViewContext } from './feedback-views.js';
import { EVENT_OF, illegalStep, mergeProblem, nextState, OVERDUE_TEXT, overdueAt, similar, canRate, type FeedbackAction } from './feedback-workflow.js';
import type { FeedbackAttachmentEntity, FeedbackEventEntity, FeedbackItemEntity } from './feedback.entities.js';
import { FeedbackRepository, isUniqueViolation, type FeedbackFilter } from './feedback.repository.js';

/** An attachment already checked by decoding (the intake's job): type, size, dimensions and digest are known. */
export interface CheckedAttachment {
  mime: string;
  bytes: Buffer;
  width: number | null;
  height: number | null;
  sha256: string;
}

export interface ReceiveInput {
  areaCode: string;
  village?: string | undefined;
  name: string;
  /** Already normalised (normalizePhone). */
  phone: string;
  email?: string | undefined;
  title: string;
  content: string;
  category: string;
  channel: FeedbackChannel;
  priority?: FeedbackPriority;
  externalId?: string | undefined;
  addressHash?: string | null;
  /** When it was actually received (default now); the time limits count from it. */
  receivedAt?: number;
  attachments?: readonly CheckedAttachment[];
  /** The officer who typed it in (office, api channels); the item must be in their scope. */
  by?: UserPrincipal;
}

/** The answer the resident of an item is shown: its own, or that of the item it was merged into. */
export interface ShownAnswer {
  answer: string | null;
  answeredAt: number | null;
  /** The item whose answer it is (the item itself unless merged). */
  itemId: string;
  state: FeedbackState;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** An identical text from the same phone within this window is the same submission sent again. */
const DUPLICATE_WINDOW_MS = DAY;
/** How far back similar items are looked for (merge candidates). */
const SIMILAR_WINDOW_MS = 14 * DAY;
const MAX_SIMILAR = 10;
/** A received time this far ahead of the server's clock is a typing mistake, not clock skew. */
const FUTURE_TOLERANCE_MS = 5 * 60_000;
/** Rows a periodic run handles per batch, and batches per run (the next run takes the rest). */
const BATCH = 200;
const MAX_BATCHES = 25;
const MAX_MERGE_DEPTH = 10;

/** "PA-" and 8 characters from a crypto random source (31⁸ ≈ 8.5·10¹¹: not guessable with the lookup limits). */
/**
 * What the list's text search reads, folded (accents and case do not matter), one field per line. It holds the
 * resident's name, so erasing the personal data rewrites it without (`name` null).
 */
export const feedbackSearchText = (title: string, content: string, village: string | null, name: string | null): string =>
  [title, content, village ?? '', name ?? ''].map(foldText).join('\n');

export const newFeedbackCode = (): string => {
  let s = 'PA-';
  for (let i = 0; i < 8; i++) s += FEEDBACK_CODE_ALPHABET[randomInt(FEEDBACK_CODE_ALPHABET.length)];
  return s;
};

/**
 * History entry ids that sort as they were written: the entry's time, then a per-process counter, then randomness.
 * Steps taken within one millisecond (a rating and the reopening it causes) keep their order in the history.
 */
let eventSeq = 0;
export const eventId = (at: number): string => {
  eventSeq = (eventSeq + 1) % 0x1_0000_0000;
  const hex = Math.max(0, Math.floor(at)).toString(16).padStart(12, '0').slice(-12) + eventSeq.toString(16).padStart(8, '0') + randomBytes(6).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
};

const missing = (id: string) => notFound('feedback.not-found', { id });
const outside = (id: string) => forbidden('feedback.outside-scope', { id });
const stale = (id: string) => conflict('feedback.stale', { id });

/** What one action changes: the new row fields and the history entries (the service adds the common ones). */
interface Step {
  patch: Partial<FeedbackItemEntity>;
  text: string | null;
  internal?: boolean;
  /** Extra history entries (e.g. a resident's rating before its state change). */
  before?: Array<Pick<FeedbackEventEntity, 'kind' | 'text' | 'internal'>>;
  /** Further work in the same transaction (merge: the target item). */
  also?: () => Promise<void>;
  /** Further events to emit after the commit. */
  emitAlso?: Array<{ item: FeedbackItemEntity; kind: FeedbackEventKind }>;
  notify?: boolean;
}

type Actor = { kind: 'user'; user: UserPrincipal } | { kind: 'resident' } | { kind: 'system' };

/**
 * Citizen feedback items and their handling (issue 17): intake into the store (for every channel), the officers'
 * workflow with its history, deadlines and overdue marks, the resident's rating, and the periodic sweeps. Area scope
 * is decided here: readers outside an item's commune get 404, writers 403.
 */
@Injectable()
export class FeedbackService implements OnModuleInit {
  constructor(
    private readonly repo: FeedbackRepository,
    private readonly hasher: FeedbackHasher,
    private readonly files: FeedbackFiles,
    private readonly settings: FeedbackSettingsService,
    private readonly scope: ScopeService,
    private readonly tx: TransactionRunner,
    private readonly clock: Clock,
    private readonly events: DomainEvents,
    private readonly snapshots: AuditSnapshots,
    private readonly locks: NamedLocks,
  ) {}

  onModuleInit(): void {
    // The audit log's before/after of an item: its handling fields, never the resident's data.
    this.snapshots.register(
      'feedback',
      async (id) => {
        const i = await this.repo.findById(id);
        if (!i) return null;
        const { code, areaCode, department, category, state, priority, assigneeUserId, mergedInto, publicInterest, answerDueAt, version } = i;
        return { id, code, areaCode, department, category, state, priority, assigneeUserId, mergedInto, publicInterest, answerDueAt, version };
      },
      { areaOf: (s) => (typeof s.areaCode === 'string' ? s.areaCode : null) },
    );
  }

  // --- intake -------------------------------------------------------------------------------------------------

  /**
   * Stores a new item with its `received` entry and its attachments, all or nothing: files are written first and
   * removed again when the transaction fails. An exact resubmission (same phone and text within a day, or the same
   * external id) stores nothing and answers the first item.
   */
  async receive(input: ReceiveInput): Promise<{ item: FeedbackItemEntity; duplicate: boolean }> {
    const settings = await this.settings.get();
    const area = await this.commune(input.areaCode);
    if (!settings.categories.some((c) => c.code === input.category)) throw badRequest('feedback.category-unknown', { category: input.category, categories: settings.categories.map((c) => c.code).join(', ') });
    if (input.by) await this.scope.checkArea(input.by, area.code, 'write');
    const now = this.clock.now();
    const receivedAt = input.receivedAt ?? now;
    if (receivedAt > now + FUTURE_TOLERANCE_MS) throw badRequest('feedback.received-in-future', { receivedAt: new Date(receivedAt).toISOString() });

    const phoneHash = await this.hasher.phoneHash(input.phone);
    // One phone's submissions one at a time, across instances: two copies of a double-tapped form must not both pass
    // the duplicate check before either is stored.
    return this.locks.run(`feedback.receive:${phoneHash}`, () => this.store(input, settings, area, now, receivedAt, phoneHash));
  }

  private async store(input: ReceiveInput, settings: FeedbackSettings, area: AreaEntity, now: number, receivedAt: number, phoneHash: string): Promise<{ item: FeedbackItemEntity; duplicate: boolean }> {
    const contentHash = this.hasher.contentHash(input.title, input.content);
    if (input.externalId !== undefined) {
      const same = await this.repo.findByExternalId(input.externalId);
      if (same) return { item: same, duplicate: true };
    }
    const again = await this.repo.findExactDuplicate(phoneHash, contentHash, now - DUPLICATE_WINDOW_MS);
    if (again) return { item: again, duplicate: true };

    const priority = input.priority ?? 'normal';
    const due = this.settings.deadlines(priority, receivedAt, settings);
    const id = newId();
    const item: FeedbackItemEntity = {
      id,
      code: newFeedbackCode(),
      areaCode: area.code,
      village: input.village ?? null,
      department: null,
      category: input.category,
      title: input.title,
      content: input.content,
      searchText: feedbackSearchText(input.title, input.content, input.village ?? null, input.name),
      channel: input.channel,
      state: 'received',
      priority,
      assigneeUserId: null,
      residentName: input.name,
      residentPhone: input.phone,
      residentEmail: input.email ?? null,
      phoneHash,
      addressHash: input.addressHash ?? null,
      contentHash,
      externalId: input.externalId ?? null,
      consentAt: now,
      createdAt: receivedAt,
      ackDueAt: due.ackDueAt,
      acknowledgedAt: null,
      answerDueAt: due.answerDueAt,
      answeredAt: null,
      firstAnsweredAt: null,
      closedAt: null,
      answerWorkingMs: null,
      overdue: null,
      wasOverdue: false,
      answer: null,
      answeredBy: null,
      publicInterest: false,
      rejectReason: null,
      satisfied: null,
      ratedAt: null,
      reopenCount: 0,
      mergedInto: null,
      personalDataErasedAt: null,
      updatedAt: now,
      version: 0,
    };
    // A letter dated earlier may be late already when it is typed in.
    item.overdue = overdueAt(item, now);
    item.wasOverdue = item.overdue !== null;
    const events: FeedbackEventEntity[] = [
      this.event(id, receivedAt, 'received', input.by ? { kind: 'user', user: input.by } : { kind: 'resident' }, null, 'received', `Tiếp nhận qua: ${FEEDBACK_CHANNEL_LABELS_VI[input.channel]}.`, false),
    ];
    if (item.overdue !== null) events.push(this.event(id, now, 'overdue', { kind: 'system' }, 'received', 'received', OVERDUE_TEXT[item.overdue], true));
    const attachments: FeedbackAttachmentEntity[] = (input.attachments ?? []).map((a) => {
      const attId = newId();
      return { id: attId, itemId: id, mime: a.mime, bytes: a.bytes.length, sha256: a.sha256, width: a.width, height: a.height, storageKey: `${id}/${attId}`, createdAt: now };
    });

    const written: string[] = [];
    try {
      for (const [n, a] of attachments.entries()) {
        await this.files.put(a.storageKey, input.attachments![n]!.bytes);
        written.push(a.storageKey);
      }
      for (let attempt = 0; ; attempt++) {
        try {
          await this.tx.run(() => this.repo.insertNew(item, events, attachments));
          break;
        } catch (err) {
          if (!isUniqueViolation(err)) throw err;
          // The same external id committed by a concurrent delivery of the same message: that one is the item.
          if (item.externalId !== null) {
            const same = await this.repo.findByExternalId(item.externalId);
            if (same) {
              await this.removeFiles(written);
              return { item: same, duplicate: true };
            }
          }
          if (attempt >= 4) throw err;
          item.code = newFeedbackCode();
        }
      }
    } catch (err) {
      await this.removeFiles(written);
      throw err;
    }
    this.emit(item, 'received', receivedAt);
    return { item, duplicate: false };
  }

  /** POST /api/v1/feedback: an officer types in feedback received at the office or by phone, or a system posts it. */
  async create(user: UserPrincipal, body: FeedbackCreateRequest): Promise<FeedbackDetailView> {
    if (!body.consent) throw badRequest('feedback.consent-required');
    let receivedAt: number | undefined;
    if (body.receivedAt !== undefined) {
      receivedAt = Date.parse(body.receivedAt);
      if (!Number.isFinite(receivedAt)) throw badRequest('feedback.received-at-invalid', { value: body.receivedAt });
    }
    const { item } = await this.receive({
      areaCode: body.areaCode,
      village: body.village,
      name: body.name,
      phone: body.phone,
      email: body.email,
      title: body.title,
      content: body.content,
      category: body.category,
      channel: body.channel,
      priority: body.priority,
      ...(receivedAt !== undefined ? { receivedAt } : {}),
      by: user,
    });
    return this.detail(user, item.id);
  }

  private async removeFiles(keys: readonly string[]): Promise<void> {
    for (const k of keys) await this.files.remove(k).catch(() => undefined);
  }

  // --- reading ------------------------------------------------------------------------------------------------

  async list(user: UserPrincipal, q: FeedbackListQuery): Promise<FeedbackListView> {
    const scope = await this.scope.of(user);
    const filter: FeedbackFilter = {
      scopePattern: scope.pathPattern,
      states: q.state ?? FEEDBACK_STATES.filter((s) => s !== 'merged'),
      priorities: q.priority,
      channels: q.channel,
      category: q.category,
      overdueOnly: q.overdue,
      assigneeUserId: q.mine ? user.userId : undefined,
      from: instant(q.from, 'from'),
      to: instant(q.to, 'to'),
    };
    if (q.areaCode !== undefined) {
      const area = scope.contains(q.areaCode) ? await this.repo.area(q.areaCode) : null;
      if (!area) throw notFound('area.not-found', { id: q.areaCode });
      filter.areaPattern = `${area.path}%`;
    }
    if (q.q !== undefined && q.q !== '') {
      filter.words = searchTerms(q.q);
      const phone = normalizePhone(q.q);
      if (phone !== null) filter.phone = phone;
    }
    const page = await this.repo.list(filter, q.sort, q.limit, q.offset);
    const ctx = await this.context(page.items);
    return { items: page.items.map((i) => itemView(i, ctx, true)), total: page.total, overdue: page.overdue };
  }

  async summary(user: UserPrincipal): Promise<FeedbackSummary> {
    const scope = await this.scope.of(user);
    return this.repo.summary(scope.pathPattern, user.userId);
  }

  async detail(user: UserPrincipal, id: string): Promise<FeedbackDetailView> {
    const item = await this.readable(user, id);
    const settings = await this.settings.get();
    const ctxBase = await this.context([item], settings);
    const history = await this.repo.events(item.id);
    const actors = await this.repo.users(history.map((e) => e.actorUserId).filter((u): u is string => u !== null));
    const ctx: ViewContext = { ...ctxBase, similar: await this.similarTo(item) };
    return { ...itemView(item, ctx), history: history.map((e) => eventView(e, (u) => actors.get(u)?.username ?? null)) };
  }

  /** Users who may handle items of a commune (active, their scope holds it), for a caller who may see it. */
  async assignees(user: UserPrincipal, areaCode: string): Promise<FeedbackAssignee[]> {
    await this.scope.checkArea(user, areaCode, 'read');
    const area = await this.repo.area(areaCode);
    if (!area) throw notFound('area.not-found', { id: areaCode });
    const users = await this.repo.usersCovering(areaCodesOf(area.path));
    return users.map((u) => ({ userId: u.id, username: u.username, displayName: u.displayName, role: u.role, areaCode: u.areaCode }));
  }

  /** An attachment's bytes for a reader in the item's scope. */
  async attachment(user: UserPrincipal, id: string, attachmentId: string): Promise<{ mime: string; bytes: number; stream: ReadStream }> {
    const item = await this.readable(user, id);
    const a = await this.repo.attachment(item.id, attachmentId);
    if (!a) throw notFound('feedback.attachment-not-found', { id: attachmentId });
    const stream = this.files.stream(a.storageKey);
    // Opened before the answer starts, so a file lost from the disk is a 404 rather than a cut 200.
    await new Promise<void>((resolve, reject) => stream.once('open', () => resolve()).once('error', reject)).catch(() => {
      stream.destroy();
      throw notFound('feedback.attachment-gone', { id: attachmentId });
    });
    return { mime: a.mime, bytes: a.bytes, stream };
  }

  /** The answer a resident of this item is shown: a merged duplicate shows the answer of the item it went into. */
  async shownAnswer(item: FeedbackItemEntity): Promise<ShownAnswer> {
    let cur = item;
    for (let depth = 0; cur.mergedInto !== null && depth < MAX_MERGE_DEPTH; depth++) {
      const next = await this.repo.findById(cur.mergedInto);
      if (!next) break;
      cur = next;
    }
    return { answer: cur.answer, answeredAt: cur.answeredAt, itemId: cur.id, state: cur.state };
  }

  private async readable(user: UserPrincipal, id: string): Promise<FeedbackItemEntity> {
    const item = await this.repo.findById(id);
    if (!item) throw missing(id);
    if (!(await this.scope.of(user)).contains(item.areaCode)) throw missing(id);
    return item;
  }

  private async context(items: readonly FeedbackItemEntity[], settings?: FeedbackSettings): Promise<ViewContext> {
    const ids = items.map((i) => i.id);
    const [s, areas, users, merged, attachments, bulletins, targets] = await Promise.all([
      settings ?? this.settings.get(),
      this.repo.areas(items.map((i) => i.areaCode)),
      this.repo.users(items.map((i) => i.assigneeUserId).filter((u): u is string => u !== null)),
      this.repo.mergedInto(ids),
      this.repo.attachmentsOf(ids),
      this.repo.bulletinsOf(ids),
      this.repo.findByIds(items.map((i) => i.mergedInto).filter((m): m is string => m !== null)),
    ]);
    const group = <T>(rows: readonly T[], key: (r: T) => string): Map<string, T[]> => {
      const out = new Map<string, T[]>();
      for (const r of rows) out.set(key(r), [...(out.get(key(r)) ?? []), r]);
      return out;
    };
    const mergedBy = group(merged, (m) => m.mergedInto ?? '');
    const attBy = group(attachments, (a) => a.itemId);
    const draftsBy = group(bulletins, (b) => b.itemId);
    const codes = new Map(targets.map((t) => [t.id, t.code]));
    return {
      settings: s,
      areaName: (code) => areas.get(code)?.name ?? code,
      username: (u) => users.get(u)?.username ?? null,
      codeOf: (id) => codes.get(id) ?? null,
      merged: (id) => (mergedBy.get(id) ?? []).map((m) => ({ id: m.id, code: m.code })),
      attachments: (id) => attBy.get(id) ?? [],
      drafts: (id) => (draftsBy.get(id) ?? []).map((b) => b.contentId),
    };
  }

  /** Open or answered items of the same commune from the last 14 days whose text is alike: candidates to merge. */
  private async similarTo(item: FeedbackItemEntity): Promise<Array<{ id: string; code: string; title: string }>> {
    if (item.state === 'merged') return [];
    const candidates = await this.repo.similarCandidates(item.areaCode, this.clock.now() - SIMILAR_WINDOW_MS);
    return candidates
      .filter((c) => c.id !== item.id && similar(item, c))
      .slice(0, MAX_SIMILAR)
      .map((c) => ({ id: c.id, code: c.code, title: c.title }));
  }

  // --- the officers' actions ----------------------------------------------------------------------------------

  async assign(user: UserPrincipal, id: string, body: FeedbackAssignRequest): Promise<FeedbackDetailView> {
    return this.officerAct(user, id, body.version, 'assign', async (item) => {
      const assignee = (await this.repo.users([body.userId])).get(body.userId);
      if (!assignee || assignee.disabled) throw badRequest('feedback.assignee-invalid', { userId: body.userId });
      const theirs = await this.scope.of({ type: 'user', userId: assignee.id, username: assignee.username, role: assignee.role as Role, areaCode: assignee.areaCode });
      if (!theirs.contains(item.areaCode)) throw badRequest('feedback.assignee-outside', { username: assignee.username, id: item.areaCode });
      return { patch: { assigneeUserId: assignee.id }, text: joinText(`Giao cho ${assignee.username}.`, body.note), internal: true };
    });
  }

  async start(user: UserPrincipal, id: string, body: FeedbackStateRequest): Promise<FeedbackDetailView> {
    return this.officerAct(user, id, body.version, 'start', async () => ({ patch: {}, text: body.note ?? null, internal: true }));
  }

  async note(user: UserPrincipal, id: string, body: FeedbackNoteRequest): Promise<FeedbackDetailView> {
    return this.officerAct(user, id, body.version, 'note', async () => ({ patch: {}, text: body.text, internal: body.internal }));
  }

  /**
   * To another commune of the caller's scope and/or a department. The deadlines stay: the resident's clock does not
   * restart because the item moved inside the administration. A new commune's officers assign it again.
   */
  async transfer(user: UserPrincipal, id: string, body: FeedbackTransferRequest): Promise<FeedbackDetailView> {
    return this.officerAct(user, id, body.version, 'transfer', async (item, settings) => {
      const patch: Partial<FeedbackItemEntity> = {};
      const parts: string[] = [];
      if (body.areaCode !== undefined && body.areaCode !== item.areaCode) {
        const to = await this.commune(body.areaCode);
        const scope = await this.scope.of(user);
        if (!scope.contains(to.code)) throw forbidden('feedback.transfer-outside', { id: to.code, name: to.name });
        const from = await this.repo.area(item.areaCode);
        patch.areaCode = to.code;
        patch.assigneeUserId = null;
        parts.push(`${from?.name ?? item.areaCode} → ${to.name}`);
      }
      if (body.department !== undefined && body.department !== item.department) {
        if (body.department !== null && !settings.departments.some((d) => d.code === body.department)) {
          const known = settings.departments.map((d) => d.code).join(', ');
          throw known === '' ? badRequest('feedback.department-none', { department: body.department }) : badRequest('feedback.department-unknown', { department: body.department, departments: known });
        }
        patch.department = body.department;
        const label = (code: string | null) => (code === null ? 'xã/phường' : (settings.departments.find((d) => d.code === code)?.label ?? code));
        parts.push(`${label(item.department)} → ${label(body.department)}`);
      }
      if (parts.length === 0) throw badRequest('feedback.transfer-nothing', { id: item.id });
      return { patch, text: `${parts.join('; ')}. Lý do: ${body.reason}`, internal: true };
    });
  }

  /** A new priority: the deadlines are computed again from when the item was received. */
  async priority(user: UserPrincipal, id: string, body: FeedbackPriorityRequest): Promise<FeedbackDetailView> {
    return this.officerAct(user, id, body.version, 'priority', async (item, settings) => {
      if (body.priority === item.priority) throw badRequest('feedback.same-priority', { feedbackPriority: body.priority });
      const due = this.settings.deadlines(body.priority, item.createdAt, settings);
      return {
        patch: { priority: body.priority, ackDueAt: due.ackDueAt, answerDueAt: due.answerDueAt },
        text: `${FEEDBACK_PRIORITY_LABELS_VI[item.priority]} → ${FEEDBACK_PRIORITY_LABELS_VI[body.priority]}. Lý do: ${body.reason}`,
        internal: true,
      };
    });
  }

  /** Folds a duplicate into another item: its resident then sees that item's answer. */
  async merge(user: UserPrincipal, id: string, body: FeedbackMergeRequest): Promise<FeedbackDetailView> {
    return this.officerAct(user, id, body.version, 'merge', async (item) => {
      const target = await this.repo.findById(body.intoId);
      if (!target || !(await this.scope.of(user)).contains(target.areaCode)) throw badRequest('feedback.merge-target-not-found', { id: body.intoId });
      const problem = mergeProblem(item, target);
      if (problem !== null) throw conflict(problem.code, problem.params);
      const now = this.clock.now();
      const bumped: FeedbackItemEntity = { ...target, version: target.version + 1, updatedAt: now };
      return {
        patch: { mergedInto: target.id },
        text: `Gộp vào ý kiến ${target.code} (cùng nội dung); câu trả lời của ý kiến đó là câu trả lời cho ý kiến này.`,
        internal: false,
        also: async () => {
          if (!(await this.repo.update(target.id, target.version, { version: bumped.version, updatedAt: now }))) throw stale(target.id);
          await this.repo.insertEvents([this.event(target.id, now, 'merged', { kind: 'user', user }, target.state, target.state, `Ý kiến ${item.code} được gộp vào ý kiến này.`, true)]);
        },
        emitAlso: [{ item: bumped, kind: 'merged' }],
      };
    });
  }

  async answer(user: UserPrincipal, id: string, body: FeedbackAnswerRequest): Promise<FeedbackDetailView> {
    return this.officerAct(user, id, body.version, 'answer', async (item, settings) => {
      const now = this.clock.now();
      const first = item.firstAnsweredAt === null;
      return {
        patch: {
          answer: body.answer,
          answeredAt: now,
          answeredBy: user.userId,
          publicInterest: body.publicInterest,
          // A new answer is rated anew.
          satisfied: null,
          ...(first ? { firstAnsweredAt: now, answerWorkingMs: this.settings.workingMsBetween(item.createdAt, now, settings) } : {}),
        },
        text: body.answer,
        internal: false,
        notify: body.notify,
      };
    });
  }

  async close(user: UserPrincipal, id: string, body: FeedbackStateRequest): Promise<FeedbackDetailView> {
    return this.officerAct(user, id, body.version, 'close', async () => ({ patch: { closedAt: this.clock.now() }, text: body.note ?? null, internal: false }));
  }

  async reopen(user: UserPrincipal, id: string, body: FeedbackStateRequest): Promise<FeedbackDetailView> {
    return this.officerAct(user, id, body.version, 'reopen', async (item, settings) => ({ patch: this.reopening(item, settings), text: body.note ?? null, internal: false }));
  }

  async reject(user: UserPrincipal, id: string, body: FeedbackReasonRequest): Promise<FeedbackDetailView> {
    return this.officerAct(user, id, body.version, 'reject', async () => ({ patch: { rejectReason: body.reason }, text: body.reason, internal: false }));
  }

  // --- the resident and the system ----------------------------------------------------------------------------

  /** The resident's rating: satisfied closes the item, not satisfied reopens it (only answered, within the window). */
  async rateByResident(itemId: string, satisfied: boolean, comment: string | undefined): Promise<FeedbackItemEntity> {
    const item = await this.repo.findById(itemId);
    if (!item) throw missing(itemId);
    const settings = await this.settings.get();
    if (!canRate(item, settings.autoCloseDays, this.clock.now())) throw conflict('feedback.rating-not-open', { id: item.id });
    const action: FeedbackAction = satisfied ? 'rate-satisfied' : 'rate-unsatisfied';
    return this.apply(item, undefined, action, { kind: 'resident' }, async (it, s) => {
      const now = this.clock.now();
      const ratingText = satisfied ? joinText('Hài lòng với câu trả lời.', comment) : joinText('Chưa hài lòng với câu trả lời.', comment);
      return {
        patch: { satisfied, ratedAt: now, ...(satisfied ? { closedAt: now } : this.reopening(it, s)) },
        text: satisfied ? null : (comment ?? null),
        internal: false,
        before: [{ kind: 'rated', text: ratingText, internal: false }],
      };
    });
  }

  /** A history entry written by another part (SMS sent or failed, bulletin drafted); the item itself does not change. */
  async addSystemEvent(itemId: string, kind: FeedbackEventKind, text: string | null, internal: boolean): Promise<void> {
    const item = await this.repo.findById(itemId);
    if (!item) throw missing(itemId);
    const now = this.clock.now();
    await this.repo.insertEvents([this.event(item.id, now, kind, { kind: 'system' }, item.state, item.state, text, internal)]);
    this.emit(item, kind, now);
  }

  /**
   * Marks items that have missed a deadline since the last run, with one history entry per deadline. Not a step of
   * the officers' (the version stays, so an officer's form is not made stale by the clock), but a change all the same.
   */
  async sweepOverdue(now: number): Promise<number> {
    let marked = 0;
    for (let batch = 0; batch < MAX_BATCHES; batch++) {
      const rows = await this.repo.newlyOverdue(now, BATCH);
      if (rows.length === 0) break;
      const written = await this.repo.overdueTexts(rows.map((r) => r.id));
      let progressed = 0;
      for (const item of rows) {
        const kind = overdueAt(item, now);
        if (kind === null || kind === item.overdue) continue;
        const text = OVERDUE_TEXT[kind];
        const first = !written.get(item.id)?.has(text);
        const ok = await this.tx.run(async () => {
          if (!(await this.repo.update(item.id, item.version, { overdue: kind, wasOverdue: true }))) return false;
          if (first) await this.repo.insertEvents([this.event(item.id, now, 'overdue', { kind: 'system' }, item.state, item.state, text, true)]);
          return true;
        });
        if (!ok) continue;
        progressed++;
        marked++;
        this.emit({ ...item, overdue: kind }, 'overdue', now);
      }
      if (progressed === 0 || rows.length < BATCH) break;
    }
    return marked;
  }

  /** Answered items the resident did not rate within `autoCloseDays` are closed by the system. */
  async autoCloseAnswered(now: number): Promise<number> {
    const settings = await this.settings.get();
    let closed = 0;
    for (let batch = 0; batch < MAX_BATCHES; batch++) {
      const rows = await this.repo.answeredBefore(now - settings.autoCloseDays * DAY, BATCH);
      let progressed = 0;
      for (const item of rows) {
        const done = await this.apply(item, undefined, 'close', { kind: 'system' }, async () => ({
          patch: { closedAt: now },
          text: `Tự động đóng: người dân không đánh giá trong ${settings.autoCloseDays} ngày sau khi được trả lời.`,
          internal: false,
        }), now).then(() => true, (err: unknown) => (err instanceof ConflictException ? false : Promise.reject(err)));
        if (done) progressed++;
      }
      closed += progressed;
      if (progressed === 0 || rows.length < BATCH) break;
    }
    return closed;
  }

  /**
   * Erases the resident's name, phone and e-mail of items finished (closed, rejected, merged) more than
   * `retentionDays` ago. What the statistics count (dates, state, category, rating, keyed phone hash) stays.
   */
  async erasePersonalData(now: number): Promise<number> {
    const settings = await this.settings.get();
    let erased = 0;
    for (let batch = 0; batch < MAX_BATCHES; batch++) {
      const rows = await this.repo.erasable(now - settings.retentionDays * DAY, BATCH);
      let progressed = 0;
      for (const item of rows) {
        const ok = await this.tx.run(async () => {
          if (!(await this.repo.update(item.id, item.version, { residentName: null, residentPhone: null, residentEmail: null, searchText: feedbackSearchText(item.title, item.content, item.village, null), personalDataErasedAt: now, version: item.version + 1 }))) return false;
          await this.repo.insertEvents([this.event(item.id, now, 'personal-data-erased', { kind: 'system' }, item.state, item.state, `Đã xóa họ tên, số điện thoại, thư điện tử sau ${settings.retentionDays} ngày lưu trữ.`, true)]);
          return true;
        });
        if (!ok) continue;
        progressed++;
        this.emit(item, 'personal-data-erased', now);
      }
      erased += progressed;
      if (progressed === 0 || rows.length < BATCH) break;
    }
    return erased;
  }

  // --- the machinery ------------------------------------------------------------------------------------------

  /** A new round of handling after a rejected answer: its own answer limit from now, never earlier than the first. */
  private reopening(item: FeedbackItemEntity, settings: FeedbackSettings): Partial<FeedbackItemEntity> {
    const again = this.settings.deadlines(item.priority, this.clock.now(), settings).answerDueAt;
    return { reopenCount: item.reopenCount + 1, closedAt: null, answerDueAt: Math.max(item.answerDueAt, again) };
  }

  private async officerAct(
    user: UserPrincipal,
    id: string,
    version: number | undefined,
    action: FeedbackAction,
    step: (item: FeedbackItemEntity, settings: FeedbackSettings) => Promise<Step>,
  ): Promise<FeedbackDetailView> {
    const item = await this.repo.findById(id);
    if (!item) throw missing(id);
    const scope: AreaScope = await this.scope.of(user);
    if (!scope.contains(item.areaCode)) throw outside(id);
    await this.apply(item, version, action, { kind: 'user', user }, step);
    return this.detail(user, id);
  }

  /**
   * One step: the state rule, the stale-version check, the action's own changes, then the common ones (version,
   * updated time, acknowledgement, overdue mark) and the history, committed together; the event after the commit.
   */
  private async apply(
    item: FeedbackItemEntity,
    version: number | undefined,
    action: FeedbackAction,
    actor: Actor,
    step: (item: FeedbackItemEntity, settings: FeedbackSettings) => Promise<Step>,
    at?: number,
  ): Promise<FeedbackItemEntity> {
    if (version !== undefined && version !== item.version) throw stale(item.id);
    const to = nextState(action, item.state);
    if (to === null) {
      const refusal = illegalStep(action, item.state);
      throw conflict(refusal.code, { id: item.id, ...refusal.params });
    }
    const settings = await this.settings.get();
    const s = await step(item, settings);
    const now = at ?? this.clock.now();
    const next: FeedbackItemEntity = { ...item, ...s.patch, state: to, version: item.version + 1, updatedAt: now };
    if (item.state === 'received' && to !== 'received' && next.acknowledgedAt === null) next.acknowledgedAt = now;
    next.overdue = overdueAt(next, now);
    next.wasOverdue = item.wasOverdue || next.overdue !== null;
    const kind = EVENT_OF[action];
    const entries: FeedbackEventEntity[] = [
      ...(s.before ?? []).map((b) => this.event(item.id, now, b.kind, actor, item.state, item.state, b.text, b.internal)),
      this.event(item.id, now, kind, actor, item.state, to, s.text, s.internal ?? false),
    ];
    if (next.overdue !== null && next.overdue !== item.overdue) {
      const text = OVERDUE_TEXT[next.overdue];
      if (!(await this.repo.overdueTexts([item.id])).get(item.id)?.has(text)) entries.push(this.event(item.id, now, 'overdue', { kind: 'system' }, to, to, text, true));
    }
    const patch: Partial<FeedbackItemEntity> = { ...s.patch, state: to, version: next.version, updatedAt: now, acknowledgedAt: next.acknowledgedAt, overdue: next.overdue, wasOverdue: next.wasOverdue };
    await this.tx.run(async () => {
      if (!(await this.repo.update(item.id, item.version, patch))) throw stale(item.id);
      await this.repo.insertEvents(entries);
      if (s.also) await s.also();
    });
    this.emit(next, kind, now, s.notify);
    for (const e of s.emitAlso ?? []) this.emit(e.item, e.kind, now);
    return next;
  }

  private event(itemId: string, at: number, kind: FeedbackEventKind, actor: Actor, fromState: FeedbackState | null, toState: FeedbackState | null, text: string | null, internal: boolean): FeedbackEventEntity {
    return { id: eventId(at), itemId, at, kind, actorUserId: actor.kind === 'user' ? actor.user.userId : null, actorKind: actor.kind, fromState, toState, text, internal };
  }

  private emit(item: FeedbackItemEntity, kind: FeedbackEventKind, at: number, notify?: boolean): void {
    this.events.emit('feedback.changed', { itemId: item.id, code: item.code, areaCode: item.areaCode, state: item.state, kind, at, ...(notify === undefined ? {} : { notify }) });
  }

  /** A commune by code, or a 400 saying it is not one. */
  private async commune(code: string): Promise<AreaEntity> {
    const area = await this.repo.area(code);
    if (!area) throw badRequest('feedback.commune-unknown', { id: code });
    if (area.level !== 'commune') throw badRequest('feedback.not-commune', { id: code, name: area.name });
    return area;
  }
}

const joinText = (head: string, tail: string | undefined): string => (tail === undefined ? head : `${head} ${tail}`);

function instant(text: string | undefined, field: string): number | undefined {
  if (text === undefined || text === '') return undefined;
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) throw badRequest('feedback.instant-invalid', { field, value: text });
  return ms;
}
