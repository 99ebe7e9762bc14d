/**
 * Citizen feedback (issue 17), the officers' queue (#/feedback): the caller's items, overdue first (red), then by
 * the nearest deadline; counters, filters kept in the URL, cards on a phone and a table on a desk; an item recorded
 * at the office or by phone; the exports. `#/feedback/<id>` is an item, `#/feedback/settings` the administrator's
 * settings and `#/feedback/poster?areaCode=` the printable QR poster.
 */
import type { AreaView, FeedbackCreateRequest, FeedbackItemView, FeedbackListView, FeedbackPriority } from '@loa/shared/rest';
import { FEEDBACK_PRIORITIES, FEEDBACK_STATES } from '@loa/shared/rest';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { PageProps } from '../app.js';
import { download, get, post } from '../api.js';
import { fromLocalInput, toLocalInput } from '../format.js';
import { DateTimeField } from '../components/date-time-field.js';
import { useCommon, useT } from '../i18n.js';
import { useLive } from '../live.js';
import { href, navigate } from '../router.js';
import { ActionButton, ErrorBox, Field, Loading, Modal, PageHeader, useAreas, useAsync } from '../ui.js';
import { withParent } from './admin-common.js';
import { useNarrow } from './content-shared.js';
import { FeedbackDetail } from './feedback-detail.js';
import { FeedbackPoster } from './feedback-poster.js';
import { FeedbackSettingsPage } from './feedback-settings.js';
import {
  countdown,
  FB,
  FEEDBACK_LIVE,
  fmtWhen,
  filtersOf,
  filtersRoute,
  listQuery,
  loadFeedbackForm,
  mayHandle,
  PriorityChip,
  priorityLabel,
  refreshSummary,
  sortQueue,
  StateChip,
  useCountdownWords,
  useNow,
  stateLabel,
  useFeedbackSummary,
  type QueueFilters,
} from './feedback-common.js';

export function FeedbackPage(props: PageProps) {
  const sub = props.route.parts[1];
  if (sub === 'settings') return props.session.user.role === 'admin' ? <FeedbackSettingsPage {...props} /> : <p class="muted">403</p>;
  if (sub === 'poster') return <FeedbackPoster {...props} />;
  if (sub) return <FeedbackDetail {...props} id={sub} />;
  return <FeedbackQueue {...props} />;
}

const PAGE = 50;

