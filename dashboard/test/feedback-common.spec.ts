import type { FeedbackItemView, FeedbackStatsSlice } from '@loa/shared/rest';
import { parseHash } from '../src/router.js';
import { allowedActions, countdown, currentDeadline, filtersOf, filtersRoute, listQuery, sortQueue, spanWords } from '../src/pages/feedback-common.js';
import { feedbackStatsQuery, worstFirst } from '../src/pages/reports-feedback.js';
import { selectionOf } from '../src/pages/reports-common.js';

const W = { days: '{n} ngày', hours: '{n} giờ', minutes: '{n} phút', left: 'còn {d}', overdueBy: 'quá hạn {d}', done: 'Xong' };
const NOW = Date.parse('2026-12-07T03:00:00Z');
const iso = (offsetMs: number) => new Date(NOW + offsetMs).toISOString();
const H = 3_600_000;

type Item = Pick<FeedbackItemView, 'state' | 'ackDueAt' | 'answerDueAt' | 'acknowledgedAt' | 'overdue' | 'createdAt' | 'code'>;
const item = (code: string, patch: Partial<Item> = {}): Item => ({
  code,
  state: 'received',
  ackDueAt: iso(8 * H),
  answerDueAt: iso(5 * 24 * H),
  acknowledgedAt: null,
  overdue: null,
  createdAt: iso(-H),
  ...patch,
});

describe('feedback queue: deadlines, order and actions (issue 17)', () => {
  it('runs the acknowledge deadline while only received, then the answer deadline, and none once handled', () => {
    expect(currentDeadline(item('A'))).toEqual({ kind: 'ack', at: iso(8 * H) });
    expect(currentDeadline(item('A', { state: 'assigned', acknowledgedAt: iso(-H / 2) }))).toEqual({ kind: 'answer', at: iso(5 * 24 * H) });
    expect(currentDeadline(item('A', { state: 'answered' }))).toBeNull();
    expect(currentDeadline(item('A', { state: 'merged' }))).toBeNull();
  });

  it('says how long is left or how late it is, never rounding up to a figure not reached', () => {
    expect(countdown(item('A', { ackDueAt: iso(3 * H + 59 * 60_000) }), NOW, W)).toEqual({ overdue: false, ms: 3 * H + 59 * 60_000, text: 'còn 3 giờ' });
    expect(countdown(item('A', { ackDueAt: iso(-(2 * 24 + 5) * H), overdue: 'ack' }), NOW, W).text).toBe('quá hạn 2 ngày');
    expect(countdown(item('A', { ackDueAt: iso(25 * 60_000) }), NOW, W).text).toBe('còn 25 phút');
    // The server's flag wins: overdue even if this browser's clock lags behind.
    expect(countdown(item('A', { ackDueAt: iso(60_000), overdue: 'ack' }), NOW, W).overdue).toBe(true);
    expect(countdown(item('A', { state: 'closed' }), NOW, W)).toEqual({ overdue: false, ms: null, text: 'Xong' });
    expect(spanWords(47 * H, W)).toBe('47 giờ');
    expect(spanWords(48 * H, W)).toBe('2 ngày');
  });

  it('puts overdue items first, then the nearest deadline, then handled ones newest first', () => {
    const rows = [
      item('CLOSED-OLD', { state: 'closed', createdAt: iso(-10 * H) }),
      item('FAR', { state: 'assigned', answerDueAt: iso(40 * H), ackDueAt: iso(-H), acknowledgedAt: iso(-2 * H) }),
      item('NEAR', { ackDueAt: iso(2 * H) }),
      item('CLOSED-NEW', { state: 'answered', createdAt: iso(-2 * H) }),
      item('LATE', { ackDueAt: iso(-3 * H), overdue: 'ack' }),
    ];
    expect(sortQueue(rows).map((r) => r.code)).toEqual(['LATE', 'NEAR', 'FAR', 'CLOSED-NEW', 'CLOSED-OLD']);
  });

  it('offers only the actions the state allows, and bulletins to content authors only', () => {
    const base = { publicInterest: false, draftContentIds: [] as string[] };
    const sorted = (s: Set<string>) => [...s].sort();
    expect(sorted(allowedActions({ ...base, state: 'received' }, 'commune_officer'))).toEqual(['answer', 'assign', 'merge', 'note', 'priority', 'reject', 'start', 'transfer']);
    expect(sorted(allowedActions({ ...base, state: 'in-progress' }, 'operator'))).toEqual(['answer', 'assign', 'merge', 'note', 'priority', 'reject', 'transfer']);
    expect(sorted(allowedActions({ ...base, state: 'answered' }, 'commune_officer'))).toEqual(['close', 'note', 'reopen']);
    expect(sorted(allowedActions({ ...base, state: 'answered', publicInterest: true }, 'commune_officer'))).toEqual(['bulletin', 'close', 'note', 'reopen']);
    // Once drafted, the bulletin is not offered twice.
    expect(allowedActions({ state: 'answered', publicInterest: true, draftContentIds: ['c1', 'c2'] }, 'admin').has('bulletin')).toBe(false);
    expect(sorted(allowedActions({ ...base, state: 'merged' }, 'admin'))).toEqual(['note']);
    expect(sorted(allowedActions({ ...base, state: 'rejected' }, 'admin'))).toEqual(['note']);
    expect(sorted(allowedActions({ ...base, state: 'closed', publicInterest: true }, 'approver'))).toEqual(['note', 'reopen']);
  });

  it('keeps the filters in the URL and asks the list API for the same', () => {
    const f = filtersOf(parseHash('#/feedback?state=open&priority=urgent&mine=1&q=%C4%91%C6%B0%E1%BB%9Dng'));
    expect(f).toEqual({ state: 'open', priority: 'urgent', category: '', areaCode: '', mine: true, overdue: false, q: 'đường' });
    expect(listQuery(f)).toEqual({ state: 'received,assigned,in-progress,reopened', priority: 'urgent', category: undefined, areaCode: undefined, mine: 'true', overdue: undefined, q: 'đường' });
    expect(filtersRoute({ ...f, overdue: true, mine: false })).toEqual({ state: 'open', priority: 'urgent', category: undefined, areaCode: undefined, mine: undefined, overdue: '1', q: 'đường' });
  });
});

