/**
 * The red banner above every page (issue 18): the active alerts covering the signed-in user's areas, from
 * GET /api/v1/alerts/banner, with "đã phát N/M" kept live by `alert.progress` events. It looks again when an alert
 * job finishes (confirm, cancel, replace: `fanout.progress` of kind alert), when the live stream reconnects, when the
 * tab comes back to the front and when an alert's start or end comes round, so a cancelled or lapsed alert leaves.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, get } from '../api.js';
import { defineStrings, useT } from '../i18n.js';
import { useLive, useLiveStatus, type LiveEvent } from '../live.js';
import { href } from '../router.js';
import type { AlertBannerItem } from '@loa/shared/rest';
import { applySummary, inForce, nextChange, summaryFromEvent } from '../pages/alert-progress.js';

const S = defineStrings({
  vi: {
    label: 'CẢNH BÁO KHẨN',
    played: 'đã phát {n}/{m}',
    open: 'Xem chi tiết',
    region: 'Cảnh báo khẩn đang có hiệu lực',
  },
  en: {
    label: 'EMERGENCY ALERT',
    played: 'played {n}/{m}',
    open: 'Details',
    region: 'Emergency alerts in force',
  },
});

/** Many events may arrive at once (a province-wide alert): one re-read for them all. */
const DEBOUNCE_MS = 800;

export function AlertBanner() {
  const t = useT(S);
  const live = useLiveStatus();
  const [items, setItems] = useState<AlertBannerItem[]>([]);
  const [now, setNow] = useState(Date.now());
  const seq = useRef(0);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  /** An older server has no banner endpoint: stop asking. */
  const absent = useRef(false);

  const load = () => {
    if (absent.current) return;
    const mine = ++seq.current;
    get<AlertBannerItem[]>('/api/v1/alerts/banner').then(
      (xs) => {
        if (mine !== seq.current) return;
        setItems(Array.isArray(xs) ? xs : []);
        setNow(Date.now());
      },
      (e: unknown) => {
        // A banner that cannot load says nothing rather than cover the page with an error; the next trigger retries.
        if (e instanceof ApiError && e.status === 404) absent.current = true;
      },
    );
  };
  const loadSoon = () => {
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      load();
    }, DEBOUNCE_MS);
  };

  useEffect(() => {
    load();
    const onFront = () => !document.hidden && load();
    document.addEventListener('visibilitychange', onFront);
    window.addEventListener('focus', onFront);
    return () => {
      document.removeEventListener('visibilitychange', onFront);
      window.removeEventListener('focus', onFront);
      if (timer.current) clearTimeout(timer.current);
    };
  }, []);

  // Events missed before the stream was (re)connected: read again once it is up.
  useEffect(() => {
    if (live) load();
  }, [live]);

  // An alert starting or ending needs no event to show or leave.
  useEffect(() => {
    const at = nextChange(items, Date.now());
    if (at === null) return;
    const id = setTimeout(() => {
      setNow(Date.now());
      load();
    }, Math.min(at - Date.now() + 500, 2 ** 31 - 1));
    return () => clearTimeout(id);
  }, [items]);

  useLive('alert.progress', (e) => {
    const s = summaryFromEvent(e);
    if (!s) return;
    setItems((xs) => {
      const u = applySummary(xs, s);
      if (u.unknown) loadSoon();
      return u.items;
    });
  });
  useLive('fanout.progress', (e: LiveEvent) => {
    const job = e.job as { kind?: string; state?: string } | undefined;
    if (job?.kind === 'alert' && (job.state === 'done' || job.state === 'failed')) loadSoon();
  });
  // Whatever else the server says about alerts (status changes) is a reason to look again.
  useLive('*', (e) => {
    if (e.type.startsWith('alert.') && e.type !== 'alert.progress') loadSoon();
  });

  const shown = inForce(items, now);
  if (shown.length === 0) return null;
  return (
    <section class="alert-banner" role="alert" aria-label={t('region')} data-testid="alert-banner">
      {shown.map((b) => (
        <a key={b.id} class="alert-banner-item" href={href(`/alert/${encodeURIComponent(b.id)}`)} data-testid="alert-banner-item" data-alert-id={b.id} data-played={b.played} data-total={b.total}>
          <span class="alert-banner-label">⚠ {t('label')}</span>
          <strong class="alert-banner-title">{b.title}</strong>
          <span class="alert-banner-area">{b.areaName}</span>
          <span class="alert-banner-count" data-testid="alert-banner-count">
            {t('played', { n: b.played, m: b.total })}
          </span>
          <span class="alert-banner-open">{t('open')} ›</span>
        </a>
      ))}
    </section>
  );
}
