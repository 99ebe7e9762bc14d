/**
 * Reports (issue 16): the KH 179 coverage of an area for a month, quarter, year or date range, its child areas
 * worst first, drilled down area → commune → device → the occurrences behind a device's figure; the breakdowns by
 * priority and category; the downloads a district sends upward (XLSX, the playout log as XLSX or CSV) and the
 * printable report. Everything the page shows is in the URL, so a link or a reload shows the same report.
 */
import type { AreaView, CoverageFigures, CoverageReport, CoverageRow, DeviceCoverage, PlayoutLogPage } from '@loa/shared/rest';
import { useState } from 'preact/hooks';
import type { PageProps } from '../app.js';
import { download, get } from '../api.js';
import { BarChart } from '../components/bar-chart.js';
import { fmtDateTime, fmtDuration } from '../format.js';
import { DateField } from '../components/date-time-field.js';
import { useT } from '../i18n.js';
import { href, navigate } from '../router.js';
import { ActionButton, Badge, Empty, ErrorBox, Field, Loading, PageHeader, toneOf, useAreas, useAsync } from '../ui.js';
import { WORDS } from './schedule-common.js';
import { PrintReport } from './reports-print.js';
import { FeedbackReport, ReportTabs } from './reports-feedback.js';
import { TrainingReportSection } from '../training/training-report.js';
import {
  coverageQuery,
  int,
  levelName,
  minutes,
  pct,
  periodQuery,
  periodTitle,
  REPORT_STRINGS,
  routeQuery,
  selectionOf,
  seriesBars,
  short,
  sortRows,
  type PeriodKind,
  type ReportSelection,
  type SortKey,
} from './reports-common.js';

export function ReportsPage(props: PageProps) {
  const sub = props.route.parts[1];
  if (sub === 'print') return <PrintReport {...props} />;
  if (sub === 'feedback') return <FeedbackReport {...props} />;
  if (sub === 'device' && props.route.parts[2]) return <DeviceReport {...props} deviceId={props.route.parts[2]} />;
  return <CoverageOverview {...props} />;
}

const go = (s: ReportSelection, path = '/reports') => navigate(path, routeQuery(s));

/** The period picker, the area picker (within the reader's scope) and the essential-only switch. */
export function Filters({ sel, showArea = true, path = '/reports', showEssential = true }: { sel: ReportSelection; showArea?: boolean; path?: string; showEssential?: boolean }) {
  const t = useT(REPORT_STRINGS);
  const areas = useAreas();
  const set = (patch: Partial<ReportSelection>) => go({ ...sel, ...patch }, path);
  const value = (e: Event) => (e.target as HTMLInputElement).value;
  const year = Number(sel.quarter.slice(0, 4)) || new Date().getFullYear();
  return (
    <div class="filters report-filters" data-testid="report-filters">
      <Field label={t('period')}>
        <select value={sel.kind} data-testid="report-period-kind" onChange={(e) => set({ kind: value(e) as PeriodKind })}>
          <option value="month">{t('month')}</option>
          <option value="quarter">{t('quarter')}</option>
          <option value="year">{t('year')}</option>
          <option value="range">{t('range')}</option>
        </select>
      </Field>
      {sel.kind === 'month' ? (
        <Field label={t('month')}>
          <input type="month" value={sel.month} data-testid="report-month" onChange={(e) => value(e) && set({ month: value(e) })} />
        </Field>
      ) : null}
      {sel.kind === 'quarter' ? (
        <Field label={t('quarter')}>
          <span class="row-inline">
            <select value={sel.quarter.slice(5)} data-testid="report-quarter" onChange={(e) => set({ quarter: `${year}-${value(e)}` })}>
              {['Q1', 'Q2', 'Q3', 'Q4'].map((q) => (
                <option key={q} value={q}>
                  {q}
                </option>
              ))}
            </select>
            <input type="number" min={2000} max={2999} value={year} class="year-input" onChange={(e) => value(e).length === 4 && set({ quarter: `${value(e)}-${sel.quarter.slice(5)}` })} />
          </span>
        </Field>
      ) : null}
      {sel.kind === 'year' ? (
        <Field label={t('year')}>
          <input type="number" min={2000} max={2999} value={sel.year} class="year-input" data-testid="report-year" onChange={(e) => value(e).length === 4 && set({ year: value(e) })} />
        </Field>
      ) : null}
      {sel.kind === 'range' ? (
        <>
          <Field label={t('from')}>
            <DateField value={sel.from} data-testid="report-from" onChange={(v) => v && set({ from: v })} />
          </Field>
          <Field label={t('to')}>
            <DateField value={sel.to} data-testid="report-to" onChange={(v) => v && set({ to: v })} />
          </Field>
        </>
      ) : null}
      {showArea ? (
        <Field label={t('area')}>
          <select value={sel.areaCode} data-testid="report-area" onChange={(e) => set({ areaCode: value(e) })}>
            <option value="">{t('ownArea')}</option>
            {areaTree(areas).map((o) => (
              <option key={o.code} value={o.code}>
                {o.label}
              </option>
            ))}
          </select>
        </Field>
      ) : null}
      {showEssential ? (
        <label class="check">
          <input type="checkbox" checked={sel.essential} data-testid="report-essential" onChange={(e) => set({ essential: (e.target as HTMLInputElement).checked })} /> {t('essential')}
        </label>
      ) : null}
    </div>
  );
}

