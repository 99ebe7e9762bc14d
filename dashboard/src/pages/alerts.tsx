/**
 * Emergency alerts (#/alerts): the send form (admin, operator), then the alerts awaiting a second person's
 * confirmation (two-person rule), the alerts in force and the recent history, from GET /api/v1/alerts (the latest
 * 200, no filters). No live event carries an alert's status, so the page polls every 10 s while it is open and
 * visible; an alert in force shows its live "played on N of M" (alert.progress), a pending one what the second
 * person checks (alert-review.tsx); each title opens the alert's page (alert-detail.tsx).
 */
import { useEffect, useState } from 'preact/hooks';
import type { PageProps } from '../app.js';
import { get, post } from '../api.js';
import { fmtDateTime } from '../format.js';
import { useCommon, useT } from '../i18n.js';
import type { AreaView, FanoutView } from '@loa/shared/rest';
import { FanoutProgress } from './fanout-progress.js';
import { ActionButton, Badge, Empty, ErrorBox, Loading, Modal, PageHeader, areaName, useAreas, useAsync } from '../ui.js';
import { AS, CONFIRM_WINDOW_MS, PHASE_TONES, confirmDeadline, explained, fmtLeft, isScheduled, loadReach, phaseOf, useAlertErrors, useNow, type AlertPhase, type AlertView, type Reach } from './alert-common.js';
import { AlertForm } from './alert-form.js';
import { AlertReview } from './alert-review.js';
import { DS, useAlertSummary } from './alert-detail.js';
import { playedOf } from './alert-progress.js';
import { href } from '../router.js';
import { canEdit, useNarrow, useUserNames } from './content-shared.js';

const POLL_MS = 10_000;
const ITEM = { borderTop: '1px solid var(--line)', padding: '.7rem 0' };
const ITEM_HEAD = { display: 'flex', flexWrap: 'wrap' as const, gap: '.5rem', alignItems: 'flex-start', justifyContent: 'space-between' };
const ACTIONS = { display: 'flex', gap: '.35rem', flexWrap: 'wrap' as const, alignItems: 'flex-start' };
const FACTS = { display: 'grid', gridTemplateColumns: 'max-content 1fr', gap: '.15rem .75rem', margin: '.35rem 0 0' };
const DD = { margin: 0 };

type Names = (id: string | null | undefined) => string;

export function AlertsPage({ session }: PageProps) {
  const t = useT(AS);
  const c = useCommon();
  const areas = useAreas();
  const userName = useUserNames(session);
  const alerts = useAsync(() => get<AlertView[]>('/api/v1/alerts'), []);
  const now = useNow(1000);
  const [sent, setSent] = useState<AlertView | null>(null);
  /** The sent alert's publish job (issue 14): followed until the area channel has it. */
  const [job, setJob] = useState<FanoutView | null>(null);

  // Poll while the page is open and the tab visible; catch up at once when it becomes visible again.
  useEffect(() => {
    const id = setInterval(() => {
      if (!document.hidden) alerts.reload();
    }, POLL_MS);
    const onVisible = () => !document.hidden && alerts.reload();
    document.addEventListener('visibilitychange', onVisible);
    return () => {
      clearInterval(id);
      document.removeEventListener('visibilitychange', onVisible);
    };
  }, [alerts.reload]);

  const list = alerts.data ?? [];
  const withPhase = list.map((a) => ({ a, phase: phaseOf(a, now) }));
  const pending = withPhase.filter((x) => x.phase === 'pending').map((x) => x.a);
  const active = withPhase.filter((x) => x.phase === 'active').map((x) => x.a);
  const history = withPhase.filter((x) => x.phase !== 'pending' && x.phase !== 'active');
  // The banner follows the sent alert as the list learns what became of it (confirmed, cancelled, lapsed).
  const sentNow = sent ? (list.find((a) => a.id === sent.id) ?? sent) : null;

  return (
    <div>
      <PageHeader title={t('title')}>
        <span class="muted small">{t('polling')}</span>
        <button type="button" onClick={() => alerts.reload()}>
          {c('refresh')}
        </button>
      </PageHeader>
      <p class="muted small" style={{ marginTop: '-.5rem' }}>
        {t('intro')}
      </p>
      {sentNow ? (
        <SentBanner
          alert={sentNow}
          areas={areas}
          now={now}
          userName={userName}
          onDismiss={() => {
            setSent(null);
            setJob(null);
          }}
        />
      ) : null}
      {sentNow && job ? (
        <div class="card">
          <FanoutProgress key={job.id} job={job} />
        </div>
      ) : null}
      {/* Alerts waiting on someone, or in force, come before the form: on a phone nobody should scroll past it to act. */}
      {pending.length ? <PendingList items={pending} session={session} areas={areas} now={now} userName={userName} onChanged={alerts.reload} /> : null}
      {active.length ? <ActiveList items={active} session={session} areas={areas} now={now} userName={userName} onChanged={alerts.reload} /> : null}
      {canEdit(session.user.role) ? (
        <AlertForm
          areas={areas}
          active={active}
          onSent={(a) => {
            setSent(a);
            setJob(a.fanout);
            // The banner (and the pending countdown) sit at the top: bring them into view.
            window.scrollTo({ top: 0, behavior: 'smooth' });
            alerts.set((xs) => [a, ...(xs ?? []).filter((x) => x.id !== a.id)]);
            alerts.reload();
          }}
        />
      ) : (
        <p class="card small">{t('noSendRight')}</p>
      )}
      <ErrorBox error={alerts.error} />
      <Loading when={alerts.loading && !alerts.data} />
      {alerts.data ? (
        <>
          {pending.length ? null : <PendingList items={pending} session={session} areas={areas} now={now} userName={userName} onChanged={alerts.reload} />}
          {active.length ? null : <ActiveList items={active} session={session} areas={areas} now={now} userName={userName} onChanged={alerts.reload} />}
          <HistoryList items={history} areas={areas} userName={userName} />
        </>
      ) : null}
    </div>
  );
}

