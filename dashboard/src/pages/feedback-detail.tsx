/**
 * One feedback item (#/feedback/<id>): what the resident wrote and sent, who they are (in scope only), the
 * deadlines, the history (internal notes marked), similar items to merge, and only the actions its state and the
 * caller's role allow. Every action sends the version the officer saw: a 409 means someone else acted first, so the
 * page reloads and says so. An answer of public interest becomes, in one step, a loudspeaker bulletin and an
 * e-board message for the commune (close the loop).
 */
import type { AreaView, FeedbackAssignee, FeedbackBulletinView, FeedbackDetailView, FeedbackPriority, FeedbackOptions } from '@loa/shared/rest';
import { FEEDBACK_PRIORITIES } from '@loa/shared/rest';
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import type { PageProps } from '../app.js';
import { ApiError, download, get, objectUrl, post } from '../api.js';
import { fmtBytes } from '../format.js';
import { useCommon, useT } from '../i18n.js';
import { useLive } from '../live.js';
import { href } from '../router.js';
import type { Session } from '../session.js';
import { ActionButton, Badge, ErrorBox, Field, Loading, Modal, useAreas, useAsync } from '../ui.js';
import { withParent } from './admin-common.js';
import { StateBadge } from './content-shared.js';
import {
  allowedActions,
  channelLabel,
  countdown,
  eventLabel,
  FB,
  FEEDBACK_LIVE,
  fmtWhen,
  isOpen,
  PriorityChip,
  priorityLabel,
  refreshSummary,
  StateChip,
  stateLabel,
  useCountdownWords,
  useNow,
  type FeedbackAction,
} from './feedback-common.js';

/** Takes an action; false when someone else acted first (the page reloaded and said so: what was typed stays). */
type Act = (action: string, body: Record<string, unknown>, opts?: { itemId?: string; version?: boolean }) => Promise<boolean>;

export function FeedbackDetail({ id, session }: PageProps & { id: string }) {
  const t = useT(FB);
  const item = useAsync(() => get<FeedbackDetailView>(`/api/v1/feedback/${encodeURIComponent(id)}`), [id]);
  const [notice, setNotice] = useState<{ tone: 'ok' | 'bad'; text: string } | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  useLive(FEEDBACK_LIVE, (e) => {
    if (e.itemId !== id || timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      item.reload();
    }, 300);
  });
  useEffect(() => setNotice(null), [id]);

  const x = item.data;
  const act: Act = async (action, body, opts = {}) => {
    if (!x) return false;
    const target = opts.itemId ?? x.id;
    setNotice(null);
    try {
      const res = await post<unknown>(`/api/v1/feedback/${encodeURIComponent(target)}/${action}`, opts.version === false ? body : { ...body, version: x.version });
      if (target === x.id && res && typeof res === 'object' && 'history' in res && 'version' in res) item.set(() => res as FeedbackDetailView);
      else item.reload();
      void refreshSummary();
      return true;
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) {
        item.reload();
        setNotice({ tone: 'bad', text: `${t('conflict')} (${err.message})` });
        return false;
      }
      throw err;
    }
  };

  return (
    <div class="fb fb-detail" data-testid="feedback-detail" data-id={id} data-state={x?.state ?? ''} data-version={x?.version ?? ''}>
      <p class="fb-back">
        <a href={href('/feedback')}>← {t('back')}</a>
      </p>
      <ErrorBox error={item.error} />
      <Loading when={item.loading && !x} />
      {notice ? (
        <div class={notice.tone === 'bad' ? 'error' : 'fb-notice'} role="alert" data-testid="feedback-notice">
          {notice.text}
        </div>
      ) : null}
      {x ? <Item x={x} session={session} act={act} onBulletin={() => item.reload()} /> : null}
    </div>
  );
}

