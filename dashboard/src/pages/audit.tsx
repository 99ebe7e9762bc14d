import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import type { PageProps } from '../app.js';
import { apiWithHeaders, download } from '../api.js';
import { fmtDateTime, zonedParts } from '../format.js';
import { DateField } from '../components/date-time-field.js';
import { defineStrings, useCommon, useLang, useT } from '../i18n.js';
import { navigate } from '../router.js';
import { ActionButton, Badge, Empty, ErrorBox, Field, Loading, PageHeader, useAsync, type Tone } from '../ui.js';
import { ROLE_TONES } from './admin-common.js';
import { ACTION_GROUPS, ACTIONS, RESOURCES, actionWord, resourceWord } from './admin-audit-words.js';

/** GET /api/v1/audit (server/src/audit/audit.service.ts AuditEntryView; names: shared auditEntryViewSchema). */
interface AuditEntry {
  id: string;
  at: string;
  actor: { id: string | null; name: string; role: string; areaCode: string | null; fullName?: string | null };
  action: string;
  resourceType: string | null;
  resourceId: string | null;
  /** Issue 19: names resolved by the server; the ids stay. */
  resourceName?: string | null;
  areaCode: string | null;
  areaName?: string | null;
  names?: Record<string, string>;
  outcome: 'ok' | 'refused' | 'error';
  status: number;
  before: unknown;
  after: unknown;
  detail: unknown;
  ip: string | null;
}

const PAGE = 50;
const FILTER_KEYS = ['actor', 'action', 'resourceType', 'resourceId', 'outcome', 'from', 'to'] as const;
type FilterKey = (typeof FILTER_KEYS)[number];
type Filters = Record<FilterKey, string>;

const S = defineStrings({
  vi: {
    title: 'Nhật ký thao tác',
    subtitle: 'Ai đã làm gì, khi nào, trên đối tượng nào; mới nhất ở trên. Nhấn vào một dòng để xem trước/sau khi thay đổi.',
    time: 'Thời gian',
    actor: 'Người thực hiện',
    actorPh: 'Tên đăng nhập hoặc mã',
    action: 'Hành động',
    anyAction: 'Mọi hành động',
    allOf: '{group}: mọi thao tác',
    resource: 'Đối tượng',
    resourceType: 'Loại đối tượng',
    anyType: 'Mọi loại',
    resourceId: 'Mã đối tượng',
    outcome: 'Kết quả',
    anyOutcome: 'Mọi kết quả',
    ok: 'Thành công',
    refused: 'Bị từ chối',
    error: 'Lỗi hệ thống',
    status: 'Mã HTTP',
    from: 'Từ ngày',
    to: 'Đến ngày',
    apply: 'Lọc',
    clear: 'Bỏ lọc',
    older: 'Tải các mục cũ hơn',
    shown: 'Hiển thị {n} / {total} mục',
    shownN: 'Hiển thị {n} mục',
    before: 'Trước',
    after: 'Sau',
    field: 'Trường',
    onlyChanged: 'Chỉ hiện trường thay đổi',
    changedN: '{n} trường thay đổi',
    noSnapshot: 'Không có ảnh chụp trước/sau cho hành động này.',
    created: 'Đối tượng được tạo',
    request: 'Nội dung yêu cầu',
    noRequest: 'Không có nội dung',
    failure: 'Lý do',
    ip: 'Địa chỉ IP',
    entry: 'Mã mục nhật ký',
    area: 'Địa bàn',
    filterActor: 'Lọc theo người này',
    filterResource: 'Lọc theo đối tượng này',
    anonymous: 'Không xác định',
    csvName: 'nhat-ky',
  },
  en: {
    title: 'Audit log',
    subtitle: 'Who did what, when and to which object; newest first. Click a row to see the object before and after.',
    time: 'Time',
    actor: 'Actor',
    actorPh: 'Username or id',
    action: 'Action',
    anyAction: 'Any action',
    allOf: '{group}: everything',
    resource: 'Object',
    resourceType: 'Object type',
    anyType: 'Any type',
    resourceId: 'Object id',
    outcome: 'Outcome',
    anyOutcome: 'Any outcome',
    ok: 'Succeeded',
    refused: 'Refused',
    error: 'Server error',
    status: 'HTTP status',
    from: 'From',
    to: 'To',
    apply: 'Filter',
    clear: 'Clear',
    older: 'Load older entries',
    shown: 'Showing {n} of {total}',
    shownN: 'Showing {n}',
    before: 'Before',
    after: 'After',
    field: 'Field',
    onlyChanged: 'Only changed fields',
    changedN: '{n} fields changed',
    noSnapshot: 'No before/after snapshot for this action.',
    created: 'Created object',
    request: 'Request',
    noRequest: 'Empty',
    failure: 'Reason',
    ip: 'IP address',
    entry: 'Entry id',
    area: 'Area',
    filterActor: 'Filter by this actor',
    filterResource: 'Filter by this object',
    anonymous: 'Unknown',
    csvName: 'audit',
  },
});

