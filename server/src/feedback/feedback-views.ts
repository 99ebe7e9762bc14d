import type { FeedbackEventView, FeedbackItemView, FeedbackSettings } from '@loa/shared/rest';
import { isoOrNull } from '../common/iso.js';
import type { FeedbackAttachmentEntity, FeedbackEventEntity, FeedbackItemEntity } from './feedback.entities.js';

/** List rows carry the start of the content only; the detail has all of it. */
export const LIST_CONTENT_CHARS = 300;

/** What a view needs besides the row, looked up in batches by the service. */
export interface ViewContext {
  areaName: (code: string) => string;
  username: (userId: string) => string | null;
  settings: FeedbackSettings;
  /** Ids and codes of items, for `mergedInto`. */
  codeOf: (id: string) => string | null;
  merged: (itemId: string) => ReadonlyArray<{ id: string; code: string }>;
  attachments: (itemId: string) => readonly FeedbackAttachmentEntity[];
  drafts: (itemId: string) => readonly string[];
  similar?: ReadonlyArray<{ id: string; code: string; title: string }>;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export const categoryLabel = (settings: FeedbackSettings, code: string): string => settings.categories.find((c) => c.code === code)?.label ?? code;

export const attachmentUrl = (itemId: string, attachmentId: string): string => `/api/v1/feedback/${itemId}/attachments/${attachmentId}`;

/** The officers' view of an item (readers in scope only: it carries the resident's data until it is erased). */
export function itemView(i: FeedbackItemEntity, ctx: ViewContext, shorten = false): FeedbackItemView {
  const assignee = i.assigneeUserId === null ? null : { userId: i.assigneeUserId, username: ctx.username(i.assigneeUserId) ?? i.assigneeUserId };
  const resident = i.personalDataErasedAt !== null || i.residentName === null || i.residentPhone === null ? null : { name: i.residentName, phone: i.residentPhone, email: i.residentEmail };
  const mergedCode = i.mergedInto === null ? null : ctx.codeOf(i.mergedInto);
  return {
    id: i.id,
    code: i.code,
    areaCode: i.areaCode,
    areaName: ctx.areaName(i.areaCode),
    village: i.village,
    department: i.department,
    category: i.category,
    categoryLabel: categoryLabel(ctx.settings, i.category),
    title: i.title,
    content: shorten && i.content.length > LIST_CONTENT_CHARS ? `${i.content.slice(0, LIST_CONTENT_CHARS)}…` : i.content,
    channel: i.channel,
    state: i.state,
    priority: i.priority,
    assignee,
    resident,
    createdAt: iso(i.createdAt),
    ackDueAt: iso(i.ackDueAt),
    acknowledgedAt: isoOrNull(i.acknowledgedAt),
    answerDueAt: iso(i.answerDueAt),
    answeredAt: isoOrNull(i.answeredAt),
    closedAt: isoOrNull(i.closedAt),
    overdue: i.overdue,
    answer: i.answer,
    publicInterest: i.publicInterest,
    rejectReason: i.rejectReason,
    satisfied: i.satisfied,
    reopenCount: i.reopenCount,
    mergedInto: i.mergedInto === null ? null : { id: i.mergedInto, code: mergedCode ?? '' },
    merged: [...ctx.merged(i.id)],
    similar: [...(ctx.similar ?? [])],
    attachments: ctx.attachments(i.id).map((a) => ({ id: a.id, mime: a.mime, bytes: a.bytes, width: a.width, height: a.height, url: attachmentUrl(i.id, a.id) })),
    draftContentIds: [...ctx.drafts(i.id)],
    updatedAt: iso(i.updatedAt),
    version: i.version,
  };
}

export function eventView(e: FeedbackEventEntity, username: (userId: string) => string | null): FeedbackEventView {
  return {
    id: e.id,
    at: iso(e.at),
    kind: e.kind,
    actor: e.actorUserId === null ? null : (username(e.actorUserId) ?? e.actorUserId),
    actorKind: e.actorKind,
    fromState: e.fromState,
    toState: e.toState,
    text: e.text,
    internal: e.internal,
  };
}