function Item({ x, session, act, onBulletin }: { x: FeedbackDetailView; session: Session; act: Act; onBulletin: () => void }) {
  const t = useT(FB);
  const allowed = allowedActions(x, session.user.role);
  return (
    <>
      <header class="fb-head">
        <div class="fb-head-line">
          <span class="fb-code" data-testid="feedback-code">
            {x.code}
          </span>
          <StateChip item={x} />
          <PriorityChip priority={x.priority} />
          {x.overdue ? <Badge tone="bad">{t('overdue')}</Badge> : null}
        </div>
        <h1 class="fb-title">{x.title}</h1>
        <div class="muted small">
          {[x.areaName, x.village].filter(Boolean).join(' · ')} · {x.categoryLabel} · {channelLabel(x.channel)}
          {x.department ? ` · ${t('department')}: ${x.department}` : ''}
        </div>
        {x.mergedInto ? (
          <p class="small">
            <a href={href(`/feedback/${encodeURIComponent(x.mergedInto.id)}`)}>{t('mergedInto', { code: x.mergedInto.code })}</a>
          </p>
        ) : null}
      </header>

      <div class="fb-grid">
        <div class="fb-main">
          <section class="card">
            <h2>{t('content')}</h2>
            <p class="fb-text" data-testid="feedback-content">
              {x.content}
            </p>
            {x.attachments.length > 0 ? <Attachments x={x} /> : null}
          </section>

          {x.answer !== null ? (
            <section class="card" data-testid="feedback-answer">
              <h2>{t('answerShown')}</h2>
              <p class="fb-text">{x.answer}</p>
              <div class="small muted">
                {fmtWhen(x.answeredAt)}
                {x.publicInterest ? <> · <Badge tone="info">{t('publicInterest')}</Badge></> : null}
                {x.satisfied === true ? <> · <Badge tone="ok">{t('satisfied')}</Badge></> : null}
                {x.satisfied === false ? <> · <Badge tone="warn">{t('notSatisfied')}</Badge></> : null}
                {x.reopenCount > 0 ? ` · ${t('reopenCount', { n: x.reopenCount })}` : ''}
              </div>
            </section>
          ) : null}
          {x.rejectReason ? (
            <section class="card">
              <h2>{t('rejectReason')}</h2>
              <p class="fb-text">{x.rejectReason}</p>
            </section>
          ) : null}

          <Bulletin x={x} session={session} allowed={allowed.has('bulletin')} onDone={onBulletin} />
          {allowed.has('answer') ? <AnswerForm x={x} act={act} /> : null}
          <Actions x={x} session={session} allowed={allowed} act={act} />
          {x.similar.length > 0 || x.merged.length > 0 ? <Similar x={x} act={act} mayMerge={allowed.has('merge')} /> : null}
          <History x={x} />
        </div>
        <aside class="fb-side">
          <Deadlines x={x} />
          <section class="card" data-testid="feedback-resident">
            <h2>{t('resident')}</h2>
            {x.resident ? (
              <dl class="fb-facts">
                <dt>{t('name')}</dt>
                <dd>{x.resident.name}</dd>
                <dt>{t('phone')}</dt>
                <dd>
                  <a href={`tel:${x.resident.phone}`} data-testid="feedback-phone">
                    {x.resident.phone}
                  </a>
                </dd>
                {x.resident.email ? (
                  <>
                    <dt>{t('email')}</dt>
                    <dd>
                      <a href={`mailto:${x.resident.email}`}>{x.resident.email}</a>
                    </dd>
                  </>
                ) : null}
              </dl>
            ) : (
              <p class="muted small" data-testid="feedback-erased">
                {t('erased')}
              </p>
            )}
          </section>
          <section class="card">
            <dl class="fb-facts">
              <dt>{t('assignee')}</dt>
              <dd data-testid="feedback-assignee">{x.assignee ? x.assignee.username : <span class="muted">{t('nobody')}</span>}</dd>
              <dt>{t('priority')}</dt>
              <dd>{priorityLabel(x.priority)}</dd>
              <dt>{t('received')}</dt>
              <dd>{fmtWhen(x.createdAt)}</dd>
            </dl>
          </section>
        </aside>
      </div>
    </>
  );
}

