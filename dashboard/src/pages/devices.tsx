import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type { PageProps } from '../app.js';
import { get } from '../api.js';
import { fmtAgo, fmtBytes } from '../format.js';
import { defineStrings, useCommon, useT } from '../i18n.js';
import { useLive } from '../live.js';
import { href, navigate } from '../router.js';
import type { AlarmView, AreaView, DeviceView } from '@loa/shared/rest';
import { AreaSelect, Badge, ErrorBox, Field, Loading, OnlineBadge, PageHeader, areaName, useAreas, useAsync } from '../ui.js';
import { VolumeText, fmtInstant, scheduleOfOccurrence, withPresence, withTelemetry, type AlarmEvent, type PresenceEvent, type TelemetryEvent } from './device-common.js';

const S = defineStrings({
  vi: {
    title: 'Thiết bị',
    search: 'Tìm theo mã hoặc tên',
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
    counts: '{online} trực tuyến · {offline} mất kết nối',
    showMore: 'Xem thêm {n} thiết bị',
    noMatch: 'Không có thiết bị nào phù hợp',
    clear: 'Bỏ lọc',
    revoked: 'Đã thu hồi',
  },
  en: {
    title: 'Devices',
    search: 'Search by id or name',
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
    counts: '{online} online · {offline} offline',
    showMore: 'Show {n} more',
    noMatch: 'No device matches',
    clear: 'Clear filters',
    revoked: 'Revoked',
  },
});

const PAGE = 200;
/** One collator for 10,000 names (localeCompare with options builds one per call). */
const collator = new Intl.Collator('vi', { numeric: true });
/** Live updates are applied in one render per this interval, however many devices report. */
const FLUSH_MS = 700;

interface Filters {
  area: string;
  status: string;
  kind: string;
  q: string;
}

const filtersOf = (q: URLSearchParams): Filters => ({ area: q.get('area') ?? '', status: q.get('status') ?? '', kind: q.get('kind') ?? '', q: q.get('q') ?? '' });

/** Rewrites the hash query without a history entry per keystroke, and tells the router. */
function setHashQuery(f: Filters): void {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(f)) if (v) q.set(k, v);
  const s = q.toString();
  const next = `#/devices${s ? `?${s}` : ''}`;
  if (location.hash === next) return;
  history.replaceState(null, '', next);
  window.dispatchEvent(new HashChangeEvent('hashchange'));
}

const fold = (s: string): string =>
  s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D')
    .toLowerCase();

const byName = (list: DeviceView[]): DeviceView[] => list.sort((a, b) => collator.compare(a.name, b.name) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));

/** Folded "id name" per device object; live updates make new objects only for the devices that changed. */
const searchText = new WeakMap<DeviceView, string>();
const haystack = (d: DeviceView): string => {
  let s = searchText.get(d);
  if (s === undefined) searchText.set(d, (s = `${fold(d.id)}\u0000${fold(d.name)}`));
  return s;
};