// ---------------------------------------------------------------------------------------------------------------

function SentBanner({ alert, areas, now, userName, onDismiss }: { alert: AlertView; areas: AreaView[]; now: number; userName: Names; onDismiss: () => void }) {
  const t = useT(AS);
  const phase = phaseOf(alert, now);
  const deadline = confirmDeadline(alert);
  let tone: 'warn' | 'ok' | 'muted' = 'muted';
  let body;
  if (phase === 'pending') {
    tone = 'warn';
    body = (
      <>
        <strong>{t('sentPending', { title: alert.title })}</strong>
        <div style={{ marginTop: '.35rem' }}>
          {t('sentPendingLeft')}{' '}
          <span data-testid="alert-sent-countdown" style={{ fontSize: '1.4rem', fontWeight: 700, fontVariantNumeric: 'tabular-nums' }}>
            {fmtLeft(deadline, now, CONFIRM_WINDOW_MS / 1000)}
          </span>{' '}
          <span class="muted small">({fmtDateTime(deadline)})</span>
        </div>
      </>
    );
  } else if (alert.status === 'pending') body = t('sentLapsed', { title: alert.title });
  else if (alert.status === 'cancelled') body = alert.requestedAt && !alert.confirmedAt ? t('sentCancelled', { title: alert.title }) : t('sentStopped', { title: alert.title });
  else if (alert.status === 'superseded') body = t('sentSuperseded', { title: alert.title });
  else if (phase === 'expired') body = t('sentExpired', { title: alert.title });
  else {
    tone = 'ok';
    if (alert.confirmedBy) body = t('sentConfirmed', { title: alert.title, who: userName(alert.confirmedBy) });
    else if (isScheduled(alert, now)) body = t('sentScheduled', { title: alert.title, at: fmtDateTime(alert.effectiveAt) });
    else body = t('sentActive', { title: alert.title, area: areaName(areas, alert.areaCode) });
  }
  const colors = { warn: ['#fff4e0', '#f3c77a'], ok: ['#e6f4ea', '#a8d5b5'], muted: ['#eef0f2', 'var(--line)'] }[tone];
  return (
    <div
      role="status"
      data-testid="alert-sent"
      data-alert-id={alert.id}
      data-status={alert.status}
      style={{ background: colors[0], border: `1px solid ${colors[1]}`, borderRadius: 'var(--radius)', padding: '.75rem 1rem', marginBottom: '1rem', display: 'flex', gap: '.5rem', alignItems: 'flex-start' }}
    >
      <div style={{ flex: 1 }}>{body}</div>
      <button type="button" class="ghost" onClick={onDismiss} aria-label={t('dismiss')} title={t('dismiss')}>
        ✕
      </button>
    </div>
  );
}