const OUTCOME_TONES: Record<string, Tone> = { ok: 'ok', refused: 'warn', error: 'bad' };

/** A Vietnam calendar day "2026-11-23" → its first instant (and the next day's, for an inclusive "to"). */
const dayStart = (d: string): string => `${d}T00:00:00+07:00`;
const nextDayStart = (d: string): string => {
  const [y, m, day] = d.split('-').map(Number);
  const next = new Date(Date.UTC(y ?? 1970, (m ?? 1) - 1, (day ?? 1) + 1));
  return dayStart(next.toISOString().slice(0, 10));
};
const isDay = (d: string) => /^\d{4}-\d{2}-\d{2}$/.test(d);

/** The page's filters (from the address, so a filtered view can be linked) → the API's query. */
function apiQuery(f: Filters): Record<string, string | undefined> {
  return {
    actor: f.actor.trim() || undefined,
    action: f.action || undefined,
    resourceType: f.resourceType || undefined,
    resourceId: f.resourceId.trim() || undefined,
    outcome: f.outcome || undefined,
    from: isDay(f.from) ? dayStart(f.from) : undefined,
    to: isDay(f.to) ? nextDayStart(f.to) : undefined,
  };
}

const filtersOf = (q: URLSearchParams): Filters => Object.fromEntries(FILTER_KEYS.map((k) => [k, q.get(k) ?? ''])) as Filters;

