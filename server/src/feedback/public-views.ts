/**
 * What a resident (or anyone holding a code and its phone) may see of an item: its own text, where it stands, the
 * public steps and the answer. Never an officer's name, an internal note, or any resident's personal data.
 */
import { FEEDBACK_EVENT_LABELS_VI, type FeedbackEventKind, type FeedbackReceipt, type FeedbackSettings, type PublicFeedbackView } from '@loa/shared/rest';
import type { FeedbackEventEntity, FeedbackItemEntity } from './feedback.entities.js';
import { canRate } from './feedback-workflow.js';
import type { ShownAnswer } from './feedback.service.js';

/** Steps the resident is shown; notes, priority changes, overdue marks, failed texts, drafts and erasures stay inside. */
const PUBLIC_KINDS: ReadonlySet<FeedbackEventKind> = new Set<FeedbackEventKind>([
  'received',
  'assigned',
  'started',
  'transferred',
  'answered',
  'closed',
  'reopened',
  'rejected',
  'merged',
  'rated',
  'notified',
]);

const iso = (ms: number): string => new Date(ms).toISOString();

export const categoryLabel = (settings: FeedbackSettings, code: string): string => settings.categories.find((c) => c.code === code)?.label ?? code;

export interface PublicViewInput {
  item: FeedbackItemEntity;
  events: readonly FeedbackEventEntity[];
  /** The answer the resident is shown: the item's own, or that of the item it was merged into. */
  shown: Pick<ShownAnswer, 'answer' | 'answeredAt'>;
  areaName: string;
  attachments: number;
  settings: FeedbackSettings;
  now: number;
}

export function publicFeedbackView(v: PublicViewInput): PublicFeedbackView {
  const { item } = v;
  return {
    code: item.code,
    title: item.title,
    content: item.content,
    areaName: v.areaName,
    category: item.category,
    categoryLabel: categoryLabel(v.settings, item.category),
    state: item.state,
    createdAt: iso(item.createdAt),
    answerDueAt: iso(item.answerDueAt),
    answer: v.shown.answer,
    answeredAt: v.shown.answer === null || v.shown.answeredAt === null ? null : iso(v.shown.answeredAt),
    rejectReason: item.state === 'rejected' ? item.rejectReason : null,
    history: [...v.events]
      .filter((e) => !e.internal && PUBLIC_KINDS.has(e.kind))
      .sort((a, b) => a.at - b.at)
      .map((e) => ({ at: iso(e.at), kind: e.kind, text: FEEDBACK_EVENT_LABELS_VI[e.kind] })),
    canRate: canRate(item, v.settings.autoCloseDays, v.now),
    satisfied: item.satisfied,
    attachments: v.attachments,
  };
}

export function feedbackReceipt(item: FeedbackItemEntity, areaName: string, duplicate: boolean): FeedbackReceipt {
  return { code: item.code, createdAt: iso(item.createdAt), areaName, ackDueAt: iso(item.ackDueAt), answerDueAt: iso(item.answerDueAt), duplicate };
}
