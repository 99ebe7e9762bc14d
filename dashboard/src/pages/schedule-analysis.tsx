import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, get } from '../api.js';
import { fmtDate, fmtDateTime, fmtTime } from '../format.js';
import { useCommon, useT } from '../i18n.js';
import { href } from '../router.js';
import type { ContentView, DeviceView, ScheduleView } from '@loa/shared/rest';
import { Badge, Loading } from '../ui.js';
import { priorityTone, useWords, type ConflictNotice } from './schedule-common.js';
import { S, type DryState } from './schedule-form.js';

/** Titles of other schedules named in conflict notices (their content's title). */
function useOtherTitles(ids: string[], contents: ContentView[] | undefined): Map<string, string> {
  const [titles, setTitles] = useState(new Map<string, string>());
  const joined = [...new Set(ids)].sort().join(',');
  useEffect(() => {
    let live = true;
    const todo = joined ? joined.split(',').slice(0, 20) : [];
    void Promise.all(
      todo.map((id) =>
        get<ScheduleView>(`/api/v1/schedules/${encodeURIComponent(id)}`).then(
          (s) => [id, contents?.find((x) => x.id === s.contentId)?.title ?? s.contentId] as const,
          () => [id, id] as const,
        ),
      ),
    ).then((pairs) => live && setTitles(new Map(pairs)));
    return () => {
      live = false;
    };
  }, [joined, contents]);
  return titles;
}

/**
 * The dry run's answer before saving: how many occurrences (with their real ends: the content's length, repeats and
 * gaps), devices, and the overlaps with other schedules, one line per pair of occurrences (issue 19: counted per
 * occurrence, with the devices they share), conflicts first.
 */