function FeedbackQueue({ route, session }: PageProps) {
  const t = useT(FB);
  const c = useCommon();
  const narrow = useNarrow();
  const areas = useAreas();
  const f = filtersOf(route);
  const summary = useFeedbackSummary();
  const [limit, setLimit] = useState(PAGE);
  const [creating, setCreating] = useState(false);
  const [personal, setPersonal] = useState(false);
  const key = JSON.stringify([listQuery(f), limit]);
  const list = useAsync(() => get<FeedbackListView>('/api/v1/feedback', { ...listQuery(f), limit }), [key]);

  // Someone else's step (or a new item) in scope: reload, at most every half second.
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useLive(FEEDBACK_LIVE, () => {
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      list.reload();
    }, 500);
  });

  const set = (patch: Partial<QueueFilters>) => navigate('/feedback', filtersRoute({ ...f, ...patch }));
  const communes = areas.filter((a) => a.level === 'commune' || a.level === 'district' || a.level === 'province');
  // Categories and the poster come from a commune's public form: the filtered one, the officer's own, or the first in scope.
  const isCommune = (code: string | null) => code !== null && areas.some((a) => a.code === code && a.level === 'commune');
  const formArea = isCommune(f.areaCode) ? f.areaCode : isCommune(session.user.areaCode) ? (session.user.areaCode ?? '') : (areas.find((a) => a.level === 'commune')?.code ?? '');
  const form = useAsync(() => (formArea ? loadFeedbackForm(formArea).catch(() => null) : Promise.resolve(null)), [formArea]);
  const items = sortQueue(list.data?.items ?? []);
  const exportQuery = { ...listQuery(f), personalData: personal ? 'true' : undefined };
  return (
    <div class="fb" data-testid="feedback-page">
      <PageHeader title={t('title')}>
        {mayHandle(session.user.role) ? (
          <button type="button" class="primary" data-testid="feedback-new" onClick={() => setCreating(true)}>
            {t('newItem')}
          </button>
        ) : null}
        <button type="button" onClick={() => list.reload()}>
          {c('refresh')}
        </button>
        {session.user.role === 'admin' ? (
          <a class="button" href={href('/feedback/settings')} data-testid="feedback-settings-link">
            {t('settings')}
          </a>
        ) : null}
        {formArea ? (
          <a class="button" href={href(`/feedback/poster?areaCode=${encodeURIComponent(formArea)}`)} data-testid="feedback-poster-link">
            {t('poster')}
          </a>
        ) : null}
      </PageHeader>
      {!mayHandle(session.user.role) ? <p class="muted small">{t('readOnly')}</p> : null}

      <div class="cards fb-counters" data-testid="feedback-counters">
        <Counter label={t('open')} value={summary?.open} testid="feedback-count-open" active={f.state === 'open'} onClick={() => set({ state: f.state === 'open' ? '' : 'open', overdue: false, mine: false })} />
        <Counter label={t('overdue')} value={summary?.overdue} bad testid="feedback-count-overdue" active={f.overdue} onClick={() => set({ overdue: !f.overdue })} />
        <Counter label={t('unassigned')} value={summary?.unassigned} testid="feedback-count-unassigned" active={f.state === 'received'} onClick={() => set({ state: f.state === 'received' ? '' : 'received' })} />
        <Counter label={t('mine')} value={summary?.mine} testid="feedback-count-mine" active={f.mine} onClick={() => set({ mine: !f.mine })} />
      </div>

      <Filters f={f} set={set} areas={communes} categories={form.data?.categories ?? []} collapsible={narrow} />

      <ErrorBox error={list.error} />
      <Loading when={list.loading && !list.data} />
      {list.data ? (
        <>
          <p class="muted small" data-testid="feedback-total">
            {t('total', { n: list.data.total })}
            {list.data.overdue > 0 ? ` · ${t('overdue').toLowerCase()}: ${list.data.overdue}` : ''}
          </p>
          {narrow ? <Cards items={items} /> : <Table items={items} />}
          {items.length === 0 ? <p class="muted empty">{t('noItems')}</p> : null}
          {list.data.total > items.length ? (
            <button type="button" onClick={() => setLimit(Math.min(200, limit + PAGE))} disabled={limit >= 200}>
              {t('more')}
            </button>
          ) : null}
        </>
      ) : null}

      <div class="row fb-exports">
        <ActionButton onClick={() => download('/api/v1/feedback/export.csv', 'y-kien-nguoi-dan.csv', exportQuery)} data-testid="feedback-export-csv">
          {t('exportCsv')}
        </ActionButton>
        <ActionButton onClick={() => download('/api/v1/feedback/export.xlsx', 'y-kien-nguoi-dan.xlsx', exportQuery)} data-testid="feedback-export-xlsx">
          {t('exportXlsx')}
        </ActionButton>
        <label class="fb-check">
          <input type="checkbox" checked={personal} onChange={(e) => setPersonal((e.target as HTMLInputElement).checked)} /> {t('personalData')}
        </label>
      </div>

      {creating ? (
        <CreateDialog
          areas={areas}
          defaultArea={session.user.areaCode ?? ''}
          onClose={() => setCreating(false)}
          onCreated={(item) => {
            setCreating(false);
            void refreshSummary();
            navigate(`/feedback/${encodeURIComponent(item.id)}`);
          }}
        />
      ) : null}
    </div>
  );
}

function Counter({ label, value, bad, testid, active, onClick }: { label: string; value: number | undefined; bad?: boolean; testid: string; active: boolean; onClick: () => void }) {
  return (
    <button type="button" class={`stat fb-counter ${bad && value ? 'fb-counter-bad' : ''} ${active ? 'fb-counter-active' : ''}`} data-testid={testid} data-value={value ?? ''} aria-pressed={active} onClick={onClick}>
      <span class="value">{value ?? '…'}</span>
      <span class="label">{label}</span>
    </button>
  );
}