function Deadlines({ x }: { x: FeedbackDetailView }) {
  const t = useT(FB);
  const now = useNow();
  const cd = countdown(x, now, useCountdownWords());
  const open = isOpen(x.state);
  /** Met on time or late once done; overdue while it still runs; nothing for a deadline that no longer applies. */
  const met = (due: string, at: string | null) => {
    if (at !== null) return <Badge tone={Date.parse(at) <= Date.parse(due) ? 'ok' : 'bad'}>{Date.parse(at) <= Date.parse(due) ? t('onTime') : t('late')}</Badge>;
    return open && Date.parse(due) < now ? <Badge tone="bad">{t('overdue')}</Badge> : null;
  };
  const ackAt = x.acknowledgedAt;
  return (
    <section class={`card ${cd.overdue ? 'fb-overdue-card' : ''}`} data-testid="feedback-deadlines" data-overdue={cd.overdue ? '1' : '0'}>
      <h2>{t('deadline')}</h2>
      {cd.ms !== null ? <p class={cd.overdue ? 'fb-due fb-due-over' : 'fb-due'}>{cd.text}</p> : null}
      <dl class="fb-facts">
        <dt>{t('ackDue')}</dt>
        <dd>
          {fmtWhen(x.ackDueAt)} {met(x.ackDueAt, ackAt)}
        </dd>
        {ackAt ? (
          <>
            <dt>{t('acknowledgedAt')}</dt>
            <dd>{fmtWhen(ackAt)}</dd>
          </>
        ) : null}
        <dt>{t('answerDue')}</dt>
        <dd>
          {fmtWhen(x.answerDueAt)} {met(x.answerDueAt, x.answeredAt)}
        </dd>
        {x.answeredAt ? (
          <>
            <dt>{t('answeredAt')}</dt>
            <dd>{fmtWhen(x.answeredAt)}</dd>
          </>
        ) : null}
      </dl>
    </section>
  );
}

/** Photos as thumbnails (full size on a tap), PDFs downloaded; both fetched with the session's token. */
function Attachments({ x }: { x: FeedbackDetailView }) {
  const t = useT(FB);
  const [full, setFull] = useState<string | null>(null);
  return (
    <div class="fb-attachments" data-testid="feedback-attachments">
      <h3>{t('attachments')}</h3>
      <div class="fb-thumbs">
        {x.attachments.map((a, i) =>
          a.mime.startsWith('image/') ? (
            <Thumb key={a.id} url={a.url} onOpen={setFull} alt={`${t('attachments')} ${i + 1}`} />
          ) : (
            <ActionButton key={a.id} onClick={() => download(a.url, `${x.code}-${i + 1}.pdf`)} data-testid="feedback-attachment-pdf">
              📄 {t('openPdf')} ({fmtBytes(a.bytes)})
            </ActionButton>
          ),
        )}
      </div>
      {full ? (
        <Modal title={t('attachments')} onClose={() => setFull(null)}>
          <img src={full} alt="" class="fb-full" data-testid="feedback-attachment-full" />
        </Modal>
      ) : null}
    </div>
  );
}

function Thumb({ url, alt, onOpen }: { url: string; alt: string; onOpen: (u: string) => void }) {
  const img = useAsync(() => objectUrl(url), [url]);
  useEffect(() => () => void (img.data && URL.revokeObjectURL(img.data)), [img.data]);
  if (img.error) return <span class="error inline">{img.error.message}</span>;
  return (
    <button type="button" class="fb-thumb" onClick={() => img.data && onOpen(img.data)} data-testid="feedback-attachment-image" aria-label={alt}>
      {img.data ? <img src={img.data} alt={alt} /> : <span class="muted small">…</span>}
    </button>
  );
}

function AnswerForm({ x, act }: { x: FeedbackDetailView; act: Act }) {
  const t = useT(FB);
  const [text, setText] = useState('');
  const [pub, setPub] = useState(x.publicInterest);
  const [notify, setNotify] = useState(true);
  return (
    <section class="card fb-answer-form" data-testid="feedback-answer-form">
      <h2>{t('answer')}</h2>
      <Field label={t('answerText')}>
        <textarea value={text} maxLength={10000} data-testid="feedback-answer-text" onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
      </Field>
      <label class="fb-check">
        <input type="checkbox" checked={pub} data-testid="feedback-answer-public" onChange={(e) => setPub((e.target as HTMLInputElement).checked)} /> {t('publicInterest')}
      </label>
      <label class="fb-check">
        <input type="checkbox" checked={notify} data-testid="feedback-answer-notify" onChange={(e) => setNotify((e.target as HTMLInputElement).checked)} /> {t('notify')}
      </label>
      <div class="row">
        <ActionButton class="primary" disabled={!text.trim()} data-testid="feedback-answer-submit" onClick={() => act('answer', { answer: text.trim(), publicInterest: pub, notify })}>
          {t('send')}
        </ActionButton>
      </div>
    </section>
  );
}