/** Areas above the commune level (and communes): villages have no breakdown of their own worth picking. */
function areaTree(areas: AreaView[]): Array<{ code: string; label: string }> {
  const sorted = [...areas].filter((a) => a.level !== 'village').sort((a, b) => a.path.localeCompare(b.path));
  const depth = (a: AreaView) => a.path.split('/').filter(Boolean).length;
  const min = Math.min(...sorted.map(depth));
  return sorted.map((a) => ({ code: a.code, label: `${'\u00a0\u00a0'.repeat(depth(a) - min)}${a.name}` }));
}

/** From the reader's own area down to `code`, for the breadcrumbs (only the areas the reader can see). */
function chainOf(areas: AreaView[], code: string | null): AreaView[] {
  const byCode = new Map(areas.map((a) => [a.code, a]));
  const out: AreaView[] = [];
  let cur = code === null ? undefined : byCode.get(code);
  while (cur && out.length < 10) {
    out.unshift(cur);
    cur = cur.parentCode === null ? undefined : byCode.get(cur.parentCode);
  }
  return out;
}

function Breadcrumbs({ sel, code, tail }: { sel: ReportSelection; code: string | null; tail?: string }) {
  const t = useT(REPORT_STRINGS);
  const areas = useAreas();
  const chain = chainOf(areas, code);
  return (
    <nav class="crumbs" data-testid="report-crumbs" aria-label="breadcrumbs">
      <a href={href(`/reports?${new URLSearchParams(clean(routeQuery({ ...sel, areaCode: '' }))).toString()}`)}>{t('ownArea')}</a>
      {chain.map((a, i) => (
        <span key={a.code}>
          {' › '}
          {i === chain.length - 1 && tail === undefined ? (
            <strong>{a.name}</strong>
          ) : (
            <a href={href(`/reports?${new URLSearchParams(clean(routeQuery({ ...sel, areaCode: a.code }))).toString()}`)} data-crumb={a.code}>
              {a.name}
            </a>
          )}
        </span>
      ))}
      {tail !== undefined ? (
        <span>
          {' › '}
          <strong>{tail}</strong>
        </span>
      ) : null}
    </nav>
  );
}

const clean = (q: Record<string, string | undefined>): Record<string, string> => Object.fromEntries(Object.entries(q).filter((e): e is [string, string] => e[1] !== undefined));

/** The six figures an officer is asked for. */
function Kpis({ f, testId = 'report-kpis' }: { f: CoverageFigures; testId?: string }) {
  const t = useT(REPORT_STRINGS);
  return (
    <div class="cards kpis" data-testid={testId} data-coverage={f.coverage ?? ''}>
      <div class={`stat ${short(f) ? 'stat-low' : ''}`} data-kpi="coverage">
        <div class="value">{pct(f.coverage)}</div>
        <div class="label">
          {t('coverage')} · {int(f.played)}/{int(f.due)}
        </div>
      </div>
      <div class="stat" data-kpi="onTime">
        <div class="value">{pct(f.onTimeRate)}</div>
        <div class="label">{t('onTime')}</div>
      </div>
      <div class="stat" data-kpi="aired">
        <div class="value">{minutes(f)}</div>
        <div class="label">{t('aired')}</div>
      </div>
      <div class="stat" data-kpi="availability">
        <div class="value">{pct(f.availability)}</div>
        <div class="label">
          {t('availability')} · {int(f.devices)} {t('devices').toLowerCase()}
        </div>
      </div>
      <div class="stat" data-kpi="failures">
        <div class="value">{int(f.failed)}</div>
        <div class="label">{t('failures')}</div>
      </div>
      <div class="stat" data-kpi="alarms">
        <div class="value">{int(f.alarms)}</div>
        <div class="label">{t('alarms')}</div>
      </div>
    </div>
  );
}

