import { useEffect, useRef, useState } from 'preact/hooks';
import type { AnnouncementView, AreaView, CreateAnnouncementRequest, MediaUploadView } from '@loa/shared/rest';
import { api, get, post } from '../api.js';
import { fmtDateTime, fromLocalInput, toLocalInput } from '../format.js';
import { defineStrings, useT } from '../i18n.js';
import type { SessionUser } from '../session.js';
import { Badge, ErrorBox, Field, Loading, useAreas, useAsync, type Tone } from '../ui.js';

const S = defineStrings({
  vi: {
    title: 'Thông báo trong xã',
    heading: 'Tiêu đề',
    headingPh: 'VD: Họp dân thôn Yên Thịnh',
    typed: 'Gõ chữ (đọc tự động)',
    recorded: 'Ghi âm',
    text: 'Nội dung đọc',
    textPh: 'Gõ nội dung; máy chủ đọc thành giọng nói',
    boardText: 'Chữ hiện trên bảng tin (không bắt buộc)',
    where: 'Phát ở',
    whole: 'Toàn xã',
    when: 'Thời gian',
    now: 'Phát ngay',
    later: 'Hẹn giờ',
    at: 'Lúc',
    volume: 'Âm lượng (để trống: như cài đặt loa)',
    record: '● Bắt đầu ghi âm',
    stop: '■ Dừng ghi',
    again: 'Ghi lại',
    recording: 'Đang ghi… {s} giây',
    recorded_ok: 'Đã ghi {s} giây',
    noMic: 'Trình duyệt không cho dùng micro: {m}',
    noRecording: 'Hãy ghi âm trước khi gửi.',
    noText: 'Hãy gõ nội dung cần đọc.',
    noTitle: 'Hãy nhập tiêu đề.',
    send: 'Gửi thông báo',
    sending: 'Đang gửi…',
    sent: 'Đã gửi: {state}',
    recent: 'Thông báo gần đây',
    none: 'Chưa có thông báo nào.',
    played: 'Đã phát {n}/{m} thiết bị',
    failedN: '{n} lỗi',
    'state.awaiting-content': 'Chờ duyệt nội dung',
    'state.awaiting-schedule': 'Chờ duyệt lịch',
    'state.scheduled': 'Đã lên lịch',
    'state.rejected': 'Bị từ chối',
    'state.failed': 'Không lên lịch được',
    asap: 'ngay khi duyệt',
  },
  en: {
    title: 'Announce in the commune',
    heading: 'Title',
    headingPh: 'e.g. Village meeting in Yên Thịnh',
    typed: 'Type (read aloud)',
    recorded: 'Record',
    text: 'Text to read',
    textPh: 'Type the text; the server reads it aloud',
    boardText: 'Text shown on boards (optional)',
    where: 'Where',
    whole: 'Whole commune',
    when: 'When',
    now: 'Now',
    later: 'At a time',
    at: 'At',
    volume: 'Volume (empty: the speaker’s setting)',
    record: '● Start recording',
    stop: '■ Stop',
    again: 'Record again',
    recording: 'Recording… {s} s',
    recorded_ok: 'Recorded {s} s',
    noMic: 'The browser refused the microphone: {m}',
    noRecording: 'Record something before sending.',
    noText: 'Type the text to read.',
    noTitle: 'Enter a title.',
    send: 'Send announcement',
    sending: 'Sending…',
    sent: 'Sent: {state}',
    recent: 'Recent announcements',
    none: 'No announcements yet.',
    played: 'Played on {n}/{m} devices',
    failedN: '{n} failed',
    'state.awaiting-content': 'Waiting for content approval',
    'state.awaiting-schedule': 'Waiting for schedule approval',
    'state.scheduled': 'Scheduled',
    'state.rejected': 'Rejected',
    'state.failed': 'Could not be scheduled',
    asap: 'as soon as approved',
  },
});

const STATE_TONE: Record<string, Tone> = { 'awaiting-content': 'warn', 'awaiting-schedule': 'warn', scheduled: 'ok', rejected: 'bad', failed: 'bad' };
const FINAL_STATES = ['rejected', 'failed'];
/** Still moving: waiting for an approver, or deliveries not all settled. */
const SETTLED = ['finished', 'failed', 'preempted', 'skipped', 'expired'];
const settled = (a: AnnouncementView): number => SETTLED.reduce((n, k) => n + (a.summary[k] ?? 0), 0);
/** Worth refreshing: waiting for an approver, or playing about now and not yet settled on every device. */
const moving = (a: AnnouncementView): boolean =>
  !FINAL_STATES.includes(a.state) && (a.state !== 'scheduled' || ((a.deviceCount === 0 || settled(a) < a.deviceCount) && Date.parse(a.startAt ?? a.createdAt) < Date.now() + 10 * 60_000));

