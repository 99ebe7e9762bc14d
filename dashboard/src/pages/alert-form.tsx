/**
 * The "send an emergency alert" form of #/alerts and its confirmation step (area, device count and content restated
 * before anything is sent). POST /api/v1/alerts answers 201 (sent) or 202 with status `pending` (two-person rule).
 */
import { useState } from 'preact/hooks';
import { get, post } from '../api.js';
import { fmtDateTime, fromLocalInput, toLocalInput } from '../format.js';
import { DateTimeField } from '../components/date-time-field.js';
import { useT } from '../i18n.js';
import type { AreaView, ContentView } from '@loa/shared/rest';
import { Badge, ErrorBox, Field, Modal, areaName, areaOptions, useAsync } from '../ui.js';
import { AS, loadReach, useAlertErrors, type AlertView, type Reach } from './alert-common.js';
import type { AlertChangeResult } from '@loa/shared/rest';
import { AudioPlayer } from './content-shared.js';

const PRESETS = [
  { key: 'd15', s: 15 * 60 },
  { key: 'd60', s: 3600 },
  { key: 'd240', s: 4 * 3600 },
] as const;
type DurationChoice = (typeof PRESETS)[number]['key'] | 'custom';

interface Draft {
  areaCode: string;
  contentId: string;
  title: string;
  text: string;
  volume: string;
  startMode: 'now' | 'later';
  startAt: string;
  duration: DurationChoice;
  customMinutes: string;
  /** Issue 18: the text is also read aloud (server TTS) for the loudspeakers. */
  speak: boolean;
}

interface AlertBody {
  areaCode: string;
  title: string;
  text?: string;
  mediaSha256?: string;
  volume?: number;
  effectiveAt?: string;
  expiresInS: number;
  speakText?: boolean;
}

/** A content marked "dùng cho khẩn cấp" (issue 18); older servers' views lack the flag. */
const isEmergencyContent = (c: ContentView): boolean => (c as ContentView & { emergency?: boolean }).emergency === true;

/** Approved content an alert can carry: audio (its media) or text (copied into the board text). */
const usable = (c: ContentView, now: number): boolean =>
  c.state === 'approved' &&
  ((c.type === 'audio' && Boolean(c.mediaSha256)) || (c.type === 'text' && Boolean(c.text))) &&
  (!c.validUntil || Date.parse(c.validUntil) > now);

const RADIO = { display: 'inline-flex', gap: '.35rem', alignItems: 'center', marginRight: '1rem', minHeight: '2rem' };
const FACTS = { display: 'grid', gridTemplateColumns: 'max-content 1fr', gap: '.3rem .9rem', margin: '.5rem 0 1rem' };
const DD = { margin: 0, overflowWrap: 'anywhere' as const, whiteSpace: 'pre-wrap' as const };