type Panel = Exclude<FeedbackAction, 'answer' | 'merge' | 'bulletin' | 'start'>;

/** The state's other actions: a row of buttons, each opening its small form below (one at a time). */
function Actions({ x, session, allowed, act }: { x: FeedbackDetailView; session: Session; allowed: Set<FeedbackAction>; act: Act }) {
  const t = useT(FB);
  const [panel, setPanel] = useState<Panel | null>(null);
  useEffect(() => setPanel(null), [x.state]);
  const panels: Array<[Panel, string]> = [
    ['assign', t('assign')],
    ['note', t('note')],
    ['transfer', t('transfer')],
    ['priority', t('changePriority')],
    ['close', t('close')],
    ['reopen', t('reopen')],
    ['reject', t('reject')],
  ];
  const shown = panels.filter(([k]) => allowed.has(k));
  if (shown.length === 0 && !allowed.has('start')) return null;
  const done = (p: Promise<boolean>): Promise<void> =>
    p.then((ok) => {
      if (ok) setPanel(null);
    });
  return (
    <section class="card" data-testid="feedback-actions">
      <h2>{t('actions')}</h2>
      <div class="fb-action-row">
        {allowed.has('start') ? (
          <ActionButton class="primary" data-testid="feedback-action-start" onClick={() => act('start', {})}>
            {t('start')}
          </ActionButton>
        ) : null}
        {shown.map(([k, label]) => (
          <button key={k} type="button" class={panel === k ? 'fb-action-active' : k === 'reject' ? 'danger' : ''} aria-expanded={panel === k} data-testid={`feedback-action-${k}`} onClick={() => setPanel(panel === k ? null : k)}>
            {label}
          </button>
        ))}
      </div>
      {panel === 'assign' ? <AssignForm x={x} session={session} onSubmit={(userId, note) => done(act('assign', { userId, note: note || undefined }))} /> : null}
      {panel === 'note' ? <NoteForm onSubmit={(text, internal) => done(act('notes', { text, internal }))} /> : null}
      {panel === 'transfer' ? <TransferForm x={x} session={session} onSubmit={(body) => done(act('transfer', body))} /> : null}
      {panel === 'priority' ? <PriorityForm x={x} onSubmit={(priority, reason) => done(act('priority', { priority, reason }))} /> : null}
      {panel === 'close' ? <ReasonForm label={t('note')} optional submit={t('close')} testid="close" onSubmit={(note) => done(act('close', { note: note || undefined }))} /> : null}
      {panel === 'reopen' ? <ReasonForm label={t('reason')} submit={t('reopen')} testid="reopen" onSubmit={(note) => done(act('reopen', { note }))} /> : null}
      {panel === 'reject' ? <ReasonForm label={t('rejectReason')} submit={t('reject')} testid="reject" danger onSubmit={(reason) => done(act('reject', { reason }))} /> : null}
    </section>
  );
}

function SubForm({ children }: { children: ComponentChildren }) {
  return <div class="fb-subform">{children}</div>;
}