export function DevicesPage({ route }: PageProps) {
  const t = useT(S);
  const c = useCommon();
  const areas = useAreas();
  const filters = filtersOf(route.query);
  const [text, setText] = useState(filters.q);
  const [limit, setLimit] = useState(PAGE);
  // "3 phút trước" moves on even when nothing is reported.
  const [, setTick] = useState(0);
  useEffect(() => {
    const id = setInterval(() => setTick((n) => n + 1), 30_000);
    return () => clearInterval(id);
  }, []);

  // The server narrows to the area's subtree; status, kind and text filter here (no round trip per keystroke).
  // Sorted once here: live updates keep the order, so filtering never re-sorts 10,000 rows.
  const list = useAsync(() => get<DeviceView[]>('/api/v1/devices', { areaCode: filters.area || undefined }).then(byName), [filters.area]);
  const alarms = useAsync(() => get<AlarmView[]>('/api/v1/alarms', { active: 'true', limit: 5000 }).catch(() => [] as AlarmView[]), []);

  // Text box → hash, debounced.
  const pushed = useRef(filters.q);
  const latest = useRef(filters);
  latest.current = filters;
  useEffect(() => {
    if (text === filters.q) return;
    const id = setTimeout(() => {
      pushed.current = text;
      setHashQuery({ ...latest.current, q: text });
    }, 250);
    return () => clearTimeout(id);
  }, [text]);
  // Hash → text box (back button, a link), but not the echo of what was just typed.
  useEffect(() => {
    if (filters.q !== pushed.current) setText(filters.q);
    pushed.current = filters.q;
  }, [filters.q]);
  useEffect(() => setLimit(PAGE), [filters.area, filters.status, filters.kind, filters.q]);

  // Live updates, batched.
  const pending = useRef(new Map<string, Array<PresenceEvent | TelemetryEvent>>());
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const flush = () => {
    timer.current = null;
    const batch = pending.current;
    if (batch.size === 0) return;
    pending.current = new Map();
    list.set((prev) => {
      if (!prev) return prev;
      let changed = false;
      const next = prev.map((d) => {
        const evs = batch.get(d.id);
        if (!evs) return d;
        changed = true;
        return evs.reduce((acc, e) => (e.type === 'device.presence' ? withPresence(acc, e) : withTelemetry(acc, e)), d);
      });
      return changed ? next : prev;
    });
  };
  const queue = (e: PresenceEvent | TelemetryEvent) => {
    const arr = pending.current.get(e.deviceId) ?? [];
    arr.push(e);
    pending.current.set(e.deviceId, arr);
    if (e.type === 'device.presence') {
      // Presence is what people watch for: show it at once (still one render for a burst).
      if (timer.current) clearTimeout(timer.current);
      timer.current = setTimeout(flush, 50);
    } else timer.current ??= setTimeout(flush, FLUSH_MS);
  };
  useEffect(() => () => void (timer.current && clearTimeout(timer.current)), []);
  useLive('device.presence', (e) => queue(e as unknown as PresenceEvent));
  useLive('device.telemetry', (e) => queue(e as unknown as TelemetryEvent));
  useLive('alarm.raised', (e) => {
    const a = (e as unknown as AlarmEvent).alarm;
    alarms.set((prev) => (prev ? [a, ...prev.filter((x) => x.id !== a.id)] : prev));
  });
  useLive('alarm.cleared', (e) => {
    const a = (e as unknown as AlarmEvent).alarm;
    alarms.set((prev) => (prev ? prev.filter((x) => x.id !== a.id) : prev));
  });

  const alarmCount = useMemo(() => {
    const m = new Map<string, number>();
    for (const a of alarms.data ?? []) if (a.active) m.set(a.deviceId, (m.get(a.deviceId) ?? 0) + 1);
    return m;
  }, [alarms.data]);

  const areaPath = useMemo(() => new Map(areas.map((a: AreaView) => [a.code, a.path])), [areas]);
  const all = list.data ?? [];
  const filtered = useMemo(() => {
    const needle = fold(filters.q.trim());
    const root = filters.area ? areaPath.get(filters.area) : undefined;
    return all.filter((d) => {
      if (filters.status === 'online' && !d.online) return false;
      if (filters.status === 'offline' && d.online) return false;
      if (filters.kind && d.kind !== filters.kind) return false;
      // The server already answered the subtree; this keeps a device moved away meanwhile out.
      if (root) {
        const p = areaPath.get(d.areaCode);
        if (p && !p.startsWith(root)) return false;
      }
      if (needle && !haystack(d).includes(needle)) return false;
      return true;
    });
  }, [all, filters.status, filters.kind, filters.q, filters.area, areaPath]);
  const online = filtered.filter((d) => d.online).length;
  const rows = filtered.slice(0, limit);
  const set = (patch: Partial<Filters>) => setHashQuery({ ...filters, q: text, ...patch });
  const anyFilter = Boolean(filters.area || filters.status || filters.kind || filters.q);

  return (
    <section>
      <PageHeader title={t('title')}>
        <button type="button" onClick={() => list.reload()} disabled={list.loading}>
          {c('refresh')}
        </button>
      </PageHeader>
      <div class="filters" data-testid="device-filters">
        <Field label={c('area')}>
          <AreaSelect value={filters.area} onChange={(area) => set({ area })} allowAll />
        </Field>
        <Field label={c('status')}>
          <select value={filters.status} data-testid="filter-status" onChange={(e) => set({ status: (e.target as HTMLSelectElement).value })}>
            <option value="">{t('statusAll')}</option>
            <option value="online">{c('online')}</option>
            <option value="offline">{c('offline')}</option>
          </select>
        </Field>
        <Field label={c('kind')}>
          <select value={filters.kind} data-testid="filter-kind" onChange={(e) => set({ kind: (e.target as HTMLSelectElement).value })}>
            <option value="">{t('kindAll')}</option>
            <option value="speaker">{c('speaker')}</option>
            <option value="board">{c('board')}</option>
          </select>
        </Field>
        <Field label={c('search')}>
          <input type="search" value={text} placeholder={t('search')} data-testid="filter-q" onInput={(e) => setText((e.target as HTMLInputElement).value)} />
        </Field>
        {anyFilter ? (
          <button
            type="button"
            class="ghost"
            onClick={() => {
              setText('');
              setHashQuery({ area: '', status: '', kind: '', q: '' });
            }}
          >
            {t('clear')}
          </button>
        ) : null}
      </div>
      <ErrorBox error={list.error} />
      <Loading when={list.loading && !list.data} />
      {list.data ? (
        <>
          <p class="muted small" data-testid="device-count" data-total={filtered.length}>
            {t('shown', { shown: rows.length, total: filtered.length })} · {t('counts', { online, offline: filtered.length - online })}
          </p>
          <div class="table-wrap">
            <table data-testid="device-table">
              <thead>
                <tr>
                  <th>{t('name')}</th>
                  <th>{c('status')}</th>
                  <th>{c('kind')}</th>
                  <th>{c('area')}</th>
                  <th>{t('lastSeen')}</th>
                  <th>{t('volume')}</th>
                  <th>{t('playing')}</th>
                  <th>{t('agent')}</th>
                  <th>{t('disk')}</th>
                  <th>{t('alarms')}</th>
                </tr>
              </thead>
              <tbody>
                {rows.map((d) => (
                  <DeviceRow key={d.id} d={d} area={areaName(areas, d.areaCode)} alarms={alarmCount.get(d.id) ?? 0} revoked={t('revoked')} playingLabel={t('playing')} />
                ))}
              </tbody>
            </table>
            {filtered.length === 0 ? <p class="muted empty" style={{ padding: '0 .75rem' }}>{t('noMatch')}</p> : null}
          </div>
          {filtered.length > rows.length ? (
            <button type="button" data-testid="show-more" onClick={() => setLimit(limit + PAGE)}>
              {t('showMore', { n: Math.min(PAGE, filtered.length - rows.length) })}
            </button>
          ) : null}
        </>
      ) : null}
    </section>
  );
}