function coverageCell(f: CoverageFigures) {
  return <span class={short(f) ? 'cov-low' : f.coverage === null ? 'muted' : 'cov-ok'}>{pct(f.coverage)}</span>;
}

/** The child areas (or a commune's devices), sortable, worst first; a click drills down. */
function RowsTable({ sel, rows }: { sel: ReportSelection; rows: CoverageRow[] }) {
  const t = useT(REPORT_STRINGS);
  const [sort, setSort] = useState<{ key: SortKey; asc: boolean }>({ key: 'coverage', asc: true });
  const sorted = sortRows(rows, sort.key, sort.asc);
  const head = (key: SortKey, label: string, cls = '') => (
    <th class={`sortable ${cls}`} aria-sort={sort.key === key ? (sort.asc ? 'ascending' : 'descending') : 'none'} onClick={() => setSort({ key, asc: sort.key === key ? !sort.asc : key === 'name' || key === 'coverage' || key === 'availability' || key === 'onTimeRate' })} data-sort={key}>
      {label}
      {sort.key === key ? (sort.asc ? ' ▲' : ' ▼') : ''}
    </th>
  );
  const open = (r: CoverageRow) => (r.kind === 'device' ? go(sel, `/reports/device/${encodeURIComponent(r.key)}`) : go({ ...sel, areaCode: r.key }));
  return (
    <div class="table-wrap report-table">
      <table data-testid="report-rows">
        <thead>
          <tr>
            {head('name', t('name'))}
            {head('coverage', t('coverage'))}
            {head('due', t('due'), 'hide-phone')}
            <th class="hide-phone">{t('played')}</th>
            {head('onTimeRate', t('onTime'), 'hide-phone')}
            {head('availability', t('availability'), 'hide-phone')}
            {head('failed', t('failures'))}
          </tr>
        </thead>
        <tbody>
          {sorted.map((r) => (
            <tr
              key={r.key}
              class={`clickable ${short(r.figures) ? 'row-low' : ''}`}
              onClick={() => open(r)}
              data-testid="report-row"
              data-kind={r.kind}
              data-key={r.key}
              data-coverage={r.figures.coverage ?? ''}
            >
              <td class="wrap">
                <a
                  href={href(r.kind === 'device' ? `/reports/device/${encodeURIComponent(r.key)}` : `/reports?${new URLSearchParams(clean(routeQuery({ ...sel, areaCode: r.key }))).toString()}`)}
                  onClick={(e) => e.stopPropagation()}
                >
                  {r.name}
                </a>
                <div class="muted small">{levelName(r.level)}</div>
              </td>
              <td>
                {coverageCell(r.figures)}
                <div class="muted small show-phone">
                  {int(r.figures.played)}/{int(r.figures.due)}
                </div>
              </td>
              <td class="hide-phone">{int(r.figures.due)}</td>
              <td class="hide-phone">{int(r.figures.played)}</td>
              <td class="hide-phone">{pct(r.figures.onTimeRate)}</td>
              <td class="hide-phone">{pct(r.figures.availability)}</td>
              <td>{int(r.figures.failed)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Empty when={rows.length === 0} />
    </div>
  );
}

function BreakdownTable({ rows, label, testId }: { rows: Array<{ name: string; figures: CoverageFigures; key: string }>; label: string; testId: string }) {
  const t = useT(REPORT_STRINGS);
  return (
    <div class="table-wrap report-table">
      <table data-testid={testId}>
        <thead>
          <tr>
            <th>{label}</th>
            <th>{t('coverage')}</th>
            <th>{t('due')}</th>
            <th class="hide-phone">{t('played')}</th>
            <th class="hide-phone">{t('onTime')}</th>
            <th class="hide-phone">{t('aired')}</th>
            <th>{t('failures')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.key} class={short(r.figures) ? 'row-low' : ''} data-key={r.key}>
              <td class="wrap">{r.name}</td>
              <td>{coverageCell(r.figures)}</td>
              <td>{int(r.figures.due)}</td>
              <td class="hide-phone">{int(r.figures.played)}</td>
              <td class="hide-phone">{pct(r.figures.onTimeRate)}</td>
              <td class="hide-phone">{minutes(r.figures)}</td>
              <td>{int(r.figures.failed)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Empty when={rows.length === 0} />
    </div>
  );
}

export function FailuresTable({ rows }: { rows: CoverageReport['failuresByReason'] }) {
  const t = useT(REPORT_STRINGS);
  return (
    <div class="table-wrap report-table">
      <table data-testid="report-failures">
        <thead>
          <tr>
            <th>{t('reason')}</th>
            <th>{t('count')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.reason} data-reason={r.reason}>
              <td class="wrap">{r.label}</td>
              <td>{int(r.count)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <Empty when={rows.length === 0} />
    </div>
  );
}

/** The log's query for a selection: its period and subtree. */
const logQuery = (sel: ReportSelection, areaCode?: string | null) => ({ ...periodQuery(sel), areaCode: (areaCode ?? sel.areaCode) || undefined });

function Downloads({ sel, showCoverage = true, areaCode, deviceId }: { sel: ReportSelection; showCoverage?: boolean; areaCode?: string | null; deviceId?: string }) {
  const t = useT(REPORT_STRINGS);
  const log = { ...logQuery(sel, areaCode), deviceId };
  return (
    <>
      {showCoverage ? (
        <ActionButton onClick={() => download('/api/v1/reports/coverage.xlsx', 'bao-cao.xlsx', coverageQuery(sel))} data-testid="report-xlsx">
          {t('xlsx')}
        </ActionButton>
      ) : null}
      <ActionButton onClick={() => download('/api/v1/reports/playout-log.xlsx', 'nhat-ky-phat-thanh.xlsx', log)} data-testid="report-log-xlsx">
        {t('logXlsx')}
      </ActionButton>
      <ActionButton onClick={() => download('/api/v1/reports/playout-log.csv', 'nhat-ky-phat-thanh.csv', log)} data-testid="report-log-csv">
        {t('logCsv')}
      </ActionButton>
      {showCoverage ? (
        <a class="button" href={href(`/reports/print?${new URLSearchParams(clean(routeQuery(sel))).toString()}`)} data-testid="report-print">
          {t('print')}
        </a>
      ) : null}
    </>
  );
}

function CoverageOverview({ route }: PageProps) {
  const t = useT(REPORT_STRINGS);
  const w = useT(WORDS);
  const sel = selectionOf(route);
  const key = JSON.stringify(coverageQuery(sel));
  const report = useAsync(() => get<CoverageReport>('/api/v1/reports/coverage', coverageQuery(sel)), [key]);
  const r = report.data;
  const devices = r?.rows.some((x) => x.kind === 'device') ?? false;
  return (
    <div class="reports" data-testid="reports-page">
      <PageHeader title={`${t('title')} — ${periodTitle(sel)}`}>
        <Downloads sel={sel} />
      </PageHeader>
      <ReportTabs sel={sel} active="coverage" />
      <Filters sel={sel} />
      {r ? <Breadcrumbs sel={sel} code={r.area.code} /> : null}
      <Loading when={report.loading && !r} />
      <ErrorBox error={report.error} />
      {r ? (
        <div data-testid="report-loaded" data-area={r.area.code ?? ''} data-period={r.period.label}>
          <h2>
            {r.area.name} <span class="muted small">{levelName(r.area.level)}</span>
          </h2>
          <Kpis f={r.totals} />
          <section class="card">
            <h3>{r.series.some((p) => p.date.length === 7) ? t('byMonth') : t('byDay')}</h3>
            <BarChart bars={seriesBars(r)} testId="report-chart" emptyText={t('noDue')} format={(v) => `${Math.round(v * 100)}%`} />
          </section>
          <h3>{devices ? t('byDevice') : t('byArea')}</h3>
          <RowsTable sel={sel} rows={r.rows} />
          <div class="report-columns">
            <section>
              <h3>{t('byPriority')}</h3>
              <BreakdownTable testId="report-by-priority" label={t('priority')} rows={r.byPriority.map((p) => ({ key: p.priority, name: w(`p_${p.priority}` as Parameters<typeof w>[0]), figures: p.figures }))} />
            </section>
            <section>
              <h3>{t('byCategory')}</h3>
              <BreakdownTable
                testId="report-by-category"
                label={t('category')}
                rows={r.byCategory.map((c) => ({ key: c.category ?? '', name: `${c.category === null ? t('uncategorised') : c.name}${c.essential ? ' ★' : ''}`, figures: c.figures }))}
              />
            </section>
          </div>
          <h3>{t('failuresByReason')}</h3>
          <FailuresTable rows={r.failuresByReason} />
        </div>
      ) : null}
      {/* Issue 21: staff trained per area, against KH 179's 100%. */}
      <TrainingReportSection areaCode={sel.areaCode || null} />
    </div>
  );
}

/** One device: its figures, its days, and the occurrences behind them (the playout log filtered to it). */
function DeviceReport({ route, deviceId }: PageProps & { deviceId: string }) {
  const t = useT(REPORT_STRINGS);
  const w = useT(WORDS);
  const sel = selectionOf(route);
  const key = JSON.stringify([deviceId, periodQuery(sel)]);
  const cov = useAsync(() => get<DeviceCoverage>(`/api/v1/reports/coverage/devices/${encodeURIComponent(deviceId)}`, { ...periodQuery(sel), category: sel.essential ? 'essential' : undefined }), [key, sel.essential]);
  const d = cov.data;
  const LIMIT = 500;
  const log = useAsync(
    // Narrowed to the device's area so that even a server without the deviceId filter returns few other rows.
    async () => (d ? get<PlayoutLogPage>('/api/v1/reports/playout-log', { ...logQuery(sel, d.device.areaCode), deviceId, limit: LIMIT }) : null),
    [key, d?.device.areaCode ?? null],
  );
  const rows = (log.data?.items ?? []).filter((x) => x.deviceId === deviceId);
  return (
    <div class="reports" data-testid="report-device" data-device-id={deviceId}>
      <PageHeader title={`${t('device')} ${d?.device.name ?? deviceId} — ${periodTitle(sel)}`}>
        <Downloads sel={sel} showCoverage={false} areaCode={d?.device.areaCode ?? null} deviceId={deviceId} />
      </PageHeader>
      <Filters sel={sel} showArea={false} />
      <Breadcrumbs sel={sel} code={d?.device.areaCode ?? null} tail={d?.device.name ?? deviceId} />
      <Loading when={cov.loading && !d} />
      <ErrorBox error={cov.error} />
      {d ? (
        <>
          <Kpis f={d.totals} testId="device-kpis" />
          <section class="card">
            <h3>{d.series.some((p) => p.date.length === 7) ? t('byMonth') : t('byDay')}</h3>
            <BarChart bars={seriesBars(d)} testId="device-chart" emptyText={t('noDue')} />
          </section>
          <h3>{t('failuresByReason')}</h3>
          <FailuresTable rows={d.failuresByReason} />
        </>
      ) : null}
      <h3>{t('occurrences')}</h3>
      <ErrorBox error={log.error} />
      <div class="table-wrap report-table">
        <table data-testid="device-occurrences">
          <thead>
            <tr>
              <th>{t('scheduled')}</th>
              <th class="wrap">{t('content')}</th>
              <th>{t('result')}</th>
              <th class="hide-phone">{t('started')}</th>
              <th class="hide-phone">{t('playedFor')}</th>
              <th class="wrap">{t('reason')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((o) => (
              <tr key={`${o.occurrenceId}/${o.deviceId}`} data-testid="device-occurrence" data-state={o.state} data-occurrence-id={o.occurrenceId}>
                <td>{fmtDateTime(o.scheduledStart)}</td>
                <td class="wrap">{o.contentTitle ?? '—'}</td>
                <td>
                  <Badge tone={toneOf(o.state)}>{w(`d_${o.state}` as Parameters<typeof w>[0])}</Badge>
                </td>
                <td class="hide-phone">{fmtDateTime(o.startedAt)}</td>
                <td class="hide-phone">{fmtDuration(o.playedSeconds === null ? null : o.playedSeconds * 1000)}</td>
                <td class="wrap">{o.reason ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
        <Empty when={!log.loading && rows.length === 0} />
      </div>
      {log.data?.nextCursor ? <p class="muted small">{t('moreRows')}</p> : null}
    </div>
  );
}