function AssignForm({ x, session, onSubmit }: { x: FeedbackDetailView; session: Session; onSubmit: (userId: string, note: string) => Promise<void> }) {
  const t = useT(FB);
  const users = useAsync(() => get<FeedbackAssignee[]>('/api/v1/feedback/assignees', { areaCode: x.areaCode }), [x.areaCode]);
  const [userId, setUserId] = useState('');
  const [note, setNote] = useState('');
  useEffect(() => {
    // The officer who opens it usually takes it: themself first when they may.
    const list = users.data ?? [];
    if (!userId && list.length > 0) setUserId(list.find((u) => u.userId === session.user.id)?.userId ?? (x.assignee?.userId ?? ''));
  }, [users.data]);
  return (
    <SubForm>
      <ErrorBox error={users.error} />
      <Field label={t('assignTo')}>
        <select value={userId} data-testid="feedback-assign-user" onChange={(e) => setUserId((e.target as HTMLSelectElement).value)}>
          <option value="">{t('pickUser')}</option>
          {(users.data ?? []).map((u) => (
            <option key={u.userId} value={u.userId}>
              {u.displayName ? `${u.displayName} (${u.username})` : u.username}
              {u.userId === session.user.id ? ` ${t('me')}` : ''}
            </option>
          ))}
        </select>
      </Field>
      <Field label={t('note')}>
        <input type="text" value={note} maxLength={2000} onInput={(e) => setNote((e.target as HTMLInputElement).value)} />
      </Field>
      <ActionButton class="primary" disabled={!userId} data-testid="feedback-assign-submit" onClick={() => onSubmit(userId, note.trim())}>
        {t('assign')}
      </ActionButton>
    </SubForm>
  );
}

function NoteForm({ onSubmit }: { onSubmit: (text: string, internal: boolean) => Promise<void> }) {
  const t = useT(FB);
  const [text, setText] = useState('');
  const [internal, setInternal] = useState(true);
  return (
    <SubForm>
      <Field label={t('noteText')}>
        <textarea value={text} maxLength={5000} data-testid="feedback-note-text" onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
      </Field>
      <label class="fb-check">
        <input type="checkbox" checked={internal} data-testid="feedback-note-internal" onChange={(e) => setInternal((e.target as HTMLInputElement).checked)} /> {t('noteInternal')}
      </label>
      <ActionButton class="primary" disabled={!text.trim()} data-testid="feedback-note-submit" onClick={() => onSubmit(text.trim(), internal)}>
        {t('note')}
      </ActionButton>
    </SubForm>
  );
}

/** Departments from the options every officer may read; null (the code is typed) only if they cannot be loaded. */
function useDepartments(session: Session) {
  return useAsync(
    () =>
      get<FeedbackOptions>('/api/v1/feedback/options')
        .then((o) => o.departments)
        .catch(() => null),
    [session.user.id],
  );
}

function TransferForm({ x, session, onSubmit }: { x: FeedbackDetailView; session: Session; onSubmit: (body: Record<string, unknown>) => Promise<void> }) {
  const t = useT(FB);
  const areas = useAreas();
  const departments = useDepartments(session);
  const [areaCode, setAreaCode] = useState('');
  const [department, setDepartment] = useState('');
  const [reason, setReason] = useState('');
  const byCode = new Map(areas.map((a) => [a.code, a]));
  const communes = areas.filter((a: AreaView) => a.level === 'commune' && a.code !== x.areaCode).sort((a, b) => a.name.localeCompare(b.name, 'vi'));
  const ready = reason.trim() !== '' && (areaCode !== '' || department !== '');
  return (
    <SubForm>
      {communes.length > 0 ? (
        <Field label={t('toCommune')}>
          <select value={areaCode} data-testid="feedback-transfer-area" onChange={(e) => setAreaCode((e.target as HTMLSelectElement).value)}>
            <option value="">{t('keepCommune')}</option>
            {communes.map((a) => (
              <option key={a.code} value={a.code}>
                {withParent(byCode, a)}
              </option>
            ))}
          </select>
        </Field>
      ) : null}
      <Field label={t('toDepartment')}>
        {departments.data ? (
          <select value={department} data-testid="feedback-transfer-department" onChange={(e) => setDepartment((e.target as HTMLSelectElement).value)}>
            <option value="">{t('noDepartment')}</option>
            {departments.data.map((d) => (
              <option key={d.code} value={d.code}>
                {d.label}
              </option>
            ))}
          </select>
        ) : (
          <input type="text" value={department} placeholder={t('departmentCode')} pattern="[a-z0-9][a-z0-9\-]{0,31}" data-testid="feedback-transfer-department" onInput={(e) => setDepartment((e.target as HTMLInputElement).value.trim())} />
        )}
      </Field>
      <Field label={t('reason')}>
        <input type="text" value={reason} maxLength={2000} data-testid="feedback-transfer-reason" onInput={(e) => setReason((e.target as HTMLInputElement).value)} />
      </Field>
      <ActionButton
        class="primary"
        disabled={!ready}
        data-testid="feedback-transfer-submit"
        onClick={() => onSubmit({ areaCode: areaCode || undefined, department: department || undefined, reason: reason.trim() })}
      >
        {t('transfer')}
      </ActionButton>
    </SubForm>
  );
}

