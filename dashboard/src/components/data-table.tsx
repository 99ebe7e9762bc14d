/**
 * A sortable table that turns into cards on a phone (issue 19), for the lists that were near-copies across pages.
 *
 *   <DataTable rows={items} rowKey={(r) => r.id} columns={[
 *     { key: 'name', label: t('device'), render: (r) => r.name, sort: (a, b) => a.name.localeCompare(b.name), phone: 'title' },
 *     { key: 'state', label: t('state'), render: (r) => <Badge …/> },
 *     { key: 'at', label: t('delivered'), render: (r) => fmt(r.at), phone: 'hide' },
 *   ]} />
 *
 * Rows stay in the order given until a sortable header is clicked (asc, then desc, then the given order again): a
 * server's "failures first" is the default view. On a phone (≤ 760 px) each row is a card: the `title` column on
 * top, the others as "label: value" lines; `hide` columns are left out there. All layout is CSS (styles.css,
 * "data-table"), so the markup is the same table at every width and tests select the same rows.
 */
import type { ComponentChildren, JSX } from 'preact';
import { useMemo, useState } from 'preact/hooks';

export interface Column<T> {
  key: string;
  label: string;
  render: (row: T) => ComponentChildren;
  /** Makes the header a sort button. */
  sort?: (a: T, b: T) => number;
  /** On a phone: `title` heads the card (no label), `hide` is left out; default: a labelled line. */
  phone?: 'title' | 'hide';
  /** Extra class of the cells (`wrap` lets long text wrap). */
  class?: string;
}

export interface DataTableProps<T> {
  rows: readonly T[];
  columns: ReadonlyArray<Column<T>>;
  rowKey: (row: T) => string;
  /** Attributes of each row (data-testid, data-*, class). */
  rowProps?: (row: T) => JSX.HTMLAttributes<HTMLTableRowElement> & Record<`data-${string}`, string | number | boolean | undefined>;
  onRowClick?: (row: T) => void;
  /** Shown instead of an empty body. */
  empty?: ComponentChildren;
  testId?: string;
  /** Caption for screen readers (the table's purpose). */
  caption?: string;
}

type SortState = { key: string; dir: 1 | -1 } | null;

export function DataTable<T>({ rows, columns, rowKey, rowProps, onRowClick, empty, testId, caption }: DataTableProps<T>) {
  const [sort, setSort] = useState<SortState>(null);
  const sorted = useMemo(() => {
    const col = sort ? columns.find((c) => c.key === sort.key) : undefined;
    if (!sort || !col?.sort) return rows;
    const by = col.sort;
    return [...rows].sort((a, b) => by(a, b) * sort.dir);
  }, [rows, columns, sort]);
  const next = (key: string) => setSort((s) => (!s || s.key !== key ? { key, dir: 1 } : s.dir === 1 ? { key, dir: -1 } : null));

  return (
    <div class="table-wrap data-table-wrap">
      <table class="data-table" data-testid={testId}>
        {caption ? <caption class="visually-hidden">{caption}</caption> : null}
        <thead>
          <tr>
            {columns.map((c) => {
              const dir = sort?.key === c.key ? sort.dir : 0;
              return (
                <th key={c.key} class={[c.sort ? 'sortable' : '', c.phone === 'hide' ? 'hide-phone' : '', c.class ?? ''].join(' ').trim() || undefined} aria-sort={dir === 1 ? 'ascending' : dir === -1 ? 'descending' : undefined}>
                  {c.sort ? (
                    <button type="button" class="th-sort" data-testid={`sort-${c.key}`} onClick={() => next(c.key)}>
                      {c.label}
                      <span aria-hidden="true">{dir === 1 ? ' ▲' : dir === -1 ? ' ▼' : ''}</span>
                    </button>
                  ) : (
                    c.label
                  )}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {sorted.map((r) => {
            const extra = rowProps?.(r) ?? {};
            const cls = [extra.class as string | undefined, onRowClick ? 'clickable' : ''].join(' ').trim();
            return (
              <tr key={rowKey(r)} {...extra} class={cls || undefined} onClick={onRowClick ? () => onRowClick(r) : undefined}>
                {columns.map((c) => (
                  <td key={c.key} data-label={c.phone === 'title' ? undefined : c.label} class={[c.phone === 'title' ? 'dt-title' : '', c.phone === 'hide' ? 'hide-phone' : '', c.class ?? ''].join(' ').trim() || undefined}>
                    {c.render(r)}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
      {rows.length === 0 && empty ? <div class="muted data-table-empty">{empty}</div> : null}
    </div>
  );
}