export function AuditPage({ route }: PageProps) {
  const t = useT(S);
  const c = useCommon();
  const lang = useLang();
  const applied = filtersOf(route.query);
  const key = FILTER_KEYS.map((k) => applied[k]).join('\u0001');
  const [draft, setDraft] = useState<Filters>(applied);
  const [version, setVersion] = useState(0);
  const [older, setOlder] = useState<AuditEntry[]>([]);
  const [olderDone, setOlderDone] = useState(false);
  const [olderError, setOlderError] = useState<unknown>(null);
  const [loadingOlder, setLoadingOlder] = useState(false);
  const [open, setOpen] = useState<Set<string>>(new Set());

  useEffect(() => {
    setDraft(applied);
    setOlder([]);
    setOlderDone(false);
    setOlderError(null);
  }, [key]);

  const first = useAsync(async () => {
    const r = await apiWithHeaders<AuditEntry[]>('GET', '/api/v1/audit', { query: { ...apiQuery(applied), limit: PAGE } });
    const total = Number(r.headers.get('x-total-count'));
    return { items: r.data, total: Number.isFinite(total) && r.headers.has('x-total-count') ? total : null };
  }, [key, version]);

  const items = [...(first.data?.items ?? []), ...older];
  const total = first.data?.total ?? null;
  const more = first.data ? !olderDone && (older.length > 0 ? true : first.data.items.length === PAGE) && (total === null || items.length < total) : false;

  const loadOlder = async () => {
    const last = items[items.length - 1];
    if (!last) return;
    setLoadingOlder(true);
    setOlderError(null);
    try {
      const r = await apiWithHeaders<AuditEntry[]>('GET', '/api/v1/audit', { query: { ...apiQuery(applied), limit: PAGE, before: last.id } });
      setOlder((prev) => [...prev, ...r.data]);
      if (r.data.length < PAGE) setOlderDone(true);
    } catch (err) {
      setOlderError(err);
    } finally {
      setLoadingOlder(false);
    }
  };

  const apply = (f: Filters) => {
    const q: Record<string, string | undefined> = {};
    for (const k of FILTER_KEYS) q[k] = f[k].trim() || undefined;
    navigate('/audit', q);
    refresh();
  };
  const refresh = () => {
    setOlder([]);
    setOlderDone(false);
    setVersion((v) => v + 1);
  };
  const toggle = (id: string) =>
    setOpen((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const set = (k: FilterKey) => (e: Event) => setDraft({ ...draft, [k]: (e.target as HTMLInputElement | HTMLSelectElement).value });
  const today = zonedParts(new Date());
  const stamp = `${today.y}-${String(today.m).padStart(2, '0')}-${String(today.day).padStart(2, '0')}`;
  const knownAction = !draft.action || draft.action in ACTIONS || ACTION_GROUPS.some((g) => `${g.prefix}.*` === draft.action);

  return (
    <section>
      <PageHeader title={t('title')}>
        <button type="button" onClick={refresh}>
          {c('refresh')}
        </button>
        <ActionButton onClick={() => download('/api/v1/audit.csv', `${t('csvName')}-${stamp}.csv`, apiQuery(applied))} data-testid="audit-export">
          ⬇ {c('exportCsv')}
        </ActionButton>
      </PageHeader>
      <p class="muted small" style={{ marginTop: '-.5rem' }}>
        {t('subtitle')}
      </p>
      <form
        class="filters card"
        style={{ padding: '.75rem' }}
        onSubmit={(e) => {
          e.preventDefault();
          apply(draft);
        }}
        data-testid="audit-filters"
      >
        <Field label={t('actor')}>
          <input value={draft.actor} placeholder={t('actorPh')} onInput={set('actor')} size={14} data-testid="audit-filter-actor" />
        </Field>
        <Field label={t('action')}>
          <select value={draft.action} onChange={set('action')} data-testid="audit-filter-action" style={{ maxWidth: '16rem' }}>
            <option value="">{t('anyAction')}</option>
            {knownAction ? null : <option value={draft.action}>{draft.action}</option>}
            {ACTION_GROUPS.map((g) => (
              <optgroup key={g.prefix} label={g[lang]}>
                <option value={`${g.prefix}.*`}>{t('allOf', { group: g[lang] })}</option>
                {Object.keys(ACTIONS)
                  .filter((a) => a.startsWith(`${g.prefix}.`))
                  .map((a) => (
                    <option key={a} value={a}>
                      {actionWord(lang, a)}
                    </option>
                  ))}
              </optgroup>
            ))}
          </select>
        </Field>
        <Field label={t('resourceType')}>
          <select value={draft.resourceType} onChange={set('resourceType')} data-testid="audit-filter-type">
            <option value="">{t('anyType')}</option>
            {draft.resourceType && !(draft.resourceType in RESOURCES) ? <option value={draft.resourceType}>{draft.resourceType}</option> : null}
            {Object.keys(RESOURCES).map((r) => (
              <option key={r} value={r}>
                {resourceWord(lang, r)}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t('resourceId')}>
          <input value={draft.resourceId} onInput={set('resourceId')} size={14} data-testid="audit-filter-resource-id" />
        </Field>
        <Field label={t('outcome')}>
          <select value={draft.outcome} onChange={set('outcome')} data-testid="audit-filter-outcome">
            <option value="">{t('anyOutcome')}</option>
            <option value="ok">{t('ok')}</option>
            <option value="refused">{t('refused')}</option>
            <option value="error">{t('error')}</option>
          </select>
        </Field>
        <Field label={t('from')}>
          <DateField value={draft.from} onChange={(v) => setDraft({ ...draft, from: v })} data-testid="audit-filter-from" />
        </Field>
        <Field label={t('to')}>
          <DateField value={draft.to} min={draft.from || undefined} onChange={(v) => setDraft({ ...draft, to: v })} data-testid="audit-filter-to" />
        </Field>
        <div style={{ display: 'flex', gap: '.5rem' }}>
          <button type="submit" class="primary" data-testid="audit-apply">
            {t('apply')}
          </button>
          <button type="button" onClick={() => apply(filtersOf(new URLSearchParams()))}>
            {t('clear')}
          </button>
        </div>
      </form>
      <ErrorBox error={first.error} />
      <Loading when={first.loading && !first.data} />
      {first.data ? <p class="muted small">{total !== null ? t('shown', { n: items.length, total }) : t('shownN', { n: items.length })}</p> : null}
      {items.length > 0 ? (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th style={{ width: '1.5rem' }} />
                <th>{t('time')}</th>
                <th>{t('actor')}</th>
                <th>{t('action')}</th>
                <th>{t('resource')}</th>
                <th>{t('outcome')}</th>
                <th class="hide-phone">{t('status')}</th>
              </tr>
            </thead>
            <tbody>
              {items.map((e) => {
                const expanded = open.has(e.id);
                return (
                  <Fragment key={e.id}>
                    <tr class="clickable" onClick={() => toggle(e.id)} data-testid="audit-row" data-action={e.action} data-outcome={e.outcome} data-id={e.id} aria-expanded={expanded}>
                      <td class="muted">{expanded ? '▾' : '▸'}</td>
                      <td>{fmtDateTime(e.at)}</td>
                      <td class="wrap" data-testid="audit-actor">
                        <strong>{e.actor.fullName || e.actor.name || '—'}</strong>{' '}
                        {e.actor.fullName && e.actor.name ? <span class="muted small">{e.actor.name} </span> : null}
                        <RoleBadge role={e.actor.role} />
                      </td>
                      <td class="wrap" style={{ minWidth: '10rem' }} title={e.action} data-testid="audit-action">
                        {actionWord(lang, e.action)}
                        {e.resourceName ? (
                          <>
                            {' '}
                            <strong data-testid="audit-object-name">{e.resourceName}</strong>
                          </>
                        ) : null}
                      </td>
                      <td class="wrap">
                        {e.resourceType ? (
                          <>
                            <span class="muted small">{resourceWord(lang, e.resourceType)}</span>{' '}
                            {e.resourceName ? <span>{e.resourceName} </span> : null}
                            {e.resourceId ? (
                              <span class="small muted" title={e.resourceId} style={{ fontFamily: 'ui-monospace, Menlo, Consolas, monospace' }}>
                                {shortId(e.resourceId)}
                              </span>
                            ) : null}
                          </>
                        ) : (
                          <span class="muted">—</span>
                        )}
                      </td>
                      <td>
                        <Badge tone={OUTCOME_TONES[e.outcome] ?? 'muted'}>{t(e.outcome in OUTCOME_TONES ? e.outcome : 'error')}</Badge>
                      </td>
                      <td class="hide-phone">{e.status}</td>
                    </tr>
                    {expanded ? (
                      <tr data-testid="audit-detail">
                        <td colSpan={7} class="wrap" style={{ background: '#fbfcfd' }}>
                          <EntryDetail entry={e} />
                        </td>
                      </tr>
                    ) : null}
                  </Fragment>
                );
              })}
            </tbody>
          </table>
        </div>
      ) : (
        <Empty when={Boolean(first.data)} />
      )}
      <ErrorBox error={olderError} />
      {more ? (
        <button type="button" onClick={() => void loadOlder()} disabled={loadingOlder} data-testid="audit-older">
          {loadingOlder ? c('loading') : t('older')}
        </button>
      ) : null}
    </section>
  );
}

/** UUIDs are long: the first 8 characters, the whole id on hover. */
const shortId = (id: string): string => (/^[0-9a-f]{8}-[0-9a-f]{4}-/.test(id) ? `${id.slice(0, 8)}…` : id.length > 24 ? `${id.slice(0, 22)}…` : id);

function RoleBadge({ role }: { role: string }) {
  const c = useCommon();
  const t = useT(S);
  const known = role === 'admin' || role === 'operator' || role === 'approver' || role === 'commune_officer';
  return <Badge tone={ROLE_TONES[role] ?? 'muted'}>{known ? c(`role_${role}`) : role === 'anonymous' || role === 'unknown' ? t('anonymous') : role}</Badge>;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

interface DiffRow {
  key: string;
  before: unknown;
  after: unknown;
  changed: boolean;
}

/** For every key of before ∪ after (before's order first): both values and whether they differ. */
export function diffObjects(before: unknown, after: unknown): DiffRow[] {
  const b = isObject(before) ? before : {};
  const a = isObject(after) ? after : {};
  const keys = [...Object.keys(b), ...Object.keys(a).filter((k) => !(k in b))];
  return keys.map((key) => ({ key, before: b[key], after: a[key], changed: !same(b[key], a[key]) }));
}

/** Ids the server named, shown as "name (id)" inside any value (targets, createdBy, areaCode…). */
export function withNames(v: unknown, names: Record<string, string>): unknown {
  if (typeof v === 'string') return names[v] !== undefined ? `${names[v]} (${v})` : v;
  if (Array.isArray(v)) return v.map((x) => withNames(x, names));
  if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, withNames(x, names)]));
  return v;
}

/** Snapshot instants (`startAt`, `approvedAt`…) are epoch milliseconds: shown in Vietnam time, the raw value on hover. */
const isInstantField = (field: string | undefined, v: unknown): v is number => typeof v === 'number' && v > 1e11 && field !== undefined && /At$/.test(field);

function Value({ v, tone, names, field }: { v: unknown; tone?: 'old' | 'new' | undefined; names: Record<string, string>; field?: string }) {
  const color = tone === 'old' ? 'var(--bad)' : tone === 'new' ? 'var(--ok)' : undefined;
  if (v === undefined || v === null) return <span class="muted">—</span>;
  if (isInstantField(field, v)) {
    return (
      <span style={{ color }} title={String(v)}>
        {fmtDateTime(v)}
      </span>
    );
  }
  if (typeof v === 'string' && names[v] !== undefined) {
    return (
      <span style={{ color, wordBreak: 'break-word' }}>
        {names[v]} <span class="muted small">({v})</span>
      </span>
    );
  }
  const named = withNames(v, names);
  const text = typeof named === 'string' ? named : JSON.stringify(named);
  return <span style={{ color, wordBreak: 'break-word', whiteSpace: 'pre-wrap', fontSize: typeof v === 'string' ? undefined : '.88rem' }}>{text}</span>;
}

function EntryDetail({ entry }: { entry: AuditEntry }) {
  const t = useT(S);
  const names = entry.names ?? {};
  const hasBefore = isObject(entry.before);
  const hasAfter = isObject(entry.after);
  const rows = diffObjects(entry.before, entry.after);
  const changed = rows.filter((r) => r.changed).length;
  const [onlyChanged, setOnlyChanged] = useState(false);
  const detail = isObject(entry.detail) ? entry.detail : entry.detail === null || entry.detail === undefined ? {} : { value: entry.detail };
  const { error: failure, ...request } = detail as Record<string, unknown>;
  const shown = onlyChanged && hasBefore && hasAfter ? rows.filter((r) => r.changed) : rows;
  return (
    <div style={{ position: 'sticky', left: 0, maxWidth: 'calc(100vw - 2.5rem)', display: 'flex', flexDirection: 'column', gap: '.6rem' }}>
      {typeof failure === 'string' && failure ? (
        <div class="error" style={{ margin: 0 }}>
          <strong>{t('failure')}:</strong> {failure}
        </div>
      ) : null}
      {hasBefore || hasAfter ? (
        <div>
          <div style={{ display: 'flex', gap: '1rem', flexWrap: 'wrap', alignItems: 'center', marginBottom: '.3rem' }}>
            {hasBefore && hasAfter ? <strong class="small">{t('changedN', { n: changed })}</strong> : !hasBefore ? <strong class="small">{t('created')}</strong> : null}
            {hasBefore && hasAfter ? (
              <label class="small" style={{ display: 'flex', gap: '.35rem', alignItems: 'center' }}>
                <input type="checkbox" checked={onlyChanged} onChange={(e) => setOnlyChanged((e.target as HTMLInputElement).checked)} />
                {t('onlyChanged')}
              </label>
            ) : null}
          </div>
          <div style={{ overflowX: 'auto', border: '1px solid var(--line)', borderRadius: 'var(--radius)', background: '#fff' }}>
            <table data-testid="audit-diff" style={{ tableLayout: 'fixed', minWidth: hasBefore && hasAfter ? '30rem' : '18rem' }}>
              <colgroup>
                <col style={{ width: hasBefore && hasAfter ? '22%' : '30%' }} />
                {hasBefore ? <col /> : null}
                {hasAfter ? <col /> : null}
              </colgroup>
              <thead>
                <tr>
                  <th>{t('field')}</th>
                  {hasBefore ? <th>{t('before')}</th> : null}
                  {hasAfter ? <th>{t('after')}</th> : null}
                </tr>
              </thead>
              <tbody>
                {shown.map((r) => {
                  const hot = r.changed && hasBefore && hasAfter;
                  return (
                    <tr key={r.key} data-changed={hot ? 'true' : 'false'} data-key={r.key} style={hot ? { background: '#fff4e0' } : undefined}>
                      <td class="wrap" style={{ fontWeight: hot ? 700 : 400, wordBreak: 'break-word' }}>
                        {r.key}
                      </td>
                      {hasBefore ? (
                        <td class="wrap">
                          <Value v={r.before} tone={hot ? 'old' : undefined} names={names} field={r.key} />
                        </td>
                      ) : null}
                      {hasAfter ? (
                        <td class="wrap">
                          <Value v={r.after} tone={hot ? 'new' : undefined} names={names} field={r.key} />
                        </td>
                      ) : null}
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </div>
      ) : (
        <p class="muted small" style={{ margin: 0 }}>
          {t('noSnapshot')}
        </p>
      )}
      <div>
        <strong class="small">{t('request')}</strong>
        {Object.keys(request).length > 0 ? (
          <RequestDetail request={withNames(request, names) as Record<string, unknown>} />
        ) : (
          <span class="muted small"> · {t('noRequest')}</span>
        )}
      </div>
      <div class="small" style={{ display: 'flex', flexWrap: 'wrap', gap: '.25rem 1rem' }}>
        <a href={`#/audit?actor=${encodeURIComponent(entry.actor.id ?? entry.actor.name)}`} data-testid="audit-filter-by-actor">
          {t('filterActor')} ({entry.actor.fullName || entry.actor.name || '—'})
        </a>
        {entry.resourceType && entry.resourceId ? (
          <a href={`#/audit?resourceType=${encodeURIComponent(entry.resourceType)}&resourceId=${encodeURIComponent(entry.resourceId)}`} data-testid="audit-filter-by-resource">
            {t('filterResource')}
          </a>
        ) : null}
      </div>
      <div class="small muted" style={{ display: 'flex', flexWrap: 'wrap', gap: '.25rem 1rem' }}>
        <span>
          {t('entry')}: <code>{entry.id}</code>
        </span>
        {entry.resourceId ? (
          <span>
            {t('resourceId')}: <code>{entry.resourceId}</code>
          </span>
        ) : null}
        {entry.areaCode ? (
          <span>
            {t('area')}: {entry.areaName ? `${entry.areaName} (${entry.areaCode})` : entry.areaCode}
          </span>
        ) : null}
        {entry.ip ? (
          <span>
            {t('ip')}: {entry.ip}
          </span>
        ) : null}
        <span>
          {t('status')}: {entry.status}
        </span>
        <span>
          {t('action')}: <code>{entry.action}</code>
        </span>
      </div>
    </div>
  );
}

const PRE_STYLE = { fontFamily: 'inherit', margin: '.3rem 0 0', padding: '.5rem', background: '#fff', border: '1px solid var(--line)', borderRadius: 'var(--radius)', overflowX: 'auto', maxHeight: '18rem', whiteSpace: 'pre-wrap', wordBreak: 'break-word' } as const;

/** The redacted request: JSON, except a raw text body (a CSV import) shown as the text it was. */
function RequestDetail({ request }: { request: Record<string, unknown> }) {
  const { body, ...rest } = request;
  if (typeof body !== 'string') return <pre class="small" style={PRE_STYLE}>{JSON.stringify(request, null, 2)}</pre>;
  return (
    <>
      {Object.keys(rest).length > 0 ? <pre class="small" style={PRE_STYLE}>{JSON.stringify(rest, null, 2)}</pre> : null}
      <pre class="small" style={PRE_STYLE}>{body}</pre>
    </>
  );
}
