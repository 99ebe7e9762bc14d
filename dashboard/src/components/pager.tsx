import { defineStrings, useT } from '../i18n.js';

const S = defineStrings({
  vi: { page: '{a}–{b} / {n}', prev: '‹ Trước', next: 'Sau ›' },
  en: { page: '{a}–{b} of {n}', prev: '‹ Previous', next: 'Next ›' },
});

/** "‹ Trước  1–50 / 180  Sau ›" under a paged list; nothing when everything fits on one page. */
export function Pager({ offset, total, pageSize, onOffset, testId }: { offset: number; total: number; pageSize: number; onOffset: (offset: number) => void; testId: string }) {
  const t = useT(S);
  if (total <= pageSize) return null;
  return (
    <div class="row" style={{ alignItems: 'center', justifyContent: 'flex-end', marginTop: '.5rem' }}>
      <button type="button" disabled={offset === 0} onClick={() => onOffset(Math.max(0, offset - pageSize))}>
        {t('prev')}
      </button>
      <span class="muted small" data-testid={testId}>
        {t('page', { a: offset + 1, b: Math.min(offset + pageSize, total), n: total })}
      </span>
      <button type="button" disabled={offset + pageSize >= total} onClick={() => onOffset(offset + pageSize)}>
        {t('next')}
      </button>
    </div>
  );
}