export function AlertForm({ areas, active, onSent }: { areas: AreaView[]; active: AlertView[]; onSent: (a: AlertChangeResult) => void }) {
  const t = useT(AS);
  const contents = useAsync(() => get<ContentView[]>('/api/v1/contents'), []);
  const rules = useAsync(() => get<{ emergency: { twoPerson: boolean; audioFromEmergencyContentOnly?: boolean } }>('/api/v1/settings/approval').catch(() => null), []);
  // Only audio marked for emergencies may go out when the rule says so: the server's list, and the flag again in case
  // a server ignores the filter.
  const emergencyOnly = rules.data?.emergency.audioFromEmergencyContentOnly === true;
  const emergencyAudio = useAsync(
    () => (emergencyOnly ? get<ContentView[]>('/api/v1/contents', { emergency: true }).then((xs) => xs.filter(isEmergencyContent)) : Promise.resolve(null)),
    [emergencyOnly],
  );
  const [d, setD] = useState<Draft>({
    areaCode: '',
    contentId: '',
    title: '',
    text: '',
    volume: '100',
    startMode: 'now',
    startAt: toLocalInput(Date.now() + 15 * 60_000),
    duration: 'd60',
    customMinutes: '30',
    speak: false,
  });
  const [titleTouched, setTitleTouched] = useState(false);
  const [listen, setListen] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<AlertBody | null>(null);
  const reach = useAsync<Reach | null>(() => (d.areaCode ? loadReach(d.areaCode) : Promise.resolve(null)), [d.areaCode]);

  const now = Date.now();
  const list = (contents.data ?? []).filter((c) => usable(c, now));
  const allowedAudio = emergencyOnly ? new Set((emergencyAudio.data ?? []).map((c) => c.id)) : null;
  const audio = list.filter((c) => c.type === 'audio' && (!allowedAudio || allowedAudio.has(c.id)));
  const texts = list.filter((c) => c.type === 'text');
  const chosen = [...audio, ...texts].find((c) => c.id === d.contentId) ?? null;
  const set = (patch: Partial<Draft>) => {
    setD((x) => ({ ...x, ...patch }));
    setProblem(null);
  };

  const pickContent = (id: string) => {
    const c = list.find((x) => x.id === id) ?? null;
    const patch: Partial<Draft> = { contentId: id };
    if (c && (!titleTouched || !d.title.trim())) patch.title = c.title.slice(0, 200);
    if (c?.type === 'text' && c.text) patch.text = c.text.slice(0, 5000);
    // Speech of the text and a chosen audio file cannot go together (the server refuses both).
    if (c?.type === 'audio') patch.speak = false;
    set(patch);
    setListen(false);
  };

  const build = (): AlertBody | string => {
    if (!d.areaCode) return t('err_area');
    const title = d.title.trim();
    if (!title) return t('err_title');
    const text = d.text.trim();
    const media = chosen?.type === 'audio' ? (chosen.mediaSha256 ?? undefined) : undefined;
    if (d.speak && !text) return t('err_speakNoText');
    if (!text && !media) return t('err_body');
    if (d.speak && media) return t('err_speakWithAudio');
    let volume: number | undefined;
    if (d.volume.trim() !== '') {
      volume = Number(d.volume);
      if (!Number.isInteger(volume) || volume < 0 || volume > 100) return t('err_volume');
    }
    let effectiveAt: string | undefined;
    if (d.startMode === 'later') {
      if (!d.startAt || Date.parse(fromLocalInput(d.startAt)) <= Date.now()) return t('err_start');
      effectiveAt = fromLocalInput(d.startAt);
    }
    let expiresInS: number;
    if (d.duration === 'custom') {
      const m = Number(d.customMinutes);
      if (!Number.isInteger(m) || m < 1 || m > 10080) return t('err_minutes');
      expiresInS = m * 60;
    } else expiresInS = PRESETS.find((p) => p.key === d.duration)?.s ?? 3600;
    return { areaCode: d.areaCode, title, ...(text ? { text } : {}), ...(media ? { mediaSha256: media } : {}), ...(volume === undefined ? {} : { volume }), ...(effectiveAt ? { effectiveAt } : {}), expiresInS, ...(d.speak ? { speakText: true } : {}) };
  };

  const submit = (e: Event) => {
    e.preventDefault();
    const b = build();
    if (typeof b === 'string') setProblem(b);
    else setConfirming(b);
  };

  const twoPerson = rules.data?.emergency.twoPerson ?? false;
  // The previous area's count stays in `data` while the new one loads: never show it for the wrong area.
  const r = reach.loading ? undefined : reach.data;
  return (
    <section class="card" data-testid="alert-form" style={{ borderColor: '#f5c2bd', borderWidth: '2px' }}>
      <h2 style={{ color: 'var(--bad)' }}>⚠ {t('formTitle')}</h2>
      {twoPerson ? (
        <p class="small" data-testid="alert-two-person" style={{ background: '#fff4e0', borderRadius: 'var(--radius)', padding: '.5rem .75rem', margin: '0 0 .75rem' }}>
          {t('twoPersonOn')}
        </p>
      ) : null}
      <form onSubmit={submit} noValidate>
        <div class="row">
          <Field label={t('area')}>
            <select data-testid="alert-area" value={d.areaCode} onChange={(e) => set({ areaCode: (e.target as HTMLSelectElement).value })}>
              <option value="">{t('pickArea')}</option>
              {areaOptions(areas).map((o) => (
                <option key={o.code} value={o.code}>
                  {o.label}
                </option>
              ))}
            </select>
          </Field>
          <div class="field" style={{ flex: '2 1 16rem', justifyContent: 'flex-end', display: d.areaCode ? undefined : 'none' }}>
            <span class="small" data-testid="alert-reach" data-count={r ? r.total : ''} style={{ minHeight: '36px', display: 'flex', alignItems: 'center' }}>
              {!d.areaCode ? null : reach.error ? (
                <span class="error inline" style={{ margin: 0 }}>{reach.error.message}</span>
              ) : !r ? (
                <span class="muted">{t('reachLoading')}</span>
              ) : r.total === 0 ? (
                <Badge tone="warn">{t('reachNone')}</Badge>
              ) : (
                <strong>{t('reach', { n: r.total, speakers: r.speakers, boards: r.boards, online: r.online })}</strong>
              )}
            </span>
          </div>
        </div>

        <Field label={t('content')} hint={t('contentHint')}>
          <select data-testid="alert-content" value={d.contentId} onChange={(e) => pickContent((e.target as HTMLSelectElement).value)}>
            <option value="">{t('pickNone')}</option>
            {audio.length ? (
              <optgroup label={t('grpAudio')}>
                {audio.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.title}
                  </option>
                ))}
              </optgroup>
            ) : null}
            {texts.length ? (
              <optgroup label={t('grpText')}>
                {texts.map((c) => (
                  <option key={c.id} value={c.id}>
                    {c.title}
                  </option>
                ))}
              </optgroup>
            ) : null}
          </select>
        </Field>
        <ErrorBox error={contents.error} />
        {contents.data && list.length === 0 ? <p class="muted small">{t('noContent')}</p> : null}
        {emergencyOnly && emergencyAudio.data && contents.data ? (
          <p class="muted small" data-testid="alert-emergency-only" data-count={audio.length} style={{ margin: '-.4rem 0 .75rem' }}>
            {audio.length ? t('emergencyOnly') : t('emergencyOnlyNone')}
          </p>
        ) : null}
        <ErrorBox error={emergencyAudio.error} />
        {chosen?.type === 'audio' && chosen.mediaSha256 ? (
          <div style={{ margin: '-.4rem 0 .75rem' }}>
            <button type="button" class="ghost" onClick={() => setListen(!listen)} aria-expanded={listen}>
              ♪ {listen ? t('hideListen') : t('listen')}
            </button>
            {listen ? <AudioPlayer sha256={chosen.mediaSha256} /> : null}
          </div>
        ) : null}

        <Field label={t('alertTitle')}>
          <input
            data-testid="alert-title"
            value={d.title}
            maxLength={200}
            placeholder={t('alertTitlePh')}
            onInput={(e) => {
              setTitleTouched(true);
              set({ title: (e.target as HTMLInputElement).value });
            }}
          />
        </Field>
        <Field label={t('boardText')} hint={t('boardTextHint')}>
          <textarea data-testid="alert-text" value={d.text} maxLength={5000} rows={3} onInput={(e) => set({ text: (e.target as HTMLTextAreaElement).value })} />
        </Field>
        <div class="field" style={{ marginTop: '-.25rem' }}>
          <label style={{ ...RADIO, marginRight: 0 }}>
            <input type="checkbox" data-testid="alert-speak" checked={d.speak} disabled={chosen?.type === 'audio'} onChange={(e) => set({ speak: (e.target as HTMLInputElement).checked })} />
            {t('speak')}
          </label>
          <span class="field-hint">{chosen?.type === 'audio' ? t('speakHintAudio') : t('speakHint')}</span>
        </div>

        <div class="row">
          <Field label={t('volume')} hint={t('volumeHint')}>
            <input data-testid="alert-volume" type="number" min={0} max={100} step={1} value={d.volume} onInput={(e) => set({ volume: (e.target as HTMLInputElement).value })} />
          </Field>
          <div class="field">
            <span class="field-label">{t('start')}</span>
            <div>
              <label style={RADIO}>
                <input type="radio" name="alert-start" data-testid="alert-start-now" checked={d.startMode === 'now'} onChange={() => set({ startMode: 'now' })} />
                {t('startNow')}
              </label>
              <label style={RADIO}>
                <input type="radio" name="alert-start" data-testid="alert-start-later" checked={d.startMode === 'later'} onChange={() => set({ startMode: 'later' })} />
                {t('startLater')}
              </label>
            </div>
            {d.startMode === 'later' ? (
              <DateTimeField label={t('startAt')} data-testid="alert-start-at" value={d.startAt ? fromLocalInput(d.startAt) : ''} onChange={(iso) => set({ startAt: iso ? toLocalInput(iso) : '' })} />
            ) : null}
          </div>
        </div>

        <div class="field">
          <span class="field-label">{t('duration')}</span>
          <div style={{ display: 'flex', flexWrap: 'wrap', gap: '.4rem', alignItems: 'center' }} role="radiogroup" aria-label={t('duration')}>
            {[...PRESETS.map((p) => p.key), 'custom' as const].map((k) => (
              <button
                key={k}
                type="button"
                role="radio"
                aria-checked={d.duration === k}
                data-testid={`alert-duration-${k}`}
                class={d.duration === k ? 'primary' : ''}
                onClick={() => set({ duration: k })}
              >
                {k === 'custom' ? t('dCustom') : t(k)}
              </button>
            ))}
            {d.duration === 'custom' ? (
              <input
                type="number"
                min={1}
                max={10080}
                step={1}
                style={{ width: '7rem' }}
                aria-label={t('customMinutes')}
                title={t('customMinutes')}
                data-testid="alert-duration-minutes"
                value={d.customMinutes}
                onInput={(e) => set({ customMinutes: (e.target as HTMLInputElement).value })}
              />
            ) : null}
            {d.duration === 'custom' ? <span class="muted small">{t('customMinutes')}</span> : null}
          </div>
        </div>

        {problem ? (
          <div class="error" role="alert" data-testid="alert-form-error">
            {problem}
          </div>
        ) : null}
        <button type="submit" class="primary" data-testid="alert-send" style={{ background: 'var(--bad)', borderColor: 'var(--bad)', fontWeight: 700 }}>
          ⚠ {t('send')}
        </button>
      </form>
      {confirming ? (
        <ConfirmSend
          body={confirming}
          areas={areas}
          reach={r ?? null}
          audioTitle={chosen?.type === 'audio' ? chosen.title : confirming.speakText ? t('spoken') : null}
          twoPerson={twoPerson}
          replaces={active.find((a) => a.areaCode === confirming.areaCode) ?? null}
          onClose={() => setConfirming(null)}
          onSent={(a) => {
            setConfirming(null);
            setD((x) => ({ ...x, contentId: '', title: '', text: '', speak: false }));
            setTitleTouched(false);
            onSent(a);
          }}
        />
      ) : null}
    </section>
  );
}

