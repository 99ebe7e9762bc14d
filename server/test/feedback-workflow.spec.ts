import { FEEDBACK_STATES, formatError, type FeedbackState } from '@loa/shared/rest';
import { canRate, canTake, illegalMessage, illegalStep, jaccard, mergeProblem, nextState, overdueAt, similar, wordsOf, type FeedbackAction } from '../src/feedback/feedback-workflow.js';

/** Issue 17: the pure handling rules of feedback items. */
describe('feedback workflow rules', () => {
  const ACTIONS: FeedbackAction[] = ['assign', 'start', 'note', 'transfer', 'priority', 'merge', 'answer', 'close', 'reopen', 'reject', 'rate-satisfied', 'rate-unsatisfied'];

  /** The whole table: every action from every state, where it leads or null when refused. */
  const EXPECTED: Record<FeedbackAction, Partial<Record<FeedbackState, FeedbackState>>> = {
    assign: { received: 'assigned', assigned: 'assigned', 'in-progress': 'in-progress', reopened: 'reopened' },
    start: { received: 'in-progress', assigned: 'in-progress', reopened: 'in-progress' },
    note: Object.fromEntries(FEEDBACK_STATES.map((s) => [s, s])),
    transfer: { received: 'received', assigned: 'assigned', 'in-progress': 'in-progress', reopened: 'reopened' },
    priority: { received: 'received', assigned: 'assigned', 'in-progress': 'in-progress', reopened: 'reopened' },
    merge: { received: 'merged', assigned: 'merged', 'in-progress': 'merged', reopened: 'merged' },
    answer: { received: 'answered', assigned: 'answered', 'in-progress': 'answered', reopened: 'answered' },
    close: { answered: 'closed' },
    reopen: { answered: 'reopened', closed: 'reopened' },
    reject: { received: 'rejected', assigned: 'rejected', 'in-progress': 'rejected', reopened: 'rejected' },
    'rate-satisfied': { answered: 'closed' },
    'rate-unsatisfied': { answered: 'reopened' },
  };

  for (const action of ACTIONS) {
    it.each(FEEDBACK_STATES.map((s) => [s]))(`${action} from %s`, (state) => {
      const expected = EXPECTED[action][state] ?? null;
      expect(nextState(action, state)).toBe(expected);
      expect(canTake(action, state)).toBe(expected !== null);
    });
  }

  it('the full happy path: received → assigned → in-progress → answered → closed, and reopened back to answered', () => {
    let s: FeedbackState = 'received';
    for (const [a, to] of [['assign', 'assigned'], ['start', 'in-progress'], ['answer', 'answered'], ['close', 'closed'], ['reopen', 'reopened'], ['start', 'in-progress'], ['answer', 'answered']] as const) {
      s = nextState(a, s)!;
      expect(s).toBe(to);
    }
  });

  it('an illegal step is coded, naming the state as a word (Vietnamese, English) and by code', () => {
    expect(illegalMessage('close', 'received')).toBe('Không thể đóng ý kiến đang ở trạng thái "Đã tiếp nhận" (received).');
    const step = illegalStep('close', 'received');
    expect(step).toEqual({ code: 'feedback.bad-transition', params: { feedbackAction: 'close', feedbackState: 'received', stateCode: 'received' } });
    expect(formatError(step.code, step.params, 'en')).toBe('Cannot close a feedback item in state "Received" (received).');
  });

  it('merge: not into itself, not into a merged item, not into a closed or rejected one; into open or answered', () => {
    const src = { id: 'a', state: 'received' as FeedbackState };
    expect(mergeProblem(src, { id: 'a', state: 'received', mergedInto: null })).toEqual({ code: 'feedback.merge-self', params: { id: 'a' } });
    expect(mergeProblem(src, { id: 'b', state: 'merged', mergedInto: 'c' })).toEqual({ code: 'feedback.merge-target-merged', params: { id: 'b' } });
    expect(mergeProblem(src, { id: 'b', state: 'closed', mergedInto: null })).toEqual({ code: 'feedback.merge-target-state', params: { id: 'b', feedbackState: 'closed' } });
    const rejected = mergeProblem(src, { id: 'b', state: 'rejected', mergedInto: null })!;
    // The target's state is shown as its word in the reader's language.
    expect(formatError(rejected.code, rejected.params, 'vi')).toMatch(/"Không thụ lý"/);
    expect(formatError(rejected.code, rejected.params, 'en')).toBe('Items can only be merged into an open or answered item (the target is "Rejected").');
    expect(mergeProblem(src, { id: 'b', state: 'answered', mergedInto: null })).toBeNull();
    expect(mergeProblem(src, { id: 'b', state: 'in-progress', mergedInto: null })).toBeNull();
  });

  describe('overdue', () => {
    const base = { ackDueAt: 1_000, answerDueAt: 5_000, acknowledgedAt: null };
    it('ack when still received past the acknowledgement deadline', () => {
      expect(overdueAt({ ...base, state: 'received' }, 1_000)).toBeNull();
      expect(overdueAt({ ...base, state: 'received' }, 1_001)).toBe('ack');
    });
    it('acknowledged items miss no acknowledgement', () => {
      expect(overdueAt({ ...base, state: 'assigned', acknowledgedAt: 900 }, 2_000)).toBeNull();
    });
    it('answer when open past the answer deadline, outranking ack', () => {
      expect(overdueAt({ ...base, state: 'received' }, 5_001)).toBe('answer');
      expect(overdueAt({ ...base, state: 'reopened', acknowledgedAt: 10 }, 5_001)).toBe('answer');
    });
    it('answered, closed, rejected and merged items are not overdue', () => {
      for (const state of ['answered', 'closed', 'rejected', 'merged'] as const) expect(overdueAt({ ...base, state }, 99_999)).toBeNull();
    });
  });

  it('a resident may rate an answered item within the window only', () => {
    const day = 86_400_000;
    expect(canRate({ state: 'answered', answeredAt: 0 }, 7, 7 * day)).toBe(true);
    expect(canRate({ state: 'answered', answeredAt: 0 }, 7, 7 * day + 1)).toBe(false);
    expect(canRate({ state: 'closed', answeredAt: 0 }, 7, 1)).toBe(false);
    expect(canRate({ state: 'in-progress', answeredAt: null }, 7, 1)).toBe(false);
  });

  describe('similar texts', () => {
    it('folds diacritics and case, drops filler words', () => {
      expect([...wordsOf('Đường LÀNG bị SẠT lở và ngập')].sort()).toEqual(['bi', 'duong', 'lang', 'lo', 'ngap', 'sat']);
    });
    it('Jaccard of word sets', () => {
      expect(jaccard(new Set(['a', 'b']), new Set(['b', 'c']))).toBeCloseTo(1 / 3);
      expect(jaccard(new Set(), new Set())).toBe(0);
    });
    it('the same matter typed differently is similar; another matter is not', () => {
      const a = { title: 'Đèn đường thôn Đông bị hỏng', content: 'Đèn đường đầu thôn Đông hỏng đã một tuần, buổi tối rất tối.' };
      const b = { title: 'den duong thon Dong bi hong', content: 'Đèn đường thôn Đông hỏng một tuần nay.' };
      const c = { title: 'Rác thải ở chợ', content: 'Rác thải tồn đọng ở chợ xã chưa được thu gom.' };
      expect(similar(a, b)).toBe(true);
      expect(similar(a, c)).toBe(false);
    });
  });
});
