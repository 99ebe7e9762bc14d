/**
 * The installation's pronunciation dictionary (issue 19 item 9): words and abbreviations the speech synthesis must
 * read a particular way (local place names, new acronyms). Administrators only; every bulletin and every
 * "Xem cách đọc" applies it before the built-in rules.
 */
import { useState } from 'preact/hooks';
import type { TtsDictionaryEntryView } from '@loa/shared/rest';
import type { PageProps } from '../app.js';
import { del, get, patch, post } from '../api.js';
import { fmtDateTime } from '../format.js';
import { defineStrings, useCommon, useT } from '../i18n.js';
import { ActionButton, Badge, Empty, ErrorBox, Field, Loading, PageHeader, useAsync } from '../ui.js';

const S = defineStrings({
  vi: {
    title: 'Từ điển cách đọc',
    intro: 'Các từ, tên riêng, chữ viết tắt mà máy đọc cần đọc theo cách riêng của địa phương. Áp dụng cho mọi bản tin chuyển thành giọng nói, trước các quy tắc sẵn có.',
    rule: 'Khớp nguyên từ. Viết có chữ hoa (VD “KCN”) thì chỉ khớp đúng như viết; viết toàn chữ thường (VD “zalo”) thì khớp mọi kiểu hoa/thường.',
    term: 'Từ hoặc chữ viết tắt',
    termPh: 'VD: KCN',
    spoken: 'Cách đọc',
    spokenPh: 'VD: khu công nghiệp',
    note: 'Ghi chú',
    add: 'Thêm vào từ điển',
    added: 'Đã thêm “{term}”.',
    exact: 'đúng chữ hoa',
    anyCase: 'mọi kiểu chữ',
    confirmDelete: 'Xóa “{term}” khỏi từ điển cách đọc?',
    tryIt: 'Thử cách đọc',
    tryPh: 'Gõ một câu để nghe máy sẽ đọc thế nào',
    tryButton: 'Xem cách đọc',
    readsAs: 'Máy sẽ đọc',
    updated: 'sửa {at}',
    count: '{n} mục',
  },
  en: {
    title: 'Pronunciation dictionary',
    intro: 'Words, names and abbreviations the speech synthesis must read a local way. Applied to every text-to-speech bulletin, before the built-in rules.',
    rule: 'Whole words only. A term with capitals (e.g. “KCN”) matches exactly as written; a term all in lower case (e.g. “zalo”) matches any case.',
    term: 'Word or abbreviation',
    termPh: 'e.g. KCN',
    spoken: 'Read as',
    spokenPh: 'e.g. khu công nghiệp',
    note: 'Note',
    add: 'Add to the dictionary',
    added: 'Added “{term}”.',
    exact: 'exact case',
    anyCase: 'any case',
    confirmDelete: 'Remove “{term}” from the pronunciation dictionary?',
    tryIt: 'Try a reading',
    tryPh: 'Type a sentence to see how it will be read',
    tryButton: 'Preview how it will be read',
    readsAs: 'It will be read as',
    updated: 'changed {at}',
    count: '{n} entries',
  },
});

const value = (e: Event) => (e.target as HTMLInputElement).value;

