import { useEffect, useRef, useState } from 'preact/hooks';
import { get } from '../api.js';
import { fmtDateTime, fmtDuration } from '../format.js';
import { defineStrings, useT } from '../i18n.js';
import { useLive } from '../live.js';
import { href } from '../router.js';
import type { DeliveryState } from '@loa/shared/rest';
import { ActionButton, Badge, ErrorBox, Loading, toneOf, useAsync } from '../ui.js';
import { useWords } from './schedule-common.js';
import type { DeviceDeliveryView } from '@loa/shared/rest';


const S = defineStrings({
  vi: {
    title: 'Lượt phát gần đây',
    time: 'Thời gian',
    content: 'Bản tin',
    state: 'Trạng thái',
    played: 'Thời lượng phát',
    reason: 'Lý do',
    older: 'Xem cũ hơn',
    none: 'Thiết bị chưa có lượt phát nào',
  },
  en: {
    title: 'Recent deliveries',
    time: 'Time',
    content: 'Content',
    state: 'State',
    played: 'Played',
    reason: 'Reason',
    older: 'Load older',
    none: 'No deliveries to this device yet',
  },
});

const PAGE = 20;
/** The server's largest page: a live refresh re-reads what is shown, up to this. */
const MAX = 500;

interface Loaded {
  items: DeviceDeliveryView[];
  more: boolean;
}

/** This device's deliveries across schedules, newest occurrence first, 20 at a time; re-read on its delivery events. */
export function DeviceDeliveries({ deviceId }: { deviceId: string }) {
  const t = useT(S);
  const words = useWords();
  const path = `/api/v1/devices/${encodeURIComponent(deviceId)}/deliveries`;
  // A refresh re-reads as many rows as are shown, so older pages already loaded do not fall out of the list.
  const shown = useRef(PAGE);
  const list = useAsync(async (): Promise<Loaded> => {
    const limit = Math.min(MAX, Math.max(PAGE, shown.current));
    const items = await get<DeviceDeliveryView[]>(path, { limit });
    return { items, more: items.length === limit };
  }, [deviceId]);
  const items = list.data?.items ?? [];
  shown.current = items.length;

  const loadOlder = async () => {
    const last = items[items.length - 1];
    if (!last) return;
    // One millisecond later and de-duplicated: occurrences sharing the last one's start are not skipped.
    const page = await get<DeviceDeliveryView[]>(path, { limit: PAGE, before: new Date(Date.parse(last.occurrenceStartAt) + 1).toISOString() });
    list.set((prev) => {
      if (!prev) return prev;
      const known = new Set(prev.items.map((x) => x.occurrenceId));
      const fresh = page.filter((x) => !known.has(x.occurrenceId));
      return { items: [...prev.items, ...fresh], more: page.length === PAGE && fresh.length > 0 };
    });
  };

  // State changes come in bursts (a whole timeline at once): one re-read per short window.
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
      list.reload();
    }, 1000);
  });

  return (
    <div class="card" data-testid="device-deliveries">
      <h2>{t('title')}</h2>
      <ErrorBox error={list.error} />
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th>{t('time')}</th>
              <th>{t('content')}</th>
              <th>{t('state')}</th>
              <th class="hide-phone">{t('played')}</th>
              <th>{t('reason')}</th>
            </tr>
          </thead>
          <tbody>
            {items.map((x) => (
              <tr key={x.occurrenceId} data-testid="device-delivery-row" data-state={x.state} data-schedule-id={x.scheduleId} data-occurrence-id={x.occurrenceId}>
                <td>{fmtDateTime(x.occurrenceStartAt)}</td>
                <td class="wrap" style={{ minWidth: '10rem' }}>
                  <a href={href(`/deliveries/${encodeURIComponent(x.scheduleId)}?occurrence=${encodeURIComponent(x.occurrenceId)}`)}>{x.contentTitle ?? x.contentId}</a>
                  {x.priority !== 'normal' ? <span class="muted small"> · {words.priority(x.priority)}</span> : null}
                </td>
                <td>
                  <Badge tone={toneOf(x.state)}>{words.state(x.state)}</Badge>
                </td>
                <td class="hide-phone">{fmtDuration(x.playedMs)}</td>
                <td class="wrap small">{x.reason ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {list.data && items.length === 0 ? <p class="muted empty" style={{ padding: '0 .75rem' }}>{t('none')}</p> : null}
        <Loading when={list.loading && !list.data} />
      </div>
      {list.data?.more ? (
        <div class="row" style={{ marginTop: '.5rem' }}>
          <ActionButton data-testid="device-deliveries-older" onClick={loadOlder}>
            {t('older')}
          </ActionButton>
        </div>
      ) : null}
    </div>
  );
}
