import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { PageProps } from '../app.js';
import { get } from '../api.js';
import { fmtAgo, fmtBytes } from '../format.js';
import { defineStrings, useCommon, useT } from '../i18n.js';
import { useLive } from '../live.js';
import { href, navigate } from '../router.js';
import type { DeviceListItem, DeviceListSort, DeviceListStatus, DevicePage, DeviceStatusCounts } from '@loa/shared/rest';
import { AreaSelect, Badge, ErrorBox, Field, Loading, OnlineBadge, PageHeader, areaName, useAreas, useAsync } from '../ui.js';
import { DeviceMapToggle } from '../components/device-map-toggle.js';
import { can } from '../capabilities.js';
import { BulkBar, DeviceCards, SelectAll, SelectCell, usePhone } from './device-bulk.js';
import { VolumeText, fmtInstant, scheduleOfOccurrence, withPresence, withTelemetry, type AlarmEvent, type PresenceEvent, type TelemetryEvent } from './device-common.js';

const S = defineStrings({
  vi: {
    title: 'Thiết bị',
    search: 'Tìm theo mã, tên hoặc nhãn',
    statusAll: 'Tất cả',
    kindAll: 'Tất cả',
    name: 'Tên / mã thiết bị',
    since: 'Từ',
    lastSeen: 'Lần cuối liên lạc',
    volume: 'Âm lượng',
    playing: 'Đang phát',
    agent: 'Phiên bản',
    disk: 'Dung lượng trống',
    alarms: 'Cảnh báo',
    shown: 'Hiển thị {shown}/{total} thiết bị',
    showMore: 'Xem thêm {n} thiết bị',
    noMatch: 'Không có thiết bị nào phù hợp',
    clear: 'Bỏ lọc',
    revoked: 'Đã thu hồi',
    chipAlarm: 'Có cảnh báo',
    chipNever: 'Chưa kết nối',
    sort: 'Sắp xếp',
    sort_name_asc: 'Tên A → Z',
    sort_name_desc: 'Tên Z → A',
    sort_lastSeenAt_desc: 'Liên lạc gần đây nhất',
    sort_lastSeenAt_asc: 'Lâu chưa liên lạc nhất',
    sort_presenceChangedAt_desc: 'Vừa đổi trạng thái',
    sort_createdAt_desc: 'Mới đăng ký',
    sort_id_asc: 'Mã thiết bị',
    sort_areaCode_asc: 'Mã địa bàn',
  },
  en: {
    title: 'Devices',
    search: 'Search by id, name or tag',
    statusAll: 'All',
    kindAll: 'All',
    name: 'Name / id',
    since: 'Since',
    lastSeen: 'Last seen',
    volume: 'Volume',
    playing: 'Playing',
    agent: 'Agent',
    disk: 'Free disk',
    alarms: 'Alarms',
    shown: 'Showing {shown} of {total} devices',
    showMore: 'Show {n} more',
    noMatch: 'No device matches',
    clear: 'Clear filters',
    revoked: 'Revoked',
    chipAlarm: 'With alarms',
    chipNever: 'Never connected',
    sort: 'Sort',
    sort_name_asc: 'Name A → Z',
    sort_name_desc: 'Name Z → A',
    sort_lastSeenAt_desc: 'Seen most recently',
    sort_lastSeenAt_asc: 'Not seen for longest',
    sort_presenceChangedAt_desc: 'Status changed last',
    sort_createdAt_desc: 'Newest',
    sort_id_asc: 'Device id',
    sort_areaCode_asc: 'Area code',
  },
});

/** Rows per request: a phone's screenful or two, and what the server answers in a few milliseconds. */
export const PAGE = 50;
/** Live updates are applied in one render per this interval, however many devices report. */
const FLUSH_MS = 700;
/** Counts of the chips are asked again this long after a presence or alarm change (one request per burst). */
const COUNTS_MS = 3000;