// ---------------------------------------------------------------------------------------------------------------

function useReach(areaCode: string) {
  return useAsync<Reach>(() => loadReach(areaCode), [areaCode]);
}

function ReachText({ areaCode }: { areaCode: string }) {
  const t = useT(AS);
  const r = useReach(areaCode).data;
  return r ? <span>{t('reach', { n: r.total, speakers: r.speakers, boards: r.boards, online: r.online })}</span> : null;
}

function ContentBadges({ a }: { a: AlertView }) {
  const t = useT(AS);
  return (
    <>
      {a.mediaSha256 ? <Badge tone="info">{t('audioBadge')}</Badge> : null} {a.text ? <Badge tone="info">{t('textBadge')}</Badge> : null}{' '}
      {a.volume !== null ? <span class="muted small">{t('volumeN', { n: a.volume })}</span> : null}
    </>
  );
}

interface ListProps {
  items: AlertView[];
  session: PageProps['session'];
  areas: AreaView[];
  now: number;
  userName: Names;
  onChanged: () => void;
}

function PendingList({ items, session, areas, now, userName, onChanged }: ListProps) {
  const t = useT(AS);
  const explain = useAlertErrors();
  const mayCancel = canEdit(session.user.role);
  return (
    <section class="card" data-testid="alerts-pending" style={items.length ? { borderColor: '#f3c77a', borderWidth: '2px' } : undefined}>
      <h2>
        {t('pending')} <span class="muted">({items.length})</span>
      </h2>
      {items.length === 0 ? <p class="muted empty">{t('noneHere')}</p> : null}
      {items.map((a) => {
        const mine = a.createdBy === session.user.id;
        const deadline = confirmDeadline(a);
        return (
          <div key={a.id} data-testid="alert-row" data-alert-id={a.id} data-status="pending" style={ITEM}>
            <div style={ITEM_HEAD}>
              <div style={{ minWidth: '12rem', flex: '1 1 18rem' }}>
                <a href={href(`/alert/${encodeURIComponent(a.id)}`)} data-testid="alert-open">
                  <strong>{a.title}</strong>
                </a>{' '}
                <Badge tone="warn">{t('st_pending')}</Badge> <ContentBadges a={a} />
                <AlertReview alert={a} areas={areas} />
                <dl style={FACTS} class="small">
                  <dt class="muted">{t('col_area')}</dt>
                  <dd style={DD}>
                    {areaName(areas, a.areaCode)}
                    <div class="muted">
                      <ReachText areaCode={a.areaCode} />
                    </div>
                  </dd>
                  <dt class="muted">{t('col_requested')}</dt>
                  <dd style={DD}>
                    {userName(a.createdBy)} · {fmtDateTime(a.requestedAt ?? a.sentAt)}
                  </dd>
                  <dt class="muted">{t('col_left')}</dt>
                  <dd style={DD}>
                    <strong data-testid="alert-time-left" style={{ fontVariantNumeric: 'tabular-nums' }}>
                      {fmtLeft(deadline, now, CONFIRM_WINDOW_MS / 1000)}
                    </strong>
                  </dd>
                  <dt class="muted">{t('f_start')}</dt>
                  <dd style={DD}>{Date.parse(a.effectiveAt) > Date.parse(a.requestedAt ?? a.sentAt) ? fmtDateTime(a.effectiveAt) : t('now')}</dd>
                  <dt class="muted">{t('f_duration')}</dt>
                  <dd style={DD}>{fmtSpan(Date.parse(a.expiresAt) - Date.parse(a.effectiveAt))}</dd>
                </dl>
              </div>
              <div style={{ ...ACTIONS, flexDirection: 'column', alignItems: 'stretch', maxWidth: '18rem' }}>
                <ActionButton
                  class="primary"
                  data-testid="alert-confirm"
                  disabled={mine}
                  title={mine ? t('ownRequest') : undefined}
                  style={mine ? undefined : { background: 'var(--bad)', borderColor: 'var(--bad)', fontWeight: 700 }}
                  onClick={explained(explain, async () => {
                    try {
                      await post(`/api/v1/alerts/${a.id}/confirm`);
                    } finally {
                      onChanged();
                    }
                  })}
                >
                  ⚠ {t('confirm')}
                </ActionButton>
                {mine ? (
                  <span class="muted small" data-testid="alert-own-request">
                    {t('ownRequest')}
                  </span>
                ) : null}
                {mayCancel ? (
                  <ActionButton
                    class="danger"
                    data-testid="alert-cancel"
                    onClick={explained(explain, async () => {
                      await post(`/api/v1/alerts/${a.id}/cancel`);
                      onChanged();
                    })}
                  >
                    {t('cancelPending')}
                  </ActionButton>
                ) : null}
              </div>
            </div>
          </div>
        );
      })}
    </section>
  );
}

