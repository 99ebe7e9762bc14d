import type { FeedbackItemEntity } from '../../src/feedback/feedback.entities.js';
import { feedbackSearchText } from '../../src/feedback/feedback.service.js';

const H = 3_600_000;

/** A stored item as the core leaves it; only what a case needs is given. */
export function feedbackItem(o: Partial<FeedbackItemEntity> & { id: string; areaCode: string; createdAt: number }): FeedbackItemEntity {
  return {
    code: `PA-${o.id.toUpperCase().replace(/[^A-Z0-9]/g, '').padEnd(8, 'X').slice(0, 8)}`,
    village: null,
    department: null,
    category: 'dat-dai',
    title: `Ý kiến ${o.id}`,
    content: 'Nội dung phản ánh',
    channel: 'web',
    state: 'received',
    priority: 'normal',
    assigneeUserId: null,
    residentName: `Người dân ${o.id}`,
    residentPhone: '0912345678',
    residentEmail: null,
    phoneHash: 'h'.repeat(64),
    addressHash: null,
    contentHash: o.id.padEnd(64, '0'),
    externalId: null,
    consentAt: o.createdAt,
    ackDueAt: o.createdAt + 8 * H,
    acknowledgedAt: null,
    answerDueAt: o.createdAt + 80 * H,
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
    updatedAt: o.createdAt,
    version: 0,
    ...o,
    searchText: o.searchText ?? feedbackSearchText(o.title ?? `Ý kiến ${o.id}`, o.content ?? 'Nội dung phản ánh', o.village ?? null, o.residentName ?? `Người dân ${o.id}`),
  };
}