function PriorityForm({ x, onSubmit }: { x: FeedbackDetailView; onSubmit: (p: FeedbackPriority, reason: string) => Promise<void> }) {
  const t = useT(FB);
  const [priority, setPriority] = useState<FeedbackPriority>(x.priority === 'normal' ? 'urgent' : 'normal');
  const [reason, setReason] = useState('');
  return (
    <SubForm>
      <Field label={t('priority')}>
        <select value={priority} data-testid="feedback-priority-value" onChange={(e) => setPriority((e.target as HTMLSelectElement).value as FeedbackPriority)}>
          {FEEDBACK_PRIORITIES.filter((p) => p !== x.priority).map((p) => (
            <option key={p} value={p}>
              {priorityLabel(p)}
            </option>
          ))}
        </select>
      </Field>
      <Field label={t('reason')}>
        <input type="text" value={reason} maxLength={2000} data-testid="feedback-priority-reason" onInput={(e) => setReason((e.target as HTMLInputElement).value)} />
      </Field>
      <ActionButton class="primary" disabled={!reason.trim()} data-testid="feedback-priority-submit" onClick={() => onSubmit(priority, reason.trim())}>
        {t('changePriority')}
      </ActionButton>
    </SubForm>
  );
}

function ReasonForm({ label, submit, testid, optional, danger, onSubmit }: { label: string; submit: string; testid: string; optional?: boolean; danger?: boolean; onSubmit: (text: string) => Promise<void> }) {
  const [text, setText] = useState('');
  return (
    <SubForm>
      <Field label={label}>
        <textarea value={text} maxLength={2000} data-testid={`feedback-${testid}-text`} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
      </Field>
      <ActionButton class={danger ? 'danger' : 'primary'} disabled={!optional && !text.trim()} data-testid={`feedback-${testid}-submit`} onClick={() => onSubmit(text.trim())}>
        {submit}
      </ActionButton>
    </SubForm>
  );
}

