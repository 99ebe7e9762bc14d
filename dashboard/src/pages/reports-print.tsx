/**
 * The printable monthly report (issue 16): one A4 page a commune or district signs and sends upward. The same
 * figures as the Reports page (the same API), laid out as an administrative report: the national heading, the
 * title with period and area, the totals, the child areas worst first, failures by reason and the signature block.
 * The print stylesheet (styles.css, "Reports" section) drops the dashboard's chrome.
 */
import type { CoverageReport } from '@loa/shared/rest';
import type { PageProps } from '../app.js';
import { get } from '../api.js';
import { useT } from '../i18n.js';
import { href } from '../router.js';
import { ErrorBox, Loading, useAsync } from '../ui.js';
import { coverageQuery, int, levelName, minutes, pct, periodTitle, REPORT_STRINGS, routeQuery, selectionOf, short, sortRows } from './reports-common.js';

export function PrintReport({ route }: PageProps) {
  const t = useT(REPORT_STRINGS);
  const sel = selectionOf(route);
  const key = JSON.stringify(coverageQuery(sel));
  const report = useAsync(() => get<CoverageReport>('/api/v1/reports/coverage', coverageQuery(sel)), [key]);
  const r = report.data;
  const back = new URLSearchParams(Object.entries(routeQuery(sel)).filter((e): e is [string, string] => e[1] !== undefined)).toString();
  return (
    <div class="print-report" data-testid="report-print-view">
      <div class="no-print print-actions">
        <a class="button" href={href(`/reports?${back}`)}>
          ← {t('back')}
        </a>
        <button type="button" class="primary" onClick={() => window.print()} data-testid="report-print-now">
          {t('printNow')}
        </button>
      </div>
      <Loading when={report.loading && !r} />
      <ErrorBox error={report.error} />
      {r ? (
        <article class="a4" data-testid="report-print-loaded" data-area={r.area.code ?? ''}>
          <header class="print-heading">
            <div class="print-unit">
              <strong>{r.area.name.toUpperCase()}</strong>
            </div>
            <div class="print-nation">
              <strong>{t('nationalTitle')}</strong>
              <div class="motto">{t('nationalMotto')}</div>
            </div>
          </header>
          <h1 class="print-title" data-testid="report-print-title">
            {t('printTitle')} — {periodTitle(sel)} — {r.area.name}
          </h1>
          {sel.essential ? <p class="print-sub">{t('essential')}</p> : null}

          <h2>{t('totals')}</h2>
          <table class="print-table" data-testid="report-print-totals">
            <tbody>
              <tr>
                <th>{t('due')}</th>
                <td>{int(r.totals.due)}</td>
                <th>{t('played')}</th>
                <td>{int(r.totals.played)}</td>
              </tr>
              <tr>
                <th>{t('coverage')}</th>
                <td>
                  <strong>{pct(r.totals.coverage)}</strong>
                </td>
                <th>{t('onTime')}</th>
                <td>{pct(r.totals.onTimeRate)}</td>
              </tr>
              <tr>
                <th>{t('aired')}</th>
                <td>{minutes(r.totals)}</td>
                <th>{t('availability')}</th>
                <td>{pct(r.totals.availability)}</td>
              </tr>
              <tr>
                <th>{t('failures')}</th>
                <td>{int(r.totals.failed)}</td>
                <th>{t('alarms')}</th>
                <td>{int(r.totals.alarms)}</td>
              </tr>
            </tbody>
          </table>

          <h2>{t('children')}</h2>
          <table class="print-table" data-testid="report-print-rows">
            <thead>
              <tr>
                <th>#</th>
                <th>{t('name')}</th>
                <th>{t('due')}</th>
                <th>{t('played')}</th>
                <th>{t('coverage')}</th>
                <th>{t('onTime')}</th>
                <th>{t('availability')}</th>
                <th>{t('failures')}</th>
              </tr>
            </thead>
            <tbody>
              {sortRows(r.rows, 'coverage', true).map((row, i) => (
                <tr key={row.key} class={short(row.figures) ? 'row-low' : ''} data-key={row.key}>
                  <td>{i + 1}</td>
                  <td>
                    {row.name} <span class="muted small">{levelName(row.level)}</span>
                  </td>
                  <td class="num">{int(row.figures.due)}</td>
                  <td class="num">{int(row.figures.played)}</td>
                  <td class="num">{pct(row.figures.coverage)}</td>
                  <td class="num">{pct(row.figures.onTimeRate)}</td>
                  <td class="num">{pct(row.figures.availability)}</td>
                  <td class="num">{int(row.figures.failed)}</td>
                </tr>
              ))}
            </tbody>
          </table>

          <h2>{t('failuresByReason')}</h2>
          <table class="print-table" data-testid="report-print-failures">
            <thead>
              <tr>
                <th>{t('reason')}</th>
                <th>{t('count')}</th>
              </tr>
            </thead>
            <tbody>
              {r.failuresByReason.map((f) => (
                <tr key={f.reason}>
                  <td>{f.label}</td>
                  <td class="num">{int(f.count)}</td>
                </tr>
              ))}
              {r.failuresByReason.length === 0 ? (
                <tr>
                  <td colSpan={2}>—</td>
                </tr>
              ) : null}
            </tbody>
          </table>

          <p class="print-date">{t('placeDate')}</p>
          <div class="signatures" data-testid="report-print-signatures">
            <div>
              <strong>{t('preparer')}</strong>
              <div class="sign-hint">{t('signHint')}</div>
            </div>
            <div>
              <strong>{t('head')}</strong>
              <div class="sign-hint">{t('signSealHint')}</div>
            </div>
          </div>
        </article>
      ) : null}
    </div>
  );
}