/** The orders offered, as `sort:order` (the select's values); the first is the server's default for a page. */
export const SORTS = ['name:asc', 'name:desc', 'lastSeenAt:desc', 'lastSeenAt:asc', 'presenceChangedAt:desc', 'createdAt:desc', 'id:asc', 'areaCode:asc'] as const;
type SortKey = (typeof SORTS)[number];
const STATUSES: readonly DeviceListStatus[] = ['online', 'offline', 'alarm', 'revoked', 'never'];
const KINDS = ['speaker', 'board'] as const;

export interface Filters {
  area: string;
  status: DeviceListStatus | '';
  kind: (typeof KINDS)[number] | '';
  q: string;
  sort: SortKey;
}

/** The page's state from its URL (`#/devices?area=…&status=…&kind=…&q=…&sort=…`); unknown values are ignored. */
export function filtersOf(q: URLSearchParams): Filters {
  const status = q.get('status') ?? '';
  const kind = q.get('kind') ?? '';
  const sort = q.get('sort') ?? '';
  return {
    area: q.get('area') ?? '',
    status: (STATUSES as readonly string[]).includes(status) ? (status as DeviceListStatus) : '',
    kind: (KINDS as readonly string[]).includes(kind) ? (kind as Filters['kind']) : '',
    q: q.get('q') ?? '',
    sort: (SORTS as readonly string[]).includes(sort) ? (sort as SortKey) : SORTS[0],
  };
}

/** The URL of a state: only what differs from the defaults, so a plain link stays `#/devices`. */
export function hashOf(f: Filters): string {
  const q = new URLSearchParams();
  if (f.area) q.set('area', f.area);
  if (f.status) q.set('status', f.status);
  if (f.kind) q.set('kind', f.kind);
  if (f.q.trim()) q.set('q', f.q.trim());
  if (f.sort !== SORTS[0]) q.set('sort', f.sort);
  const s = q.toString();
  return `#/devices${s ? `?${s}` : ''}`;
}

/** GET /api/v1/devices parameters of a state (server/src/devices/device-list.service.ts does the rest). */
export function listQuery(f: Filters, cursor?: string | null): Record<string, string | number | undefined> {
  const [sort, order] = f.sort.split(':') as [DeviceListSort, 'asc' | 'desc'];
  return {
    limit: PAGE,
    areaCode: f.area || undefined,
    status: f.status || undefined,
    kind: f.kind || undefined,
    q: f.q.trim() || undefined,
    sort,
    order,
    cursor: cursor ?? undefined,
  };
}

/** The rows loaded so far for one state of the filters. */
export interface Loaded {
  key: string;
  items: DeviceListItem[];
  total: number;
  counts: DeviceStatusCounts;
  nextCursor: string | null;
}

/**
 * The next page appended. A device that moved up while paging (a cursor is stable, but a live sort key such as "last
 * seen" changes) is kept once, where it was first shown.
 */
export function appendPage(prev: Loaded, page: DevicePage): Loaded {
  const seen = new Set(prev.items.map((d) => d.id));
  return { ...prev, items: [...prev.items, ...page.items.filter((d) => !seen.has(d.id))], total: page.total, counts: page.counts, nextCursor: page.nextCursor };
}

/** Rewrites the hash without a history entry per keystroke, and tells the router. */
function setHash(f: Filters): void {
  const next = hashOf(f);
  if (location.hash === next) return;
  history.replaceState(null, '', next);
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}