function Similar({ x, act, mayMerge }: { x: FeedbackDetailView; act: Act; mayMerge: boolean }) {
  const t = useT(FB);
  return (
    <section class="card" data-testid="feedback-similar">
      {x.similar.length > 0 ? (
        <>
          <h2>{t('similar')}</h2>
          <ul class="fb-plain">
            {x.similar.map((s) => (
              <li key={s.id} data-testid="feedback-similar-item" data-id={s.id}>
                <a href={href(`/feedback/${encodeURIComponent(s.id)}`)} class="fb-code">
                  {s.code}
                </a>{' '}
                {s.title}{' '}
                {mayMerge ? (
                  // The other item (a duplicate) folds into this one; its own version is not known here.
                  <ActionButton data-testid="feedback-merge" onClick={() => act('merge', { intoId: x.id }, { itemId: s.id, version: false })}>
                    {t('mergeHere')}
                  </ActionButton>
                ) : null}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {x.merged.length > 0 ? (
        <>
          <h3>{t('mergedItems')}</h3>
          <p class="small">
            {x.merged.map((m, i) => (
              <span key={m.id}>
                {i > 0 ? ', ' : ''}
                <a href={href(`/feedback/${encodeURIComponent(m.id)}`)}>{m.code}</a>
              </span>
            ))}
          </p>
        </>
      ) : null}
    </section>
  );
}

function History({ x }: { x: FeedbackDetailView }) {
  const t = useT(FB);
  return (
    <section class="card" data-testid="feedback-history">
      <h2>{t('history')}</h2>
      <ol class="fb-timeline">
        {[...x.history].reverse().map((e) => (
          <li key={e.id} class={e.internal ? 'fb-internal' : ''} data-kind={e.kind} data-internal={e.internal ? '1' : '0'}>
            <div class="fb-ev-head">
              <strong>{eventLabel(e.kind)}</strong>
              {e.internal ? <Badge tone="warn">{t('internal')}</Badge> : null}
              {e.toState && e.toState !== e.fromState ? <span class="muted small">→ {stateLabel(e.toState)}</span> : null}
            </div>
            <div class="muted small">
              {fmtWhen(e.at)} · {e.actorKind === 'user' ? (e.actor ?? '—') : e.actorKind === 'resident' ? t('resident_actor') : t('system_actor')}
            </div>
            {e.text ? <p class="fb-text small">{e.text}</p> : null}
          </li>
        ))}
      </ol>
    </section>
  );
}

/** Close the loop: the drafts made from the answer (links for those who may open contents), or the form to make them. */
function Bulletin({ x, session, allowed, onDone }: { x: FeedbackDetailView; session: Session; allowed: boolean; onDone: () => void }) {
  const t = useT(FB);
  const c = useCommon();
  const [made, setMade] = useState<FeedbackBulletinView | null>(null);
  const [open, setOpen] = useState(false);
  const [v, setV] = useState({ title: '', speakerText: '', boardText: '' });
  const staff = session.user.role !== 'commune_officer';
  if (!allowed && x.draftContentIds.length === 0 && !made) return null;
  const contentLink = (id: string, state: string | null, label: string) => (
    <li key={id} data-testid="feedback-bulletin-content" data-content-id={id} data-state={state ?? ''}>
      {label}: <code>{id.slice(0, 8)}</code> {state ? <StateBadge state={state} /> : null}{' '}
      {staff ? (
        <>
          <a href={href(state ? `/contents?state=${encodeURIComponent(state)}` : '/contents')}>{t('viewContents')}</a>
          {state === 'submitted' ? (
            <>
              {' · '}
              <a href={href('/approvals')}>{t('viewApprovals')}</a>
            </>
          ) : null}
        </>
      ) : null}
    </li>
  );
  return (
    <section class="card fb-bulletin" data-testid="feedback-bulletin">
      {made ? (
        <>
          <h2>{t('bulletinDone')}</h2>
          <ul class="fb-plain">
            {contentLink(made.speakerContentId, made.speakerState, t('speakerContent'))}
            {contentLink(made.boardContentId, made.boardState, t('boardContent'))}
          </ul>
        </>
      ) : x.draftContentIds.length > 0 ? (
        <>
          <h2>{t('drafts')}</h2>
          <ul class="fb-plain">{x.draftContentIds.map((id, i) => contentLink(id, null, i === 0 ? t('speakerContent') : t('boardContent')))}</ul>
        </>
      ) : (
        <>
          <button type="button" class="primary" data-testid="feedback-bulletin-open" aria-expanded={open} onClick={() => setOpen(!open)}>
            {t('bulletin')}
          </button>
          {open ? (
            <div class="fb-subform">
              <p class="muted small">{t('bulletinHint')}</p>
              <Field label={t('bulletinTitle')}>
                <input type="text" value={v.title} maxLength={200} onInput={(e) => setV({ ...v, title: (e.target as HTMLInputElement).value })} />
              </Field>
              <Field label={t('speakerText')}>
                <textarea value={v.speakerText} maxLength={5000} onInput={(e) => setV({ ...v, speakerText: (e.target as HTMLTextAreaElement).value })} />
              </Field>
              <Field label={t('boardText')}>
                <textarea value={v.boardText} maxLength={1000} onInput={(e) => setV({ ...v, boardText: (e.target as HTMLTextAreaElement).value })} />
              </Field>
              <div class="row">
                <ActionButton
                  class="primary"
                  data-testid="feedback-bulletin-submit"
                  onClick={async () => {
                    const res = await post<FeedbackBulletinView>(`/api/v1/feedback/${encodeURIComponent(x.id)}/bulletin`, {
                      title: v.title.trim() || undefined,
                      speakerText: v.speakerText.trim() || undefined,
                      boardText: v.boardText.trim() || undefined,
                    });
                    setMade(res);
                    setOpen(false);
                    onDone();
                  }}
                >
                  {t('bulletin')}
                </ActionButton>
                <button type="button" class="ghost" onClick={() => setOpen(false)}>
                  {c('cancel')}
                </button>
              </div>
            </div>
          ) : null}
        </>
      )}
    </section>
  );
}
