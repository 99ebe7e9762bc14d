/**
 * Reports › citizen feedback (#/reports/feedback, issue 17): for the selected area and period (the Reports page's
 * own pickers, kept in the URL), the KH 179 figure — every item handled — against its 100 % target, with on-time
 * answers, overdue items, the mean answer time in working hours and satisfaction; by commune (worst first), category
 * and priority; the series chart and the XLSX download.
 */
import type { FeedbackStatsSlice, FeedbackStatsView } from '@loa/shared/rest';
import type { PageProps } from '../app.js';
import { download, get } from '../api.js';
import { BarChart } from '../components/bar-chart.js';
import { defineStrings, getLang, useT } from '../i18n.js';
import { href } from '../router.js';
import { ActionButton, Empty, ErrorBox, Loading, PageHeader, useAsync } from '../ui.js';
import { priorityLabel } from './feedback-common.js';
import { int, pct, periodTitle, routeQuery, selectionOf, type ReportSelection } from './reports-common.js';
import { Filters } from './reports.js';

const S = defineStrings({
  vi: {
    coverageTab: 'Phát thanh, bảng tin',
    feedbackTab: 'Ý kiến người dân',
    title: 'Ý kiến người dân',
    received: 'Tiếp nhận',
    handled: 'Đã giải quyết',
    onTime: 'Đúng hạn',
    overdue: 'Quá hạn',
    open: 'Đang giải quyết',
    avgAnswer: 'Thời gian trả lời trung bình',
    workHours: '{n} giờ làm việc',
    satisfaction: 'Hài lòng',
    rated: '{n} lượt đánh giá',
    target: 'Chỉ tiêu 100 %',
    byArea: 'Theo địa bàn',
    byCategory: 'Theo lĩnh vực',
    byPriority: 'Theo mức độ',
    byChannel: 'Theo kênh tiếp nhận',
    series: 'Tỷ lệ giải quyết theo thời gian',
    name: 'Tên',
    xlsx: 'Tải XLSX',
    noItems: 'Không có ý kiến trong kỳ',
  },
  en: {
    coverageTab: 'Broadcasts, boards',
    feedbackTab: 'Citizen feedback',
    title: 'Citizen feedback',
    received: 'Received',
    handled: 'Handled',
    onTime: 'On time',
    overdue: 'Overdue',
    open: 'Open',
    avgAnswer: 'Mean time to answer',
    workHours: '{n} working hours',
    satisfaction: 'Satisfied',
    rated: '{n} ratings',
    target: 'Target 100%',
    byArea: 'By area',
    byCategory: 'By category',
    byPriority: 'By priority',
    byChannel: 'By channel',
    series: 'Share handled over time',
    name: 'Name',
    xlsx: 'Download XLSX',
    noItems: 'No feedback in the period',
  },
});

/** The stats API's query (feedbackStatsQuerySchema) for a Reports selection: period=YYYY-MM | YYYY-Qn | YYYY, or from/to. */
export function feedbackStatsQuery(s: ReportSelection): Record<string, string | undefined> {
  const period = s.kind === 'month' ? { period: s.month } : s.kind === 'quarter' ? { period: s.quarter } : s.kind === 'year' ? { period: s.year } : { from: s.from, to: s.to };
  return { ...period, areaCode: s.areaCode || undefined };
}

/** Worst first: the lowest share handled, then the most overdue; slices without items last. */
export function worstFirst<T extends FeedbackStatsSlice & { areaName: string }>(rows: readonly T[]): T[] {
  return [...rows].sort((a, b) => {
    if (a.handledShare === null || b.handledShare === null) return a.handledShare === null ? (b.handledShare === null ? a.areaName.localeCompare(b.areaName, 'vi') : 1) : -1;
    return a.handledShare - b.handledShare || b.overdue - a.overdue || a.areaName.localeCompare(b.areaName, 'vi');
  });
}

const hours = (n: number | null): string => (n === null ? '—' : (Math.round(n * 10) / 10).toLocaleString(getLang() === 'vi' ? 'vi-VN' : 'en-GB'));
const low = (share: number | null, target: number) => share !== null && share < target;

/** The two Reports views side by side: broadcasting coverage and citizen feedback, the period and area kept. */
export function ReportTabs({ sel, active }: { sel: ReportSelection; active: 'coverage' | 'feedback' }) {
  const t = useT(S);
  const q = new URLSearchParams(Object.entries(routeQuery(sel)).filter((e): e is [string, string] => e[1] !== undefined)).toString();
  return (
    <nav class="tabs fb-report-tabs" data-testid="report-tabs">
      <a href={href(`/reports${q ? `?${q}` : ''}`)} class={`button ${active === 'coverage' ? 'active' : ''}`} data-tab="coverage" aria-current={active === 'coverage' ? 'page' : undefined}>
        {t('coverageTab')}
      </a>
      <a href={href(`/reports/feedback${q ? `?${q}` : ''}`)} class={`button ${active === 'feedback' ? 'active' : ''}`} data-tab="feedback" data-testid="report-feedback-tab" aria-current={active === 'feedback' ? 'page' : undefined}>
        {t('feedbackTab')}
      </a>
    </nav>
  );
}