function DeviceRow({ d, area, alarms, revoked, playingLabel }: { d: DeviceView; area: string; alarms: number; revoked: string; playingLabel: string }) {
  const c = useCommon();
  const tm = d.telemetry;
  const playingSchedule = tm?.playing ? scheduleOfOccurrence(tm.playing) : null;
  return (
    <tr class="clickable" data-testid="device-row" data-device-id={d.id} data-online={String(d.online)} onClick={() => navigate(`/device/${encodeURIComponent(d.id)}`)}>
      <td class="wrap" style={{ minWidth: '11rem' }}>
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
      <td>{d.kind === 'board' ? c('board') : c('speaker')}</td>
      <td class="wrap" style={{ minWidth: '8rem' }}>
        {area}
      </td>
      <td title={fmtInstant(d.lastSeenAt)}>{d.lastSeenAt ? fmtAgo(d.lastSeenAt) : '—'}</td>
      <td>
        <VolumeText volume={tm?.volume} muted={tm?.muted} />
      </td>
      <td>
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
      <td>{d.agentVersion ?? '—'}</td>
      <td>{fmtBytes(tm?.freeDiskBytes)}</td>
      <td>{alarms ? <Badge tone="warn">{alarms}</Badge> : <span class="muted">0</span>}</td>
    </tr>
  );
}