function Filters({ f, set, areas, categories, collapsible }: { f: QueueFilters; set: (p: Partial<QueueFilters>) => void; areas: AreaView[]; categories: Array<{ code: string; label: string }>; collapsible: boolean }) {
  const t = useT(FB);
  const c = useCommon();
  const [q, setQ] = useState(f.q);
  const [shown, setShown] = useState(false);
  useEffect(() => setQ(f.q), [f.q]);
  const value = (e: Event) => (e.target as HTMLSelectElement).value;
  const byCode = new Map(areas.map((a) => [a.code, a]));
  const sorted = [...areas].sort((a, b) => a.path.localeCompare(b.path));
  // On a phone the list comes first: only the search shows until "Bộ lọc" is opened (with how many are set).
  const active = [f.state, f.priority, f.category, f.areaCode].filter(Boolean).length + (f.mine ? 1 : 0) + (f.overdue ? 1 : 0);
  const open = !collapsible || shown;
  return (
    <form
      class="filters fb-filters"
      data-testid="feedback-filters"
      onSubmit={(e) => {
        e.preventDefault();
        set({ q });
      }}
    >
      <Field label={t('search')}>
        <input type="search" value={q} data-testid="feedback-filter-q" onInput={(e) => setQ((e.target as HTMLInputElement).value)} onBlur={() => q !== f.q && set({ q })} />
      </Field>
      {collapsible ? (
        <button type="button" class={`fb-filter-toggle ${active ? 'fb-action-active' : ''}`} aria-expanded={shown} data-testid="feedback-filter-toggle" onClick={() => setShown(!shown)}>
          {t('filters')}
          {active ? ` (${active})` : ''} {shown ? '▴' : '▾'}
        </button>
      ) : null}
      {open ? (
        <>
          <Field label={t('state')}>
            <select value={f.state} data-testid="feedback-filter-state" onChange={(e) => set({ state: value(e) })}>
              <option value="">{t('allStates')}</option>
              <option value="open">{t('openStates')}</option>
              {FEEDBACK_STATES.map((st) => (
                <option key={st} value={st}>
                  {stateLabel(st)}
                </option>
              ))}
            </select>
          </Field>
          <Field label={t('priority')}>
            <select value={f.priority} data-testid="feedback-filter-priority" onChange={(e) => set({ priority: value(e) })}>
              <option value="">{t('allPriorities')}</option>
              {FEEDBACK_PRIORITIES.map((p) => (
                <option key={p} value={p}>
                  {priorityLabel(p)}
                </option>
              ))}
            </select>
          </Field>
          {categories.length > 0 ? (
            <Field label={t('category')}>
              <select value={f.category} data-testid="feedback-filter-category" onChange={(e) => set({ category: value(e) })}>
                <option value="">{t('allCategories')}</option>
                {categories.map((x) => (
                  <option key={x.code} value={x.code}>
                    {x.label}
                  </option>
                ))}
              </select>
            </Field>
          ) : null}
          {areas.length > 1 ? (
            <Field label={t('area')}>
              <select value={f.areaCode} data-testid="feedback-filter-area" onChange={(e) => set({ areaCode: value(e) })}>
                <option value="">{c('all')}</option>
                {sorted.map((a) => (
                  <option key={a.code} value={a.code}>
                    {a.level === 'commune' ? withParent(byCode, a) : a.name}
                  </option>
                ))}
              </select>
            </Field>
          ) : null}
          <label class="fb-check">
            <input type="checkbox" checked={f.mine} data-testid="feedback-filter-mine" onChange={(e) => set({ mine: (e.target as HTMLInputElement).checked })} /> {t('onlyMine')}
          </label>
          <label class="fb-check">
            <input type="checkbox" checked={f.overdue} data-testid="feedback-filter-overdue" onChange={(e) => set({ overdue: (e.target as HTMLInputElement).checked })} /> {t('onlyOverdue')}
          </label>
        </>
      ) : null}
    </form>
  );
}

function Due({ item, now }: { item: FeedbackItemView; now: number }) {
  const cd = countdown(item, now, useCountdownWords());
  return (
    <span class={cd.overdue ? 'fb-due fb-due-over' : 'fb-due'} data-testid="feedback-due" data-overdue={cd.overdue ? '1' : '0'}>
      {cd.text}
    </span>
  );
}