/** "Đã phát N/M" of an alert in force, live, linking to where it played. */
function PlayedLink({ alertId }: { alertId: string }) {
  const d = useT(DS);
  const s = useAlertSummary(alertId).data;
  if (!s) return null;
  return (
    <div class="small" style={{ marginTop: '.3rem' }}>
      <a href={href(`/alert/${encodeURIComponent(alertId)}`)} data-testid="alert-played-link" data-played={playedOf(s)} data-total={s.total}>
        {d('played', { n: playedOf(s), m: s.total })} ›
      </a>
    </div>
  );
}

const fmtSpan = (ms: number): string => {
  const m = Math.round(ms / 60_000);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
};

function ActiveList({ items, session, areas, now, userName, onChanged }: ListProps) {
  const t = useT(AS);
  const explain = useAlertErrors();
  const mayCancel = canEdit(session.user.role);
  const [stopping, setStopping] = useState<AlertView | null>(null);
  return (
    <section class="card" data-testid="alerts-active" style={items.length ? { borderColor: '#f5c2bd', borderWidth: '2px' } : undefined}>
      <h2>
        {t('active')} <span class="muted">({items.length})</span>
      </h2>
      {items.length === 0 ? <p class="muted empty">{t('noneHere')}</p> : null}
      {items.map((a) => {
        const scheduled = isScheduled(a, now);
        return (
          <div key={a.id} data-testid="alert-row" data-alert-id={a.id} data-status="active" style={ITEM}>
            <div style={ITEM_HEAD}>
              <div style={{ minWidth: '12rem', flex: '1 1 18rem' }}>
                <a href={href(`/alert/${encodeURIComponent(a.id)}`)} data-testid="alert-open">
                  <strong>{a.title}</strong>
                </a>{' '}
                <Badge tone={scheduled ? 'info' : 'bad'}>{scheduled ? t('st_scheduled') : t('st_active')}</Badge> <ContentBadges a={a} />
                {scheduled ? null : <PlayedLink alertId={a.id} />}
                {a.text ? <p class="small" style={{ margin: '.3rem 0', whiteSpace: 'pre-wrap' }}>{a.text}</p> : null}
                <dl style={FACTS} class="small">
                  <dt class="muted">{t('col_area')}</dt>
                  <dd style={DD}>
                    {areaName(areas, a.areaCode)}
                    <div class="muted">
                      <ReachText areaCode={a.areaCode} />
                    </div>
                  </dd>
                  <dt class="muted">{t('col_started')}</dt>
                  <dd style={DD}>{fmtDateTime(a.effectiveAt)}</dd>
                  <dt class="muted">{t('col_expires')}</dt>
                  <dd style={DD}>
                    {fmtDateTime(a.expiresAt)} <span class="muted">({fmtLeft(Date.parse(a.expiresAt), now)})</span>
                  </dd>
                  <dt class="muted">{t('col_by')}</dt>
                  <dd style={DD}>
                    {userName(a.createdBy)}
                    {a.confirmedBy ? ` · ${t('confirmedBy', { who: userName(a.confirmedBy) })}` : ''}
                  </dd>
                </dl>
              </div>
              {mayCancel ? (
                <div style={ACTIONS}>
                  <button type="button" class="danger" data-testid="alert-cancel" onClick={() => setStopping(a)}>
                    ■ {t('cancelActive')}
                  </button>
                </div>
              ) : null}
            </div>
          </div>
        );
      })}
      {stopping ? (
        <Modal title={t('cancelTitle')} onClose={() => setStopping(null)}>
          <p style={{ fontWeight: 600 }}>{t('cancelQuestion', { title: stopping.title, area: areaName(areas, stopping.areaCode) })}</p>
          <div class="row" style={{ justifyContent: 'flex-end' }}>
            <button type="button" onClick={() => setStopping(null)}>
              {t('back')}
            </button>
            <ActionButton
              class="primary"
              data-testid="alert-cancel-confirm"
              style={{ background: 'var(--bad)', borderColor: 'var(--bad)' }}
              onClick={explained(explain, async () => {
                await post(`/api/v1/alerts/${stopping.id}/cancel`);
                setStopping(null);
                onChanged();
              })}
            >
              {t('cancelConfirm')}
            </ActionButton>
          </div>
        </Modal>
      ) : null}
    </section>
  );
}