function ConfirmSend({
  body,
  areas,
  reach,
  audioTitle,
  twoPerson,
  replaces,
  onClose,
  onSent,
}: {
  body: AlertBody;
  areas: AreaView[];
  reach: Reach | null;
  audioTitle: string | null;
  twoPerson: boolean;
  replaces: AlertView | null;
  onClose: () => void;
  onSent: (a: AlertChangeResult) => void;
}) {
  const t = useT(AS);
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<unknown>(null);
  const explain = useAlertErrors();
  const area = areaName(areas, body.areaCode);
  const start = body.effectiveAt ? Date.parse(body.effectiveAt) : null;
  const minutes = Math.round(body.expiresInS / 60);
  const send = () => {
    setBusy(true);
    setErr(null);
    post<AlertChangeResult>('/api/v1/alerts', body).then(
      (a) => {
        setBusy(false);
        onSent(a);
      },
      (e: unknown) => {
        setBusy(false);
        setErr(e);
      },
    );
  };
  return (
    <Modal title={t('confirmTitle')} onClose={onClose}>
      <div data-testid="alert-confirm-dialog">
        <p style={{ fontSize: '1.15rem', fontWeight: 700, color: 'var(--bad)', margin: '0 0 .5rem' }} data-testid="alert-confirm-question">
          {reach ? t('confirmQuestion', { n: reach.total, area }) : t('confirmQuestionUnknown', { area })}
        </p>
        <dl style={FACTS} class="small">
          <dt class="muted">{t('f_area')}</dt>
          <dd style={DD}>{area}</dd>
          <dt class="muted">{t('f_devices')}</dt>
          <dd style={DD}>{reach ? t('reach', { n: reach.total, speakers: reach.speakers, boards: reach.boards, online: reach.online }) : '—'}</dd>
          <dt class="muted">{t('f_title')}</dt>
          <dd style={DD}>
            <strong>{body.title}</strong>
          </dd>
          <dt class="muted">{t('f_audio')}</dt>
          <dd style={DD}>{audioTitle ?? t('none')}</dd>
          <dt class="muted">{t('f_text')}</dt>
          <dd style={DD}>{body.text ?? t('titleOnly')}</dd>
          <dt class="muted">{t('f_volume')}</dt>
          <dd style={DD}>{body.volume ?? t('keepVolume')}</dd>
          <dt class="muted">{t('f_start')}</dt>
          <dd style={DD}>{start ? fmtDateTime(start) : t('now')}</dd>
          <dt class="muted">{t('f_duration')}</dt>
          <dd style={DD}>
            {minutes >= 60 && minutes % 60 === 0 ? `${minutes / 60} h` : `${minutes} min`}
            {start ? ` · ${t('f_end')} ${fmtDateTime(start + body.expiresInS * 1000)}` : ''}
          </dd>
        </dl>
        {replaces ? <p class="small" style={{ background: '#fff4e0', padding: '.5rem .75rem', borderRadius: 'var(--radius)' }}>{t('replaces', { title: replaces.title })}</p> : null}
        {twoPerson ? <p class="small muted">{t('twoPersonOn')}</p> : null}
        {err ? (
          <div class="error" role="alert" data-testid="alert-send-error">
            {explain(err)}
          </div>
        ) : null}
        <div class="row" style={{ justifyContent: 'flex-end' }}>
          <button type="button" onClick={onClose} disabled={busy}>
            {t('back')}
          </button>
          <button type="button" class="primary" data-testid="alert-send-confirm" disabled={busy} onClick={send} style={{ background: 'var(--bad)', borderColor: 'var(--bad)', fontWeight: 700 }}>
            ⚠ {twoPerson ? t('confirmRequest') : t('confirmSend')}
          </button>
        </div>
      </div>
    </Modal>
  );
}