export function FeedbackReport({ route }: PageProps) {
  const t = useT(S);
  const sel = selectionOf(route);
  const query = feedbackStatsQuery(sel);
  const stats = useAsync(() => get<FeedbackStatsView>('/api/v1/reports/feedback', query), [JSON.stringify(query)]);
  const r = stats.data;
  return (
    <div class="reports fb-report" data-testid="feedback-report">
      <PageHeader title={`${t('title')} — ${periodTitle(sel)}`}>
        <ActionButton onClick={() => download('/api/v1/reports/feedback.xlsx', 'y-kien-nguoi-dan.xlsx', query)} data-testid="feedback-report-xlsx">
          {t('xlsx')}
        </ActionButton>
      </PageHeader>
      <ReportTabs sel={sel} active="feedback" />
      <Filters sel={sel} path="/reports/feedback" showEssential={false} />
      <Loading when={stats.loading && !r} />
      <ErrorBox error={stats.error} />
      {r ? (
        <div data-testid="feedback-report-loaded" data-area={r.areaCode ?? ''} data-received={r.totals.received}>
          <h2>{r.areaName}</h2>
          <Kpis f={r.totals} target={r.target} />
          <section class="card">
            <h3>{t('series')}</h3>
            <BarChart
              testId="feedback-report-chart"
              target={r.target}
              emptyText={t('noItems')}
              bars={r.series.map((p) => ({
                label: p.bucket.length === 7 ? (getLang() === 'vi' ? `T${Number(p.bucket.slice(5, 7))}` : p.bucket.slice(5, 7)) : p.bucket.slice(8, 10),
                value: p.handledShare,
                title: `${p.bucket.split('-').reverse().join('/')}: ${pct(p.handledShare)} (${p.handled}/${p.received})`,
              }))}
            />
          </section>
          <h3>{t('byArea')}</h3>
          <SliceTable testId="feedback-report-by-area" target={r.target} rows={worstFirst(r.byArea).map((a) => ({ key: a.areaCode, name: a.areaName, f: a }))} />
          <div class="report-columns">
            <section>
              <h3>{t('byCategory')}</h3>
              <SliceTable testId="feedback-report-by-category" target={r.target} rows={r.byCategory.filter((c) => c.received > 0).map((c) => ({ key: c.category, name: c.label, f: c }))} compact />
            </section>
            <section>
              <h3>{t('byPriority')}</h3>
              <SliceTable testId="feedback-report-by-priority" target={r.target} rows={r.byPriority.map((p) => ({ key: p.priority, name: priorityLabel(p.priority), f: p }))} compact />
            </section>
          </div>
        </div>
      ) : null}
    </div>
  );
}

function Kpis({ f, target }: { f: FeedbackStatsSlice; target: number }) {
  const t = useT(S);
  return (
    <div class="cards kpis" data-testid="feedback-report-kpis" data-handled-share={f.handledShare ?? ''}>
      <div class="stat" data-kpi="received">
        <div class="value">{int(f.received)}</div>
        <div class="label">{t('received')}</div>
      </div>
      <div class={`stat ${low(f.handledShare, target) ? 'stat-low' : ''}`} data-kpi="handled">
        <div class="value">{pct(f.handledShare)}</div>
        <div class="label">
          {t('handled')} · {int(f.handled)}/{int(f.received)} · {t('target')}
        </div>
      </div>
      <div class={`stat ${low(f.onTimeShare, target) ? 'stat-low' : ''}`} data-kpi="onTime">
        <div class="value">{pct(f.onTimeShare)}</div>
        <div class="label">
          {t('onTime')} · {int(f.handledOnTime)}
        </div>
      </div>
      <div class={`stat ${f.overdue > 0 ? 'stat-low' : ''}`} data-kpi="overdue">
        <div class="value">{int(f.overdue)}</div>
        <div class="label">
          {t('overdue')} · {t('open').toLowerCase()} {int(f.open)}
        </div>
      </div>
      <div class="stat" data-kpi="avgAnswer">
        <div class="value">{hours(f.avgAnswerWorkingHours)}</div>
        <div class="label">{t('avgAnswer')} ({t('workHours', { n: '' }).trim()})</div>
      </div>
      <div class={`stat ${low(f.satisfactionShare, target) ? 'stat-low' : ''}`} data-kpi="satisfaction">
        <div class="value">{pct(f.satisfactionShare)}</div>
        <div class="label">
          {t('satisfaction')} · {t('rated', { n: int(f.rated) })}
        </div>
      </div>
    </div>
  );
}

function SliceTable({ rows, target, testId, compact }: { rows: Array<{ key: string; name: string; f: FeedbackStatsSlice }>; target: number; testId: string; compact?: boolean }) {
  const t = useT(S);
  return (
    <div class="table-wrap report-table">
      <table data-testid={testId}>
        <thead>
          <tr>
            <th>{t('name')}</th>
            <th>{t('received')}</th>
            <th>{t('handled')}</th>
            {compact ? null : <th class="hide-phone">{t('onTime')}</th>}
            <th>{t('overdue')}</th>
            {compact ? null : <th class="hide-phone">{t('avgAnswer')}</th>}
            {compact ? null : <th class="hide-phone">{t('satisfaction')}</th>}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.key} class={low(r.f.handledShare, target) || r.f.overdue > 0 ? 'row-low' : ''} data-key={r.key} data-received={r.f.received} data-handled={r.f.handled} data-overdue={r.f.overdue}>
              <td class="wrap">{r.name}</td>
              <td>{int(r.f.received)}</td>
              <td>
                <span class={low(r.f.handledShare, target) ? 'cov-low' : r.f.handledShare === null ? 'muted' : 'cov-ok'}>{pct(r.f.handledShare)}</span>
              </td>
              {compact ? null : <td class="hide-phone">{pct(r.f.onTimeShare)}</td>}
              <td>{int(r.f.overdue)}</td>
              {compact ? null : <td class="hide-phone">{hours(r.f.avgAnswerWorkingHours)}</td>}
              {compact ? null : <td class="hide-phone">{pct(r.f.satisfactionShare)}</td>}
            </tr>
          ))}
        </tbody>
      </table>
      <Empty when={rows.length === 0} />
    </div>
  );
}