/** The commune and its villages: where an officer may announce. */
function ownAreas(areas: AreaView[], root: string | null): AreaView[] {
  if (!root) return areas;
  const rootArea = areas.find((a) => a.code === root);
  if (!rootArea) return [];
  return areas.filter((a) => a.path.startsWith(rootArea.path));
}

/** A recording from the microphone, as MediaRecorder gives it (WebM/Opus in Chromium, MP4/AAC in Safari). */
function useRecorder() {
  const [state, setState] = useState<'idle' | 'recording' | 'done'>('idle');
  const [seconds, setSeconds] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const blob = useRef<Blob | null>(null);
  const recorder = useRef<MediaRecorder | null>(null);
  const started = useRef(0);
  useEffect(() => {
    if (state !== 'recording') return;
    const timer = setInterval(() => setSeconds(Math.round((Date.now() - started.current) / 1000)), 250);
    return () => clearInterval(timer);
  }, [state]);
  const start = async () => {
    setError(null);
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1 } });
      const chunks: Blob[] = [];
      const r = new MediaRecorder(stream);
      r.ondataavailable = (e) => e.data.size > 0 && chunks.push(e.data);
      r.onstop = () => {
        for (const track of stream.getTracks()) track.stop();
        blob.current = new Blob(chunks, { type: r.mimeType || 'audio/webm' });
        setSeconds(Math.round((Date.now() - started.current) / 1000));
        setState('done');
      };
      started.current = Date.now();
      r.start(250);
      recorder.current = r;
      setState('recording');
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  const stop = () => recorder.current?.state === 'recording' && recorder.current.stop();
  const reset = () => {
    blob.current = null;
    setState('idle');
    setSeconds(0);
  };
  return { state, seconds, error, blob, start, stop, reset };
}

export function AnnounceForm({ user, onSent }: { user: SessionUser; onSent: (a: AnnouncementView) => void }) {
  const t = useT(S);
  const areas = ownAreas(useAreas(), user.areaCode);
  const [mode, setMode] = useState<'tts' | 'recording'>('tts');
  const [title, setTitle] = useState('');
  const [text, setText] = useState('');
  const [boardText, setBoardText] = useState('');
  const [area, setArea] = useState('');
  const [later, setLater] = useState(false);
  const [at, setAt] = useState(() => toLocalInput(Date.now() + 60 * 60_000));
  const [volume, setVolume] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<AnnouncementView | null>(null);
  const rec = useRecorder();

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setDone(null);
    if (!title.trim()) return setError(new Error(t('noTitle')));
    if (mode === 'tts' && !text.trim()) return setError(new Error(t('noText')));
    if (mode === 'recording' && !rec.blob.current) return setError(new Error(t('noRecording')));
    setBusy(true);
    try {
      let source: CreateAnnouncementRequest['source'];
      if (mode === 'tts') source = { kind: 'tts', text: text.trim() };
      else {
        const blob = rec.blob.current!;
        const media = await api<MediaUploadView>('POST', '/api/v1/announcements/recordings', { raw: blob, contentType: blob.type || 'audio/webm' });
        source = { kind: 'recording', mediaSha256: media.sha256 };
      }
      const body: CreateAnnouncementRequest = {
        title: title.trim(),
        source,
        ...(boardText.trim() ? { boardText: boardText.trim() } : {}),
        ...(area ? { areas: [area] } : {}),
        ...(later ? { startAt: fromLocalInput(at) } : {}),
        ...(volume.trim() ? { volume: Math.max(0, Math.min(100, Number(volume))) } : {}),
      };
      const a = await post<AnnouncementView>('/api/v1/announcements', body);
      setDone(a);
      setTitle('');
      setText('');
      setBoardText('');
      rec.reset();
      onSent(a);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card form" onSubmit={submit} data-testid="announce-form">
      <h2 style={{ fontSize: '1.1rem', marginTop: 0 }}>{t('title')}</h2>
      <Field label={t('heading')}>
        <input value={title} maxLength={200} placeholder={t('headingPh')} data-testid="announce-title" onInput={(e) => setTitle((e.target as HTMLInputElement).value)} />
      </Field>
      <div class="tabs" role="tablist">
        <button type="button" role="tab" aria-selected={mode === 'tts'} class={mode === 'tts' ? 'active' : ''} data-testid="announce-mode-tts" onClick={() => setMode('tts')}>
          {t('typed')}
        </button>
        <button type="button" role="tab" aria-selected={mode === 'recording'} class={mode === 'recording' ? 'active' : ''} data-testid="announce-mode-recording" onClick={() => setMode('recording')}>
          {t('recorded')}
        </button>
      </div>
      {mode === 'tts' ? (
        <Field label={t('text')}>
          <textarea rows={4} value={text} placeholder={t('textPh')} data-testid="announce-text" onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
        </Field>
      ) : (
        <div class="row" style={{ alignItems: 'center', gap: '.5rem', margin: '.5rem 0' }} data-testid="announce-recorder" data-state={rec.state}>
          {rec.state === 'recording' ? (
            <button type="button" class="danger" onClick={rec.stop} data-testid="announce-record-stop">
              {t('stop')}
            </button>
          ) : (
            <button type="button" onClick={() => void rec.start()} data-testid="announce-record-start">
              {rec.state === 'done' ? t('again') : t('record')}
            </button>
          )}
          <span class="small">{rec.state === 'recording' ? t('recording', { s: rec.seconds }) : rec.state === 'done' ? t('recorded_ok', { s: rec.seconds }) : ''}</span>
          {rec.error ? <span class="error inline">{t('noMic', { m: rec.error })}</span> : null}
        </div>
      )}
      <Field label={t('boardText')}>
        <input value={boardText} maxLength={2000} data-testid="announce-board-text" onInput={(e) => setBoardText((e.target as HTMLInputElement).value)} />
      </Field>
      <div class="row">
        <Field label={t('where')}>
          <select value={area} data-testid="announce-area" onChange={(e) => setArea((e.target as HTMLSelectElement).value)}>
            <option value="">{t('whole')}</option>
            {areas
              .filter((a) => a.code !== user.areaCode)
              .map((a) => (
                <option key={a.code} value={a.code}>
                  {a.name}
                </option>
              ))}
          </select>
        </Field>
        <Field label={t('volume')}>
          <input type="number" min={0} max={100} value={volume} data-testid="announce-volume" onInput={(e) => setVolume((e.target as HTMLInputElement).value)} />
        </Field>
      </div>
      <div class="row" style={{ alignItems: 'center' }}>
        <label class="row-inline">
          <input type="radio" name="announce-when" checked={!later} onChange={() => setLater(false)} data-testid="announce-now" /> {t('now')}
        </label>
        <label class="row-inline">
          <input type="radio" name="announce-when" checked={later} onChange={() => setLater(true)} data-testid="announce-later" /> {t('later')}
        </label>
        {later ? <input type="datetime-local" value={at} aria-label={t('at')} data-testid="announce-at" onInput={(e) => setAt((e.target as HTMLInputElement).value)} /> : null}
      </div>
      <ErrorBox error={error} />
      {done ? (
        <div class="notice notice-success" role="status" data-testid="announce-sent" data-state={done.state}>
          {t('sent', { state: t(`state.${done.state}` as 'state.scheduled') })}
        </div>
      ) : null}
      <p>
        <button type="submit" class="primary" disabled={busy} data-testid="announce-send">
          {busy ? t('sending') : t('send')}
        </button>
      </p>
    </form>
  );
}