function HistoryList({ items, areas, userName }: { items: Array<{ a: AlertView; phase: AlertPhase }>; areas: AreaView[]; userName: Names }) {
  const t = useT(AS);
  const narrow = useNarrow();
  const label = (a: AlertView, p: AlertPhase) => (p === 'expired' && a.status === 'pending' ? t('st_lapsed') : t(`st_${p}`));
  const ended = (a: AlertView, p: AlertPhase) => (p === 'cancelled' ? a.cancelledAt : p === 'expired' && a.status === 'pending' ? null : p === 'superseded' ? null : a.expiresAt);
  return (
    <section class="card" data-testid="alerts-history">
      <h2>
        {t('history')} <span class="muted small">({t('historyHint', { n: items.length })})</span>
      </h2>
      <Empty when={items.length === 0} />
      {items.length === 0 ? null : narrow ? (
        <div>
          {items.map(({ a, phase }) => (
            <div key={a.id} data-testid="alert-row" data-alert-id={a.id} data-status={phase} style={ITEM} class="small">
              <a href={href(`/alert/${encodeURIComponent(a.id)}`)}>
                <strong>{a.title}</strong>
              </a>{' '}
              <Badge tone={PHASE_TONES[phase]}>{label(a, phase)}</Badge> <ContentBadges a={a} />
              <div class="muted">
                {areaName(areas, a.areaCode)} · {fmtDateTime(a.confirmedAt ?? a.sentAt)}
                {ended(a, phase) ? ` → ${fmtDateTime(ended(a, phase))}` : ''}
              </div>
              <div class="muted">
                {userName(a.createdBy)}
                {a.confirmedBy ? ` · ${t('confirmedBy', { who: userName(a.confirmedBy) })}` : ''}
              </div>
            </div>
          ))}
        </div>
      ) : (
        <div class="table-wrap" style={{ marginBottom: 0 }}>
          <table>
            <thead>
              <tr>
                <th>{t('col_alert')}</th>
                <th>{t('col_area')}</th>
                <th>{t('col_status')}</th>
                <th>{t('col_started')}</th>
                <th>{t('col_ended')}</th>
                <th>{t('col_by')}</th>
              </tr>
            </thead>
            <tbody>
              {items.map(({ a, phase }) => (
                <tr key={a.id} data-testid="alert-row" data-alert-id={a.id} data-status={phase}>
                  <td class="wrap" style={{ minWidth: '12rem' }}>
                    <a href={href(`/alert/${encodeURIComponent(a.id)}`)}>
                      <strong>{a.title}</strong>
                    </a>{' '}
                    <ContentBadges a={a} />
                    {a.text ? <div class="muted small" style={{ maxWidth: '28rem', overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>{a.text}</div> : null}
                  </td>
                  <td>{areaName(areas, a.areaCode)}</td>
                  <td>
                    <Badge tone={PHASE_TONES[phase]}>{label(a, phase)}</Badge>
                  </td>
                  <td>{a.status === 'pending' || (a.status === 'cancelled' && a.requestedAt && !a.confirmedAt) ? '—' : fmtDateTime(a.effectiveAt)}</td>
                  <td>{fmtDateTime(ended(a, phase))}</td>
                  <td class="small">
                    {userName(a.createdBy)}
                    {a.confirmedBy ? (
                      <div class="muted">{t('confirmedBy', { who: userName(a.confirmedBy) })}</div>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