export function TtsDictionaryPage(_: PageProps) {
  const t = useT(S);
  const c = useCommon();
  const list = useAsync(() => get<TtsDictionaryEntryView[]>('/api/v1/tts/dictionary'), []);
  const [draft, setDraft] = useState({ term: '', spoken: '', note: '' });
  const [added, setAdded] = useState<string | null>(null);
  const [editing, setEditing] = useState<{ id: string; term: string; spoken: string; note: string } | null>(null);
  const [sample, setSample] = useState('');
  const [reading, setReading] = useState<string | null>(null);

  return (
    <div data-testid="tts-dictionary-page">
      <PageHeader title={t('title')} />
      <p class="muted">{t('intro')}</p>
      <form
        class="card"
        data-testid="dict-form"
        onSubmit={(e) => e.preventDefault()}
      >
        <div class="row">
          <Field label={t('term')}>
            <input data-testid="dict-term" value={draft.term} maxLength={100} placeholder={t('termPh')} onInput={(e) => setDraft({ ...draft, term: value(e) })} />
          </Field>
          <Field label={t('spoken')}>
            <input data-testid="dict-spoken" value={draft.spoken} maxLength={300} placeholder={t('spokenPh')} onInput={(e) => setDraft({ ...draft, spoken: value(e) })} />
          </Field>
          <Field label={t('note')}>
            <input data-testid="dict-note" value={draft.note} maxLength={200} onInput={(e) => setDraft({ ...draft, note: value(e) })} />
          </Field>
        </div>
        <p class="muted small">{t('rule')}</p>
        <ActionButton
          class="primary"
          data-testid="dict-add"
          disabled={!draft.term.trim() || !draft.spoken.trim()}
          onClick={async () => {
            const made = await post<TtsDictionaryEntryView>('/api/v1/tts/dictionary', { term: draft.term, spoken: draft.spoken, note: draft.note.trim() || null });
            setDraft({ term: '', spoken: '', note: '' });
            setAdded(made.term);
            list.set((prev) => [...(prev ?? []), made].sort((a, b) => (a.term < b.term ? -1 : 1)));
          }}
        >
          + {t('add')}
        </ActionButton>
        {added ? (
          <p class="ok" data-testid="dict-added">
            {t('added', { term: added })}
          </p>
        ) : null}
      </form>

      <section class="card">
        <h2>{t('tryIt')}</h2>
        <Field label={t('tryIt')}>
          <textarea data-testid="dict-sample" rows={2} value={sample} placeholder={t('tryPh')} onInput={(e) => setSample((e.target as HTMLTextAreaElement).value)} />
        </Field>
        <ActionButton
          data-testid="dict-try"
          disabled={!sample.trim()}
          onClick={async () => setReading((await post<{ normalizedText: string }>('/api/v1/tts/preview-text', { text: sample.trim() })).normalizedText)}
        >
          {t('tryButton')}
        </ActionButton>
        {reading !== null ? (
          <p data-testid="dict-reading" style={{ whiteSpace: 'pre-wrap' }}>
            <span class="field-label">{t('readsAs')}: </span>
            {reading}
          </p>
        ) : null}
      </section>

      <Loading when={list.loading && !list.data} />
      <ErrorBox error={list.error} />
      {list.data ? <p class="muted small">{t('count', { n: list.data.length })}</p> : null}
      <Empty when={list.data?.length === 0} />
      <ul style={{ listStyle: 'none', padding: 0, margin: 0 }} data-testid="dict-list">
        {(list.data ?? []).map((e) =>
          editing?.id === e.id ? (
            <li key={e.id} class="card" data-testid="dict-entry" data-term={e.term}>
              <div class="row">
                <Field label={t('term')}>
                  <input value={editing.term} maxLength={100} onInput={(ev) => setEditing({ ...editing, term: value(ev) })} />
                </Field>
                <Field label={t('spoken')}>
                  <input data-testid="dict-edit-spoken" value={editing.spoken} maxLength={300} onInput={(ev) => setEditing({ ...editing, spoken: value(ev) })} />
                </Field>
                <Field label={t('note')}>
                  <input value={editing.note} maxLength={200} onInput={(ev) => setEditing({ ...editing, note: value(ev) })} />
                </Field>
              </div>
              <div class="row">
                <ActionButton
                  class="primary"
                  data-testid="dict-save"
                  disabled={!editing.term.trim() || !editing.spoken.trim()}
                  onClick={async () => {
                    const saved = await patch<TtsDictionaryEntryView>(`/api/v1/tts/dictionary/${e.id}`, { term: editing.term, spoken: editing.spoken, note: editing.note.trim() || null });
                    list.set((prev) => (prev ?? []).map((x) => (x.id === saved.id ? saved : x)));
                    setEditing(null);
                  }}
                >
                  {c('save')}
                </ActionButton>
                <button type="button" onClick={() => setEditing(null)}>
                  {c('cancel')}
                </button>
              </div>
            </li>
          ) : (
            <li key={e.id} class="card" data-testid="dict-entry" data-term={e.term} style={{ display: 'flex', flexWrap: 'wrap', gap: '.5rem', alignItems: 'center', justifyContent: 'space-between' }}>
              <div style={{ minWidth: 0, flex: '1 1 14rem' }}>
                <strong>{e.term}</strong> → <span data-testid="dict-entry-spoken">{e.spoken}</span>{' '}
                <Badge tone="muted">{e.caseSensitive ? t('exact') : t('anyCase')}</Badge>
                {e.note ? <div class="muted small">{e.note}</div> : null}
                <div class="muted small">{e.updatedAt ? t('updated', { at: fmtDateTime(e.updatedAt) }) : fmtDateTime(e.createdAt)}</div>
              </div>
              <div style={{ display: 'flex', gap: '.5rem' }}>
                <button type="button" onClick={() => setEditing({ id: e.id, term: e.term, spoken: e.spoken, note: e.note ?? '' })}>
                  {c('edit')}
                </button>
                <ActionButton
                  class="danger"
                  data-testid="dict-delete"
                  onClick={async () => {
                    if (!window.confirm(t('confirmDelete', { term: e.term }))) return;
                    await del(`/api/v1/tts/dictionary/${e.id}`);
                    list.set((prev) => (prev ?? []).filter((x) => x.id !== e.id));
                  }}
                >
                  {c('delete')}
                </ActionButton>
              </div>
            </li>
          ),
        )}
      </ul>
    </div>
  );
}
