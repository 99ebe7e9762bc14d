/**
 * Results by area (issue 19): one row per area with "played N / M", % played as a bar and failures — the same view
 * for an alert (alert-detail.tsx) and a schedule's delivery matrix (delivery-matrix.tsx), which were near-copies.
 * Rows come in the caller's order (failures first from the server); headers sort. On a phone each area is a card.
 *
 * `onSelect` makes a row pick the area (e.g. filter the device list below); `onOpen` adds a "one level down" button
 * to rows that have areas below them (`drillable`).
 */
import { defineStrings, useT } from '../i18n.js';
import { Badge } from '../ui.js';
import { DataTable, type Column } from './data-table.js';

export interface AreaResultRow {
  areaCode: string;
  name: string;
  total: number;
  delivered: number;
  played: number;
  failed: number;
  /** Devices placed in this area itself, above the grouping level. */
  own?: boolean;
  /** Has areas below it: `onOpen` can list them. */
  drillable?: boolean;
}

const S = defineStrings({
  vi: {
    area: 'Địa bàn',
    played: 'Đã phát',
    pct: '% đã phát',
    failed: 'Lỗi',
    delivered: 'Đã nhận',
    own: 'thiết bị đặt tại đây',
    open: 'Xem cấp dưới ›',
    none: 'Chưa có thiết bị nào.',
  },
  en: {
    area: 'Area',
    played: 'Played',
    pct: '% played',
    failed: 'Failed',
    delivered: 'Delivered',
    own: 'devices placed here',
    open: 'One level down ›',
    none: 'No device yet.',
  },
});

/** Whole percent, 0 when nothing was meant for anyone (an empty area is not "100 % played"). */
export const pctOf = (n: number, of: number): number => (of > 0 ? Math.floor((Math.min(n, of) / of) * 100) : 0);

export interface ResultsByAreaProps<R extends AreaResultRow> {
  rows: readonly R[];
  /** Pick an area (filter what is below); the picked one is marked. */
  onSelect?: (row: R) => void;
  selected?: string | null;
  /** List the areas below a drillable row. */
  onOpen?: (row: R) => void;
  /** The label of the area column (e.g. "Xã"), default "Địa bàn". */
  areaLabel?: string;
  testId?: string;
  /** data-testid of each row (kept per page so existing tests select the same rows). */
  rowTestId?: string;
}

export function ResultsByArea<R extends AreaResultRow>({ rows, onSelect, selected, onOpen, areaLabel, testId = 'area-results', rowTestId = 'area-result-row' }: ResultsByAreaProps<R>) {
  const t = useT(S);
  const columns: Array<Column<R>> = [
    {
      key: 'name',
      label: areaLabel ?? t('area'),
      phone: 'title',
      class: 'wrap',
      sort: (a, b) => a.name.localeCompare(b.name, 'vi'),
      render: (r) => (
        <span style={{ display: 'flex', flexWrap: 'wrap', gap: '.3rem .6rem', alignItems: 'baseline', justifyContent: 'space-between' }}>
          <span>
            {r.name}
            {r.own ? <span class="muted small"> · {t('own')}</span> : null}
          </span>
          {onOpen && r.drillable ? (
            <button
              type="button"
              class="ghost small"
              data-testid="area-open"
              style={{ minHeight: '30px', padding: '.1rem .5rem' }}
              onClick={(e) => {
                e.stopPropagation();
                onOpen(r);
              }}
            >
              {t('open')}
            </button>
          ) : null}
        </span>
      ),
    },
    { key: 'played', label: t('played'), render: (r) => <span style={{ fontVariantNumeric: 'tabular-nums' }}>{r.played}/{r.total}</span> },
    {
      key: 'pct',
      label: t('pct'),
      sort: (a, b) => pctOf(a.played, a.total) - pctOf(b.played, b.total),
      render: (r) => {
        const pct = pctOf(r.played, r.total);
        return (
          <div class={`result-pct${r.failed > 0 ? ' result-fail' : ''}`}>
            <b>{pct}%</b>
            <div class="alert-area-bar" aria-hidden="true">
              <span style={{ width: `${pct}%` }} />
            </div>
          </div>
        );
      },
    },
    { key: 'failed', label: t('failed'), sort: (a, b) => b.failed - a.failed, render: (r) => (r.failed > 0 ? <Badge tone="bad">{r.failed}</Badge> : '0') },
    { key: 'delivered', label: t('delivered'), phone: 'hide', render: (r) => r.delivered },
  ];
  return (
    <DataTable
      testId={testId}
      rows={rows}
      columns={columns}
      rowKey={(r) => r.areaCode}
      empty={t('none')}
      onRowClick={onSelect}
      rowProps={(r) => ({
        'data-testid': rowTestId,
        'data-area-code': r.areaCode,
        'data-played': r.played,
        'data-total': r.total,
        'data-failed': r.failed,
        'data-pct': pctOf(r.played, r.total),
        'data-selected': selected === r.areaCode ? 'true' : undefined,
        'aria-selected': selected === r.areaCode ? true : undefined,
        class: [r.failed > 0 ? 'row-low' : '', selected === r.areaCode ? 'row-selected' : ''].join(' ').trim() || undefined,
      })}
    />
  );
}
