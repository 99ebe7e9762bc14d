/**
 * A device's slots on its page, issue 19: "Sắp phát" (still to come, soonest first) apart from "Đã phát" (started,
 * latest first), each paged on its own — the server splits them at its own clock (`when=upcoming|past`), so
 * tomorrow's slot never heads the list as if it were news. Re-read on the device's delivery events.
 */
import { useEffect, useRef } from 'preact/hooks';
import { get } from '../api.js';
import { fmtDateTime, fmtDuration } from '../format.js';
import { defineStrings, useT } from '../i18n.js';
import { useLive } from '../live.js';
import { href } from '../router.js';
import type { DeviceDeliveryView } from '@loa/shared/rest';
import { ActionButton, Badge, Loading, toneOf, useAsync } from '../ui.js';
import { DataTable, type Column } from '../components/data-table.js';
import { Notice } from '../components/notice.js';
import { useWords } from './schedule-common.js';

const S = defineStrings({
  vi: {
    title: 'Lượt phát của thiết bị',
    upcoming: 'Sắp phát',
    played: 'Đã phát',
    time: 'Thời gian',
    content: 'Bản tin',
    state: 'Trạng thái',
    duration: 'Thời lượng phát',
    reason: 'Lý do',
    more: 'Xem thêm',
    older: 'Xem cũ hơn',
    noneUpcoming: 'Chưa có lượt phát nào sắp tới.',
    nonePlayed: 'Thiết bị chưa phát lượt nào.',
  },
  en: {
    title: "This device's slots",
    upcoming: 'Upcoming',
    played: 'Played',
    time: 'Time',
    content: 'Content',
    state: 'State',
    duration: 'Played',
    reason: 'Reason',
    more: 'Show more',
    older: 'Load older',
    noneUpcoming: 'Nothing scheduled yet.',
    nonePlayed: 'Nothing played on this device yet.',
  },
});

const PAGE = 20;
/** The server's largest page: a live refresh re-reads what is shown, up to this. */
const MAX = 500;

type When = 'upcoming' | 'past';

interface Loaded {
  items: DeviceDeliveryView[];
  more: boolean;
}

/** One side of the split, paged from its edge: `after` the last upcoming one, `before` the last played one. */
function useSlots(deviceId: string, when: When) {
  const path = `/api/v1/devices/${encodeURIComponent(deviceId)}/deliveries`;
  // A refresh re-reads as many rows as are shown, so pages already loaded do not fall out of the list.
  const shown = useRef(PAGE);
  const list = useAsync(async (): Promise<Loaded> => {
    const limit = Math.min(MAX, Math.max(PAGE, shown.current));
    const items = await get<DeviceDeliveryView[]>(path, { when, limit });
    return { items, more: items.length === limit };
  }, [deviceId, when]);
  shown.current = list.data?.items.length ?? PAGE;
  const loadMore = async () => {
    const items = list.data?.items ?? [];
    const last = items[items.length - 1];
    if (!last) return;
    // One millisecond past the edge and de-duplicated: slots sharing the last one's start are not skipped.
    const edge = Date.parse(last.occurrenceStartAt);
    const page = await get<DeviceDeliveryView[]>(path, when === 'upcoming' ? { when, limit: PAGE, after: new Date(edge - 1).toISOString() } : { when, limit: PAGE, before: new Date(edge + 1).toISOString() });
    list.set((prev) => {
      if (!prev) return prev;
      const known = new Set(prev.items.map((x) => `${x.occurrenceId}`));
      const fresh = page.filter((x) => !known.has(x.occurrenceId));
      return { items: [...prev.items, ...fresh], more: page.length === PAGE && fresh.length > 0 };
    });
  };
  return { list, loadMore };
}

export function DeviceDeliveries({ deviceId }: { deviceId: string }) {
  const t = useT(S);
  const upcoming = useSlots(deviceId, 'upcoming');
  const played = useSlots(deviceId, 'past');

  // State changes come in bursts (a whole timeline at once): one re-read per short window. A slot moves from
  // "upcoming" to "played" when it starts: its first report is that event.
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );
  useLive('delivery.state', (e) => {
    if (e.deviceId !== deviceId || timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      upcoming.list.reload();
      played.list.reload();
    }, 1000);
  });

  return (
    <div class="card" data-testid="device-deliveries">
      <h2>{t('title')}</h2>
      <Slots testId="device-upcoming" title={t('upcoming')} none={t('noneUpcoming')} moreLabel={t('more')} {...upcoming} />
      <Slots testId="device-played" title={t('played')} none={t('nonePlayed')} moreLabel={t('older')} {...played} />
    </div>
  );
}

function Slots({ testId, title, none, moreLabel, list, loadMore }: { testId: string; title: string; none: string; moreLabel: string } & ReturnType<typeof useSlots>) {
  const t = useT(S);
  const words = useWords();
  const items = list.data?.items ?? [];
  const columns: Array<Column<DeviceDeliveryView>> = [
    { key: 'time', label: t('time'), render: (x) => fmtDateTime(x.occurrenceStartAt) },
    {
      key: 'content',
      label: t('content'),
      phone: 'title',
      class: 'wrap',
      render: (x) => (
        <>
          <a href={href(`/deliveries/${encodeURIComponent(x.scheduleId)}?occurrence=${encodeURIComponent(x.occurrenceId)}`)}>{x.contentTitle ?? x.contentId}</a>
          {x.priority !== 'normal' ? <span class="muted small"> · {words.priority(x.priority)}</span> : null}
        </>
      ),
    },
    { key: 'state', label: t('state'), render: (x) => <Badge tone={toneOf(x.state)}>{words.state(x.state)}</Badge> },
    { key: 'duration', label: t('duration'), phone: 'hide', render: (x) => fmtDuration(x.playedMs) },
    { key: 'reason', label: t('reason'), class: 'wrap small', render: (x) => x.reason ?? '' },
  ];
  return (
    <section data-testid={testId} data-count={items.length} style={{ marginTop: '.75rem' }}>
      <h3>
        {title} {list.data ? <span class="muted small">({items.length}{list.data.more ? '+' : ''})</span> : null}
      </h3>
      <Notice tone="error" error={list.error} />
      <Loading when={list.loading && !list.data} />
      <DataTable
        rows={items}
        columns={columns}
        rowKey={(x) => x.occurrenceId}
        rowProps={(x) => ({ 'data-testid': 'device-delivery-row', 'data-state': x.state, 'data-schedule-id': x.scheduleId, 'data-occurrence-id': x.occurrenceId, 'data-start': x.occurrenceStartAt })}
        empty={list.data ? none : undefined}
      />
      {list.data?.more ? (
        <div class="row" style={{ marginTop: '.5rem' }}>
          <ActionButton data-testid={`${testId}-more`} onClick={loadMore}>
            {moreLabel}
          </ActionButton>
        </div>
      ) : null}
    </section>
  );
}