export function DevicesPage({ route, session }: PageProps) {
  const t = useT(S);
  const c = useCommon();
  const areas = useAreas();
  // Issue 19: cards on a phone (offline first), the table on a desktop; bulk commands for whoever may send commands.
  const phone = usePhone();
  const canCommand = can(session.user, 'command');
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const toggle = (id: string) =>
    setSelected((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const filters = filtersOf(route.query);
  const key = hashOf(filters);
  const [text, setText] = useState(filters.q);
  const [moreError, setMoreError] = useState<unknown>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  // "3 phút trước" moves on even when nothing is reported.
  const [, setTick] = useState(0);
  useEffect(() => {
    const id = setInterval(() => setTick((n) => n + 1), 30_000);
    return () => clearInterval(id);
  }, []);

  // The server filters, sorts and pages (the whole province never comes to the phone); one request per state.
  const list = useAsync<Loaded>(
    () => get<DevicePage>('/api/v1/devices', listQuery(filters)).then((p) => ({ key, items: p.items, total: p.total, counts: p.counts, nextCursor: p.nextCursor })),
    [key],
  );
  const current = list.data?.key === key ? list.data : undefined;
  const shown = list.data; // the previous state's rows stay visible (dimmed) while the next one loads

  const loadMore = async () => {
    const from = current;
    if (!from?.nextCursor) return;
    setLoadingMore(true);
    setMoreError(null);
    try {
      const page = await get<DevicePage>('/api/v1/devices', listQuery(filters, from.nextCursor));
      list.set((prev) => (prev && prev.key === from.key && prev.nextCursor === from.nextCursor ? appendPage(prev, page) : prev));
    } catch (e) {
      setMoreError(e);
    } finally {
      setLoadingMore(false);
    }
  };

  // Text box → URL, debounced: one request once typing pauses, not one per keystroke.
  const pushed = useRef(filters.q);
  const latest = useRef(filters);
  latest.current = filters;
  useEffect(() => {
    if (text === filters.q) return;
    const id = setTimeout(() => {
      pushed.current = text;
      setHash({ ...latest.current, q: text });
    }, 300);
    return () => clearTimeout(id);
  }, [text]);
  // URL → text box (back button, a link), but not the echo of what was just typed.
  useEffect(() => {
    if (filters.q !== pushed.current) setText(filters.q);
    pushed.current = filters.q;
  }, [filters.q]);

  // Live updates of the rows on screen, batched.
  const pending = useRef(new Map<string, Array<PresenceEvent | TelemetryEvent>>());
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const countsTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const flush = () => {
    timer.current = null;
    const batch = pending.current;
    if (batch.size === 0) return;
    pending.current = new Map();
    list.set((prev) => {
      if (!prev) return prev;
      let changed = false;
      const items = prev.items.map((d) => {
        const evs = batch.get(d.id);
        if (!evs) return d;
        changed = true;
        return evs.reduce<DeviceListItem>((acc, e) => ({ ...acc, ...(e.type === 'device.presence' ? withPresence(acc, e) : withTelemetry(acc, e)) }), d);
      });
      return changed ? { ...prev, items } : prev;
    });
  };
  // The chips count the whole filtered list, most of it not on screen: ask the server again, at most once per COUNTS_MS.
  const refreshCounts = () => {
    countsTimer.current ??= setTimeout(() => {
      countsTimer.current = null;
      const f = latest.current;
      const k = hashOf(f);
      get<DevicePage>('/api/v1/devices', { ...listQuery(f), limit: 1 }).then(
        (p) => list.set((prev) => (prev && prev.key === k ? { ...prev, total: p.total, counts: p.counts } : prev)),
        () => undefined, // the next change asks again; the rows are still right
      );
    }, COUNTS_MS);
  };
  const queue = (e: PresenceEvent | TelemetryEvent) => {
    if (e.type === 'device.presence') refreshCounts();
    const arr = pending.current.get(e.deviceId) ?? [];
    arr.push(e);
    pending.current.set(e.deviceId, arr);
    if (e.type === 'device.presence') {
      // Presence is what people watch for: show it at once (still one render for a burst).
      if (timer.current) clearTimeout(timer.current);
      timer.current = setTimeout(flush, 50);
    } else timer.current ??= setTimeout(flush, FLUSH_MS);
  };
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
      if (countsTimer.current) clearTimeout(countsTimer.current);
    },
    [],
  );
  useLive('device.presence', (e) => queue(e as unknown as PresenceEvent));
  useLive('device.telemetry', (e) => queue(e as unknown as TelemetryEvent));
  const onAlarm = (deviceId: string, delta: number) => {
    refreshCounts();
    list.set((prev) => (prev?.items.some((d) => d.id === deviceId) ? { ...prev, items: prev.items.map((d) => (d.id === deviceId ? { ...d, activeAlarms: Math.max(0, d.activeAlarms + delta) } : d)) } : prev));
  };
  useLive('alarm.raised', (e) => onAlarm((e as unknown as AlarmEvent).alarm.deviceId, 1));
  useLive('alarm.cleared', (e) => onAlarm((e as unknown as AlarmEvent).alarm.deviceId, -1));

  const set = (patch: Partial<Filters>) => setHash({ ...filters, q: text, ...patch });
  const anyFilter = Boolean(filters.area || filters.status || filters.kind || filters.q);
  const counts = shown?.counts;
  const chip = (status: DeviceListStatus | '', label: string, n: number | undefined) => (
    <button
      type="button"
      key={status || 'all'}
      class={filters.status === status ? 'primary' : undefined}
      aria-pressed={filters.status === status}
      data-testid="status-chip"
      data-status={status || 'all'}
      onClick={() => set({ status })}
    >
      {label}
      {n === undefined ? null : <span class="small"> {n}</span>}
    </button>
  );

  return (
    <section>
      <PageHeader title={t('title')}>
        <button type="button" onClick={() => list.reload()} disabled={list.loading}>
          {c('refresh')}
        </button>
      </PageHeader>
      <div class="filters" data-testid="device-filters">
        <Field label={c('search')}>
          <input type="search" value={text} placeholder={t('search')} data-testid="filter-q" enterKeyHint="search" onInput={(e) => setText((e.target as HTMLInputElement).value)} />
        </Field>
        <Field label={c('area')}>
          <AreaSelect value={filters.area} onChange={(area) => set({ area })} allowAll />
        </Field>
        <Field label={c('kind')}>
          <select value={filters.kind} data-testid="filter-kind" onChange={(e) => set({ kind: (e.target as HTMLSelectElement).value as Filters['kind'] })}>
            <option value="">{t('kindAll')}</option>
            <option value="speaker">{c('speaker')}</option>
            <option value="board">{c('board')}</option>
          </select>
        </Field>
        <Field label={t('sort')}>
          <select value={filters.sort} data-testid="sort" onChange={(e) => set({ sort: (e.target as HTMLSelectElement).value as SortKey })}>
            {SORTS.map((s) => (
              <option key={s} value={s}>
                {t(`sort_${s.replace(':', '_')}` as keyof typeof S.vi)}
              </option>
            ))}
          </select>
        </Field>
        {anyFilter ? (
          <button
            type="button"
            class="ghost"
            onClick={() => {
              setText('');
              setHash({ area: '', status: '', kind: '', q: '', sort: filters.sort });
            }}
          >
            {t('clear')}
          </button>
        ) : null}
      </div>
      <div class="filters" role="group" aria-label={c('status')} data-testid="status-chips">
        {chip('', t('statusAll'), counts?.all)}
        {chip('online', c('online'), counts?.online)}
        {chip('offline', c('offline'), counts?.offline)}
        {chip('alarm', t('chipAlarm'), counts?.alarm)}
        {chip('revoked', t('revoked'), counts?.revoked)}
        {chip('never', t('chipNever'), counts?.never)}
      </div>
      <DeviceMapToggle areaCode={filters.area || undefined} />
      <ErrorBox error={list.error} />
      <Loading when={list.loading && !shown} />
      {shown ? (
        <div style={{ opacity: current ? 1 : 0.55 }} aria-busy={!current}>
          <p class="muted small" data-testid="device-count" data-total={shown.total}>
            {t('shown', { shown: shown.items.length, total: shown.total })}
          </p>
          {canCommand && shown.items.length > 0 ? <SelectAll ids={shown.items.map((d) => d.id)} selected={selected} onSet={(ids) => setSelected(new Set(ids))} /> : null}
          {phone ? <DeviceCards items={shown.items} areaOf={(code) => areaName(areas, code)} selected={selected} onToggle={toggle} selectable={canCommand} /> : null}
          {phone && shown.items.length === 0 ? <p class="muted empty">{t('noMatch')}</p> : null}
          {phone ? null : (
          <div class="table-wrap">
            <table data-testid="device-table">
              <thead>
                <tr>
                  {canCommand ? <th aria-hidden /> : null}
                  <th>{t('name')}</th>
                  <th>{c('status')}</th>
                  <th>{c('area')}</th>
                  <th>{t('lastSeen')}</th>
                  <th>{t('alarms')}</th>
                  <th class="hide-phone">{c('kind')}</th>
                  <th class="hide-phone">{t('volume')}</th>
                  <th class="hide-phone">{t('playing')}</th>
                  <th class="hide-phone">{t('agent')}</th>
                  <th class="hide-phone">{t('disk')}</th>
                </tr>
              </thead>
              <tbody>
                {shown.items.map((d) => (
                  <DeviceRow
                    key={d.id}
                    d={d}
                    area={areaName(areas, d.areaCode)}
                    revoked={t('revoked')}
                    playingLabel={t('playing')}
                    select={canCommand ? <SelectCell id={d.id} name={d.name} selected={selected.has(d.id)} onToggle={toggle} /> : null}
                  />
                ))}
              </tbody>
            </table>
            {shown.items.length === 0 ? <p class="muted empty" style={{ padding: '0 .75rem' }}>{t('noMatch')}</p> : null}
          </div>
          )}
          <ErrorBox error={moreError} />
          {current?.nextCursor ? (
            <button type="button" data-testid="show-more" disabled={loadingMore} onClick={() => void loadMore()} style={{ width: '100%', justifyContent: 'center' }}>
              {t('showMore', { n: Math.min(PAGE, Math.max(1, current.total - current.items.length)) })}
            </button>
          ) : null}
        </div>
      ) : null}
      {canCommand && selected.size > 0 ? (
        <BulkBar selected={[...selected]} names={new Map((shown?.items ?? []).map((d) => [d.id, d.name]))} onClear={() => setSelected(new Set())} />
      ) : null}
    </section>
  );
}

