import type { TrainingAreaFigures, TrainingReport } from '@loa/shared/rest';
import { download, get } from '../api.js';
import { useT } from '../i18n.js';
import { ActionButton, ErrorBox, Loading, useAsync } from '../ui.js';
import { TRAINING_STRINGS } from './training-strings.js';

const pct = (s: number | null): string => (s === null ? '—' : `${Math.round(s * 1000) / 10}%`);

/** Issue 21: the "Đào tạo" section of the Reports page — the area (a district) and its communes, with exports. */
export function TrainingReportSection({ areaCode }: { areaCode?: string | null }) {
  const t = useT(TRAINING_STRINGS);
  const query = areaCode ? { areaCode } : {};
  const report = useAsync(() => get<TrainingReport>('/api/v1/reports/training', query), [areaCode ?? '']);
  const r = report.data;
  const row = (a: TrainingAreaFigures, total = false) => (
    <tr key={a.areaCode} data-area={a.areaCode} class={total ? 'total' : ''}>
      <td>{total ? `${t('total')} — ${a.areaName}` : a.areaName}</td>
      <td class="num">{a.staff}</td>
      <td class="num">{a.trained}</td>
      <td class="num" data-share={a.share ?? ''}>{pct(a.share)}</td>
    </tr>
  );
  return (
    <section class="card training-report" data-testid="training-report">
      <h3>{t('training')}</h3>
      <p class="muted">{t('trainingIntro')}</p>
      <div class="toolbar">
        <ActionButton onClick={() => download('/api/v1/reports/training.xlsx', 'dao-tao.xlsx', query)} data-testid="training-xlsx">
          XLSX
        </ActionButton>
        <ActionButton onClick={() => download('/api/v1/reports/training.csv', 'dao-tao.csv', query)} data-testid="training-csv">
          CSV
        </ActionButton>
      </div>
      <Loading when={report.loading && !r} />
      <ErrorBox error={report.error} />
      {r ? (
        <div class="table-wrap">
          <table data-testid="training-table">
            <thead>
              <tr>
                <th>{t('area')}</th>
                <th class="num">{t('staff')}</th>
                <th class="num">{t('trained')}</th>
                <th class="num">
                  {t('share')} ({t('target')} {pct(r.target)})
                </th>
              </tr>
            </thead>
            <tbody>
              {row(r.root, true)}
              {r.children.map((c) => row(c))}
            </tbody>
          </table>
        </div>
      ) : null}
    </section>
  );
}