export function Analysis({ dry, current, problem, devById, contents }: { dry: DryState | null; current: string; problem: string | null; devById: Map<string, DeviceView>; contents: ContentView[] | undefined }) {
  const t = useT(S);
  const words = useWords();
  const r = dry?.key === current ? dry.result : undefined;
  const titles = useOtherTitles((r?.conflicts ?? []).map((n) => n.otherScheduleId), contents);
  const grouped = useMemo(() => {
    // One notice per pair of occurrences (older servers sent one per device: those are merged here).
    const m = new Map<string, { n: ConflictNotice; devices: string[]; count: number }>();
    for (const n of r?.conflicts ?? []) {
      const k = `${n.otherOccurrenceId}|${n.occurrenceStart}|${n.kind}`;
      const ids = n.deviceIds ?? [n.deviceId];
      const g = m.get(k);
      if (g) {
        g.devices.push(...ids);
        g.count += n.deviceCount ?? 1;
      } else m.set(k, { n, devices: [...ids], count: n.deviceCount ?? 1 });
    }
    return [...m.values()].sort((a, b) => (a.n.kind === b.n.kind ? a.n.otherStart.localeCompare(b.n.otherStart) : a.n.kind === 'conflict' ? -1 : 1));
  }, [r]);
  return (
    <section class="card" style={{ background: '#f8fafb' }} data-testid="schedule-analysis" aria-live="polite">
      <h3>{t('analysis')}</h3>
      {problem ? <p class="muted small">{problem}</p> : null}
      {!problem && dry?.busy ? <Loading when /> : null}
      {!problem && dry?.key === current && dry.error ? <AnalysisError error={dry.error} /> : null}
      {!problem && r ? (
        <div>
          <p style={{ margin: '0 0 .5rem' }}>
            <Badge tone="info">{t('occurrences', { n: r.occurrences.length })}</Badge> <Badge tone="info">{t('devicesN', { n: r.deviceCount })}</Badge>{' '}
            {r.occurrences[0] ? <span class="muted small">{t('firstAt', { t: fmtDateTime(r.occurrences[0].startAt) })}</span> : null}
          </p>
          {r.occurrences.length > 1 ? (
            <details class="small" style={{ margin: '0 0 .5rem' }}>
              <summary>{t('listHead')}</summary>
              <ul style={{ paddingLeft: '1.1rem', margin: '.25rem 0' }} data-testid="analysis-occurrences">
                {r.occurrences.slice(0, 12).map((o) => (
                  <li key={o.startAt}>
                    {fmtDate(o.startAt)} {fmtTime(o.startAt)}–{fmtTime(Date.parse(o.startAt) + o.durationMs)}
                  </li>
                ))}
                {r.occurrences.length > 12 ? <li class="muted">{t('moreOcc', { n: r.occurrences.length - 12 })}</li> : null}
              </ul>
            </details>
          ) : null}
          {r.conflictTotals.conflicts === 0 && r.conflictTotals.preemptions === 0 ? <p class="ok small">{t('noConflict')}</p> : null}
          {r.conflictTotals.conflicts > 0 ? (
            <p style={{ margin: '.25rem 0' }} data-testid="conflict-count" data-count={r.conflictTotals.conflicts}>
              <Badge tone="bad">{t('conflicts', { n: r.conflictTotals.conflicts, d: r.conflictTotals.devices })}</Badge>
            </p>
          ) : null}
          {r.conflictTotals.preemptions > 0 ? (
            <p style={{ margin: '.25rem 0' }}>
              <Badge tone="warn">{t('preemptions', { n: r.conflictTotals.preemptions })}</Badge>
            </p>
          ) : null}
          {grouped.length > 0 ? (
            <ul class="small" style={{ paddingLeft: '1.1rem', margin: '.25rem 0', maxHeight: '14rem', overflowY: 'auto' }}>
              {grouped.slice(0, 30).map(({ n, devices, count }) => (
                <li key={`${n.otherOccurrenceId}|${n.occurrenceStart}|${n.kind}`} style={{ marginBottom: '.3rem' }}>
                  <Badge tone={n.kind === 'conflict' ? 'bad' : 'warn'}>{n.kind === 'conflict' ? t('kindConflict') : t('kindPreemption')}</Badge>{' '}
                  <strong>{titles.get(n.otherScheduleId) ?? n.otherScheduleId}</strong> <Badge tone={priorityTone(n.otherPriority)}>{words.priority(n.otherPriority)}</Badge>{' '}
                  <span data-testid="conflict-other-slot">
                    {fmtDate(n.otherStart)} {fmtTime(n.otherStart)}–{fmtTime(n.otherEnd)}
                  </span>{' '}
                  <span class="muted">({t('yourSlot', { from: fmtTime(n.occurrenceStart), to: fmtTime(n.occurrenceEnd) })})</span>
                  {n.kind === 'preemption' ? <span class="muted"> · {n.preempts === 'this' ? t('thisWins') : t('otherWins')}</span> : null}{' '}
                  <span class="muted">
                    {t('onDevices', {
                      n: count,
                      list: devices
                        .slice(0, 4)
                        .map((id) => devById.get(id)?.name ?? id)
                        .join(', ') + (count > 4 ? '…' : ''),
                    })}
                  </span>{' '}
                  <a href={href(`/deliveries/${n.otherScheduleId}`)} target="_blank" rel="noreferrer" class="small">
                    ↗
                  </a>
                </li>
              ))}
            </ul>
          ) : null}
          {r.conflictTotals.truncated ? <p class="muted small">{t('truncated')}</p> : null}
        </div>
      ) : null}
    </section>
  );
}

export function AnalysisError({ error }: { error: unknown }) {
  const t = useT(S);
  const c = useCommon();
  const status = error instanceof ApiError ? error.status : 0;
  const prefix = status === 400 ? t('err400') : status === 403 ? t('err403') : status === 409 ? t('err409') : status === 404 ? t('err404') : c('error');
  return (
    <div class="error" role="alert" data-testid="analysis-error" data-status={status}>
      <strong>{prefix}:</strong> {error instanceof Error ? error.message : String(error)}
    </div>
  );
}