const place = (x: FeedbackItemView) => [x.areaName, x.village].filter(Boolean).join(' · ');
const open = (x: FeedbackItemView) => navigate(`/feedback/${encodeURIComponent(x.id)}`);

/** Phones: one card per item, its whole surface a link. */
function Cards({ items }: { items: FeedbackItemView[] }) {
  const t = useT(FB);
  const now = useNow();
  return (
    <ul class="fb-cards" data-testid="feedback-list">
      {items.map((x) => (
        <li key={x.id} class={`fb-card ${x.overdue ? 'fb-overdue' : ''}`} data-testid="feedback-row" data-id={x.id} data-code={x.code} data-overdue={x.overdue ? '1' : '0'}>
          <a href={href(`/feedback/${encodeURIComponent(x.id)}`)} class="fb-card-link">
            <div class="fb-card-head">
              <span class="fb-code">{x.code}</span>
              <StateChip item={x} />
              <PriorityChip priority={x.priority} />
            </div>
            <div class="fb-card-title">{x.title}</div>
            <div class="muted small">{place(x)}</div>
            <div class="fb-card-foot small">
              <Due item={x} now={now} />
              <span class="muted">{x.assignee ? x.assignee.username : t('nobody')}</span>
            </div>
          </a>
        </li>
      ))}
    </ul>
  );
}