describe('Reports › feedback: query and order', () => {
  it('asks the statistics for the Reports page’s period', () => {
    expect(feedbackStatsQuery(selectionOf(parseHash('#/reports/feedback?month=2026-11&areaCode=271')))).toEqual({ period: '2026-11', areaCode: '271' });
    expect(feedbackStatsQuery(selectionOf(parseHash('#/reports/feedback?period=quarter&quarter=2026-Q4')))).toEqual({ period: '2026-Q4', areaCode: undefined });
    expect(feedbackStatsQuery(selectionOf(parseHash('#/reports/feedback?period=range&from=2026-11-01&to=2026-11-15')))).toEqual({ from: '2026-11-01', to: '2026-11-15', areaCode: undefined });
  });

  it('shows the communes worst first, those without items last', () => {
    const slice = (received: number, handled: number, overdue = 0): FeedbackStatsSlice => ({
      received,
      handled,
      handledOnTime: handled,
      overdue,
      open: received - handled,
      handledShare: received === 0 ? null : handled / received,
      onTimeShare: null,
      avgAnswerWorkingHours: null,
      avgAnswerHours: null,
      rated: 0,
      satisfied: 0,
      satisfactionShare: null,
    });
    const rows = [
      { areaCode: 'a', areaName: 'Xã A', ...slice(4, 4) },
      { areaCode: 'b', areaName: 'Xã B', ...slice(0, 0) },
      { areaCode: 'c', areaName: 'Xã C', ...slice(4, 2, 1) },
      { areaCode: 'd', areaName: 'Xã D', ...slice(2, 1, 1) },
      { areaCode: 'e', areaName: 'Xã E', ...slice(4, 2, 2) },
    ];
    expect(worstFirst(rows).map((r) => r.areaCode)).toEqual(['e', 'c', 'd', 'a', 'b']);
  });
});
