/**
 * The handling rules of feedback items (issue 17), pure: which action may be taken in which state and where it
 * leads, which deadline is missed at an instant, and when a resident may rate. The service applies them and stores
 * the outcome; tests check them without a database.
 */
import { FEEDBACK_OPEN_STATES, formatError, type ErrorCode, type ErrorParams, type FeedbackEventKind, type FeedbackOverdueKind, type FeedbackState } from '@loa/shared/rest';

export type FeedbackAction = 'assign' | 'start' | 'note' | 'transfer' | 'priority' | 'merge' | 'answer' | 'close' | 'reopen' | 'reject' | 'rate-satisfied' | 'rate-unsatisfied';

export const isOpen = (state: FeedbackState): boolean => FEEDBACK_OPEN_STATES.includes(state);

const OPEN = FEEDBACK_OPEN_STATES;
const ALL: readonly FeedbackState[] = ['received', 'assigned', 'in-progress', 'answered', 'closed', 'reopened', 'rejected', 'merged'];

/**
 * From which states each action may be taken. Assigning acknowledges an item and may be repeated (reassigning) while
 * it is open, without moving it back: an item being handled stays being handled. An answer may be given from any
 * open state (a simple matter answered at once); only an answer may be closed; answered or closed items may be
 * reopened; notes are allowed on every item, even one closed or merged (a phone call after the fact).
 */
const FROM: Readonly<Record<FeedbackAction, readonly FeedbackState[]>> = {
  assign: OPEN,
  start: ['received', 'assigned', 'reopened'],
  note: ALL,
  transfer: OPEN,
  priority: OPEN,
  merge: OPEN,
  answer: OPEN,
  close: ['answered'],
  reopen: ['answered', 'closed'],
  reject: OPEN,
  'rate-satisfied': ['answered'],
  'rate-unsatisfied': ['answered'],
};

/** The history entry each action writes. */
export const EVENT_OF: Readonly<Record<FeedbackAction, FeedbackEventKind>> = {
  assign: 'assigned',
  start: 'started',
  note: 'note',
  transfer: 'transferred',
  priority: 'priority-changed',
  merge: 'merged',
  answer: 'answered',
  close: 'closed',
  reopen: 'reopened',
  reject: 'rejected',
  'rate-satisfied': 'closed',
  'rate-unsatisfied': 'reopened',
};

export const canTake = (action: FeedbackAction, state: FeedbackState): boolean => FROM[action].includes(state);

/** Where the action leads from `state`, or null when it may not be taken there. */
export function nextState(action: FeedbackAction, state: FeedbackState): FeedbackState | null {
  if (!canTake(action, state)) return null;
  switch (action) {
    case 'assign':
      return state === 'received' ? 'assigned' : state;
    case 'start':
      return 'in-progress';
    case 'answer':
      return 'answered';
    case 'close':
    case 'rate-satisfied':
      return 'closed';
    case 'reopen':
    case 'rate-unsatisfied':
      return 'reopened';
    case 'reject':
      return 'rejected';
    case 'merge':
      return 'merged';
    default:
      return state;
  }
}

/** A refusal of the rules as a code of `errors/feedback.ts` and its parameters; the service throws it with its status. */
export interface FeedbackRuleRefusal {
  code: ErrorCode;
  params: ErrorParams;
}

/** The 409 for an action refused in a state, naming both (the state's word and its code, for clients). */
export const illegalStep = (action: FeedbackAction, state: FeedbackState): FeedbackRuleRefusal => ({
  code: 'feedback.bad-transition',
  params: { feedbackAction: action, feedbackState: state, stateCode: state },
});

/** The Vietnamese text of that refusal (logs, tests). */
export const illegalMessage = (action: FeedbackAction, state: FeedbackState): string => {
  const r = illegalStep(action, state);
  return formatError(r.code, r.params, 'vi') ?? r.code;
};

/** May `target` absorb `source` as a duplicate? Null when yes, else why not. */
export function mergeProblem(source: { id: string; state: FeedbackState }, target: { id: string; state: FeedbackState; mergedInto: string | null }): FeedbackRuleRefusal | null {
  if (source.id === target.id) return { code: 'feedback.merge-self', params: { id: source.id } };
  if (target.state === 'merged' || target.mergedInto !== null) return { code: 'feedback.merge-target-merged', params: { id: target.id } };
  if (!isOpen(target.state) && target.state !== 'answered') return { code: 'feedback.merge-target-state', params: { id: target.id, feedbackState: target.state } };
  return null;
}

export interface DeadlineFields {
  state: FeedbackState;
  ackDueAt: number;
  answerDueAt: number;
  acknowledgedAt: number | null;
}

/**
 * The deadline missed at `now`, if any. Missing the answer deadline outranks missing the acknowledgement (it is the
 * resident's promise); an item no longer open misses nothing more.
 */
export function overdueAt(item: DeadlineFields, now: number): FeedbackOverdueKind | null {
  if (!isOpen(item.state)) return null;
  if (now > item.answerDueAt) return 'answer';
  if (item.state === 'received' && item.acknowledgedAt === null && now > item.ackDueAt) return 'ack';
  return null;
}

/** The overdue history entry's text per deadline; also how the service finds whether one was already written. */
export const OVERDUE_TEXT: Readonly<Record<FeedbackOverdueKind, string>> = {
  ack: 'Quá hạn tiếp nhận (chưa xác nhận trong thời hạn).',
  answer: 'Quá hạn trả lời.',
};

/** A resident may rate an answer while it is the current answer and the rating window (auto-close) has not passed. */
export function canRate(item: { state: FeedbackState; answeredAt: number | null }, autoCloseDays: number, now: number): boolean {
  return item.state === 'answered' && item.answeredAt !== null && now <= item.answeredAt + autoCloseDays * 86_400_000;
}

/** Words of a text for similarity: folded (no diacritics, lower case), 2+ characters, without the commonest fillers. */
export function wordsOf(text: string): Set<string> {
  const folded = text
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase();
  return new Set(folded.split(/[^a-z0-9]+/).filter((w) => w.length >= 2 && !STOP.has(w)));
}

// Vietnamese words found in almost any complaint: they would make unrelated items look alike.
const STOP = new Set(['va', 'la', 'cua', 'cho', 'co', 'khong', 'da', 'duoc', 'nay', 'cac', 'nhung', 'mot', 'voi', 'tai', 'de', 'thi', 'rat', 'xin', 'toi', 'ban', 'nguoi', 'dan']);

/** Jaccard index of two word sets (0 when both are empty). */
export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 && b.size === 0) return 0;
  let both = 0;
  for (const w of a) if (b.has(w)) both++;
  return both / (a.size + b.size - both);
}

/** Same matter? Titles alike, or the whole texts alike (a resident may retitle the same complaint). */
export const SIMILARITY_THRESHOLD = 0.6;
export function similar(a: { title: string; content: string }, b: { title: string; content: string }): boolean {
  const ta = wordsOf(a.title);
  const tb = wordsOf(b.title);
  if (ta.size >= 2 && tb.size >= 2 && jaccard(ta, tb) >= SIMILARITY_THRESHOLD) return true;
  return jaccard(wordsOf(`${a.title} ${a.content}`), wordsOf(`${b.title} ${b.content}`)) >= SIMILARITY_THRESHOLD;
}