function Table({ items }: { items: FeedbackItemView[] }) {
  const t = useT(FB);
  const now = useNow();
  return (
    <div class="table-wrap">
      <table data-testid="feedback-list">
        <thead>
          <tr>
            <th>{t('code')}</th>
            <th class="wrap">{t('titleCol')}</th>
            <th>{t('place')}</th>
            <th>{t('state')}</th>
            <th>{t('deadline')}</th>
            <th>{t('assignee')}</th>
            <th>{t('received')}</th>
          </tr>
        </thead>
        <tbody>
          {items.map((x) => (
            <tr key={x.id} class={`clickable ${x.overdue ? 'fb-overdue' : ''}`} onClick={() => open(x)} data-testid="feedback-row" data-id={x.id} data-code={x.code} data-overdue={x.overdue ? '1' : '0'}>
              <td>
                <a href={href(`/feedback/${encodeURIComponent(x.id)}`)} onClick={(e) => e.stopPropagation()} class="fb-code">
                  {x.code}
                </a>
              </td>
              <td class="wrap">
                {x.title} <PriorityChip priority={x.priority} />
                <div class="muted small">{x.categoryLabel}</div>
              </td>
              <td class="wrap">{place(x)}</td>
              <td>
                <StateChip item={x} />
              </td>
              <td>
                <Due item={x} now={now} />
              </td>
              <td>{x.assignee ? x.assignee.username : <span class="muted">{t('nobody')}</span>}</td>
              <td>{fmtWhen(x.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** An item told at the office or by phone: the public form's fields, channel "office". */
function CreateDialog({ areas, defaultArea, onClose, onCreated }: { areas: AreaView[]; defaultArea: string; onClose: () => void; onCreated: (item: FeedbackItemView) => void }) {
  const t = useT(FB);
  const c = useCommon();
  const communes = areas.filter((a) => a.level === 'commune');
  const byCode = new Map(areas.map((a) => [a.code, a]));
  const [v, setV] = useState({
    areaCode: communes.some((a) => a.code === defaultArea) ? defaultArea : communes.length === 1 ? (communes[0]?.code ?? '') : '',
    village: '',
    name: '',
    phone: '',
    email: '',
    title: '',
    content: '',
    category: '',
    priority: 'normal' as FeedbackPriority,
    receivedAt: '',
    consent: true,
  });
  const form = useAsync(() => (v.areaCode ? loadFeedbackForm(v.areaCode) : Promise.resolve(null)), [v.areaCode]);
  const categories = form.data?.categories ?? [];
  useEffect(() => {
    if (categories.length > 0 && !categories.some((x) => x.code === v.category)) setV((s) => ({ ...s, category: categories[0]?.code ?? '' }));
  }, [form.data]);
  const [err, setErr] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const input = (k: 'name' | 'phone' | 'email' | 'title' | 'village', type = 'text') => (
    <input type={type} value={v[k]} required={k !== 'email' && k !== 'village'} data-testid={`feedback-new-${k}`} onInput={(e) => setV({ ...v, [k]: (e.target as HTMLInputElement).value })} />
  );
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setErr(null);
    try {
      const body: FeedbackCreateRequest = {
        areaCode: v.areaCode,
        village: v.village || undefined,
        name: v.name,
        phone: v.phone,
        email: v.email || undefined,
        title: v.title,
        content: v.content,
        category: v.category,
        consent: v.consent,
        channel: 'office',
        priority: v.priority,
        receivedAt: v.receivedAt ? fromLocalInput(v.receivedAt) : undefined,
      };
      onCreated(await post<FeedbackItemView>('/api/v1/feedback', body));
    } catch (x) {
      setErr(x);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title={t('newItem')} onClose={onClose}>
      <form class="form" onSubmit={submit} data-testid="feedback-new-form">
        <Field label={t('commune')}>
          <select value={v.areaCode} required data-testid="feedback-new-area" onChange={(e) => setV({ ...v, areaCode: (e.target as HTMLSelectElement).value, village: '' })}>
            <option value="" disabled>
              {t('pickCommune')}
            </option>
            {communes
              .sort((a, b) => a.name.localeCompare(b.name, 'vi'))
              .map((a) => (
                <option key={a.code} value={a.code}>
                  {withParent(byCode, a)}
                </option>
              ))}
          </select>
        </Field>
        <div class="row">
          <Field label={t('village')}>
            {form.data && form.data.villages.length > 0 ? (
              <select value={v.village} data-testid="feedback-new-village" onChange={(e) => setV({ ...v, village: (e.target as HTMLSelectElement).value })}>
                <option value="">—</option>
                {form.data.villages.map((x) => (
                  <option key={x} value={x}>
                    {x}
                  </option>
                ))}
              </select>
            ) : (
              input('village')
            )}
          </Field>
          <Field label={t('category')}>
            <select value={v.category} required data-testid="feedback-new-category" onChange={(e) => setV({ ...v, category: (e.target as HTMLSelectElement).value })}>
              {categories.map((x) => (
                <option key={x.code} value={x.code}>
                  {x.label}
                </option>
              ))}
            </select>
          </Field>
        </div>
        <div class="row">
          <Field label={t('name')}>{input('name')}</Field>
          <Field label={t('phone')}>{input('phone', 'tel')}</Field>
          <Field label={t('email')}>{input('email', 'email')}</Field>
        </div>
        <Field label={t('titleField')}>{input('title')}</Field>
        <Field label={t('content')}>
          <textarea value={v.content} required maxLength={5000} data-testid="feedback-new-content" onInput={(e) => setV({ ...v, content: (e.target as HTMLTextAreaElement).value })} />
        </Field>
        <div class="row">
          <Field label={t('priority')}>
            <select value={v.priority} data-testid="feedback-new-priority" onChange={(e) => setV({ ...v, priority: (e.target as HTMLSelectElement).value as FeedbackPriority })}>
              {FEEDBACK_PRIORITIES.map((p) => (
                <option key={p} value={p}>
                  {priorityLabel(p)}
                </option>
              ))}
            </select>
          </Field>
          <Field label={t('receivedAt')}>
            <DateTimeField value={v.receivedAt ? fromLocalInput(v.receivedAt) : ''} data-testid="feedback-new-received-at" onChange={(iso) => setV({ ...v, receivedAt: iso ? toLocalInput(iso) : '' })} />
          </Field>
        </div>
        <label class="fb-check">
          <input type="checkbox" checked={v.consent} required data-testid="feedback-new-consent" onChange={(e) => setV({ ...v, consent: (e.target as HTMLInputElement).checked })} /> {t('consent')}
        </label>
        <ErrorBox error={err} />
        <div class="row">
          <button type="submit" class="primary" disabled={busy} data-testid="feedback-new-submit">
            {c('save')}
          </button>
          <button type="button" class="ghost" onClick={onClose}>
            {c('cancel')}
          </button>
        </div>
      </form>
    </Modal>
  );
}