function DeviceRow({ d, area, revoked, playingLabel, select }: { d: DeviceListItem; area: string; revoked: string; playingLabel: string; select: ComponentChildren }) {
  const c = useCommon();
  const tm = d.telemetry;
  const playingSchedule = tm?.playing ? scheduleOfOccurrence(tm.playing) : null;
  return (
    <tr class="clickable" data-testid="device-row" data-device-id={d.id} data-online={String(d.online)} onClick={() => navigate(`/device/${encodeURIComponent(d.id)}`)}>
      {select}
      <td class="wrap" style={{ minWidth: '9rem' }}>
        <a href={href(`/device/${encodeURIComponent(d.id)}`)} onClick={(e) => e.stopPropagation()}>
          {d.name}
        </a>
        <div class="muted small">{d.id}</div>
      </td>
      <td>
        <OnlineBadge online={d.online} />
        {d.revokedAt ? (
          <>
            {' '}
            <Badge tone="bad">{revoked}</Badge>
          </>
        ) : null}
        <div class="muted small" title={fmtInstant(d.presenceChangedAt)}>
          {d.presenceChangedAt ? fmtAgo(d.presenceChangedAt) : '—'}
        </div>
      </td>
      <td class="wrap" style={{ minWidth: '7rem' }}>
        {area}
      </td>
      <td title={fmtInstant(d.lastSeenAt)}>{d.lastSeenAt ? fmtAgo(d.lastSeenAt) : '—'}</td>
      <td>{d.activeAlarms ? <Badge tone="warn">{d.activeAlarms}</Badge> : <span class="muted">0</span>}</td>
      <td class="hide-phone">{d.kind === 'board' ? c('board') : c('speaker')}</td>
      <td class="hide-phone">
        <VolumeText volume={tm?.volume} muted={tm?.muted} />
      </td>
      <td class="hide-phone">
        {tm?.playing ? (
          playingSchedule ? (
            <a href={href(`/deliveries/${encodeURIComponent(playingSchedule)}`)} onClick={(e) => e.stopPropagation()} title={tm.playing}>
              <Badge tone="info">▶ {playingLabel}</Badge>
            </a>
          ) : (
            <span title={tm.playing}>
              <Badge tone="info">▶ {playingLabel}</Badge>
            </span>
          )
        ) : (
          <span class="muted">—</span>
        )}
      </td>
      <td class="hide-phone">{d.agentVersion ?? '—'}</td>
      <td class="hide-phone">{fmtBytes(tm?.freeDiskBytes)}</td>
    </tr>
  );
}