/** The commune's recent announcements with their approval state and how many devices played them (refreshed while any moves). */
export function AnnouncementList({ version }: { version: number }) {
  const t = useT(S);
  const list = useAsync(() => get<AnnouncementView[]>('/api/v1/announcements', { limit: 20 }), [version]);
  const anyMoving = (list.data ?? []).some(moving);
  useEffect(() => {
    if (!anyMoving) return;
    const timer = setTimeout(() => list.reload(), 3000);
    return () => clearTimeout(timer);
  }, [list.data]);
  return (
    <section class="card" data-testid="announcement-list">
      <h2 style={{ fontSize: '1.1rem', marginTop: 0 }}>{t('recent')}</h2>
      <ErrorBox error={list.error} />
      <Loading when={list.loading && !list.data} />
      {list.data?.length === 0 ? <p class="muted">{t('none')}</p> : null}
      {(list.data ?? []).map((a) => {
        const played = a.summary.finished ?? 0;
        const failed = (a.summary.failed ?? 0) + (a.summary.expired ?? 0);
        return (
          <div key={a.id} style={{ borderTop: '1px solid var(--line)', padding: '.5rem 0' }} data-testid="announcement-row" data-id={a.id} data-state={a.state} data-played={played}>
            <div class="row" style={{ justifyContent: 'space-between', gap: '.5rem', alignItems: 'center' }}>
              <b style={{ overflowWrap: 'anywhere' }}>{a.title}</b>
              <Badge tone={STATE_TONE[a.state] ?? 'muted'}>{t(`state.${a.state}` as 'state.scheduled')}</Badge>
            </div>
            <p class="muted small" style={{ margin: '.2rem 0' }}>
              {fmtDateTime(a.startAt ?? a.createdAt)}
              {a.startAt ? '' : ` (${t('asap')})`}
              {a.state === 'scheduled' ? ` · ${t('played', { n: played, m: a.deviceCount })}` : ''}
              {failed > 0 ? ` · ${t('failedN', { n: failed })}` : ''}
            </p>
            {a.text ? <p class="small" style={{ margin: 0, overflowWrap: 'anywhere' }}>{a.text}</p> : null}
            {a.reason && a.state !== 'scheduled' ? <p class="error inline small">{a.reason}</p> : null}
          </div>
        );
      })}
    </section>
  );
}
