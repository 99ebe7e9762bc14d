/**
 * Upload an audio bulletin: bytes with a progress bar, then the server's processing job (check, transcode,
 * loudness normalisation) followed live and by polling, then the audio content created (and submitted if asked).
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { get, post, upload } from '../api.js';
import { fmtBytes } from '../format.js';
import { defineStrings, useT } from '../i18n.js';
import { useLive } from '../live.js';
import type { ContentView, MediaJobView } from '@loa/shared/rest';
import { ErrorBox, Field, Progress } from '../ui.js';
import { AudioPreview } from './content-shared.js';

const S = defineStrings({
  vi: {
    heading: 'Tải lên bản tin âm thanh',
    title: 'Tiêu đề',
    titlePh: 'VD: Bản tin sáng thứ Hai',
    file: 'Tệp âm thanh',
    fileHint: 'MP3, WAV, M4A/AAC, OGG/Opus, FLAC, AMR, WebM. Tệp được kiểm tra, chuyển định dạng và chuẩn hóa độ lớn (−16 LUFS).',
    submitNow: 'Gửi duyệt ngay sau khi tải lên',
    upload: 'Tải lên',
    st_sending: 'Đang gửi tệp',
    st_receiving: 'Đang nhận tệp',
    st_queued: 'Đang chờ xử lý',
    st_processing: 'Đang xử lý âm thanh',
    st_done: 'Xử lý xong',
    st_failed: 'Xử lý thất bại',
    st_creating: 'Đang tạo nội dung',
    st_created: 'Đã tạo nội dung',
    failed: 'Không xử lý được tệp: {msg}',
    done: 'Đã tạo nội dung “{title}” ({state}).',
    another: 'Tải tệp khác',
    bytes: '{sent} / {total}',
  },
  en: {
    heading: 'Upload an audio bulletin',
    title: 'Title',
    titlePh: 'e.g. Monday morning bulletin',
    file: 'Audio file',
    fileHint: 'MP3, WAV, M4A/AAC, OGG/Opus, FLAC, AMR, WebM. The file is checked, transcoded and loudness-normalised (−16 LUFS).',
    submitNow: 'Submit for approval right after upload',
    upload: 'Upload',
    st_sending: 'Sending the file',
    st_receiving: 'Receiving the file',
    st_queued: 'Waiting to be processed',
    st_processing: 'Processing the audio',
    st_done: 'Processed',
    st_failed: 'Processing failed',
    st_creating: 'Creating the content',
    st_created: 'Content created',
    failed: 'The file could not be processed: {msg}',
    done: 'Created the content “{title}” ({state}).',
    another: 'Upload another file',
    bytes: '{sent} / {total}',
  },
});

type Phase = 'idle' | 'sending' | 'job' | 'creating' | 'created' | 'failed';

const stateKey = (s: string) => `st_${s}` as keyof (typeof S)['vi'];
const FINAL = new Set(['done', 'failed']);

export function UploadAudio({ onCreated, stateLabel }: { onCreated: (c: ContentView) => void; stateLabel: (s: string) => string }) {
  const t = useT(S);
  const [title, setTitle] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [submitNow, setSubmitNow] = useState(true);
  const [phase, setPhase] = useState<Phase>('idle');
  const [sent, setSent] = useState(0);
  const [job, setJob] = useState<MediaJobView | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [created, setCreated] = useState<ContentView | null>(null);
  const fileInput = useRef<HTMLInputElement>(null);
  // What the job follower needs without re-subscribing.
  const ctx = useRef({ title: '', submitNow: true, handled: false });

  const finish = async (j: MediaJobView) => {
    if (ctx.current.handled) return;
    ctx.current.handled = true;
    if (j.state === 'failed' || !j.mediaSha256) {
      setPhase('failed');
      setError(new Error(t('failed', { msg: j.message ?? j.reason ?? 'unknown' })));
      return;
    }
    setPhase('creating');
    try {
      const c = await post<ContentView>('/api/v1/contents', { type: 'audio', title: ctx.current.title, mediaSha256: j.mediaSha256, submit: ctx.current.submitNow || undefined });
      setCreated(c);
      setPhase('created');
      onCreated(c);
    } catch (e) {
      setPhase('failed');
      setError(e);
    }
  };

  const track = (j: MediaJobView) => {
    setJob((prev) => (prev && prev.id === j.id && FINAL.has(prev.state) ? prev : j));
    if (FINAL.has(j.state)) void finish(j);
  };

  // Live: media.job events for our job.
  useLive('media.job', (e) => {
    const j = (e as unknown as { job?: MediaJobView }).job;
    if (j && job && j.id === job.id && phase === 'job') track(j);
  });

  // Polling as well: the live stream may be down, or the job done before we subscribed.
  useEffect(() => {
    if (phase !== 'job' || !job) return;
    const id = job.id;
    let stop = false;
    const tick = async () => {
      while (!stop && !ctx.current.handled) {
        try {
          track(await get<MediaJobView>(`/api/v1/media/jobs/${id}`));
        } catch {
          // keep trying: a transient error should not lose the upload
        }
        await new Promise((r) => setTimeout(r, 1000));
      }
    };
    void tick();
    return () => {
      stop = true;
    };
  }, [phase, job?.id]);

  const start = async (e: Event) => {
    e.preventDefault();
    if (!file || !title.trim()) return;
    ctx.current = { title: title.trim(), submitNow, handled: false };
    setError(null);
    setCreated(null);
    setJob(null);
    setSent(0);
    setPhase('sending');
    const form = new FormData();
    form.append('file', file, file.name);
    try {
      const j = await upload<MediaJobView>('/api/v1/media?async=true', form, setSent);
      setSent(1);
      setJob(j);
      setPhase('job');
      if (FINAL.has(j.state)) void finish(j);
    } catch (err) {
      setPhase('failed');
      setError(err);
    }
  };

  const reset = () => {
    setPhase('idle');
    setTitle('');
    setFile(null);
    setJob(null);
    setError(null);
    setCreated(null);
    if (fileInput.current) fileInput.current.value = '';
  };

  const busy = phase === 'sending' || phase === 'job' || phase === 'creating';
  // The wrapper's data-state: the job's state as the server names it (receiving while the bytes go up).
  const dataState = phase === 'sending' ? 'receiving' : phase === 'created' ? 'done' : phase === 'failed' ? 'failed' : (job?.state ?? phase);
  const label =
    phase === 'sending'
      ? t('st_sending')
      : phase === 'creating'
        ? t('st_creating')
        : phase === 'created'
          ? t('st_created')
          : phase === 'failed'
            ? t('st_failed')
            : job
              ? t(stateKey(job.state))
              : '';
  const value = phase === 'sending' ? sent : phase === 'job' && job ? (job.state === 'receiving' ? 1 : job.progress) : phase === 'failed' ? (job?.progress ?? sent) : 1;

  return (
    <section class="card" data-testid="upload-audio">
      <h2>{t('heading')}</h2>
      <form onSubmit={start}>
        <div class="row">
          <Field label={t('title')}>
            <input data-testid="upload-title" value={title} maxLength={200} required disabled={busy} placeholder={t('titlePh')} onInput={(e) => setTitle((e.target as HTMLInputElement).value)} />
          </Field>
          <Field label={t('file')}>
            <input
              ref={fileInput}
              type="file"
              accept="audio/*"
              data-testid="upload-input"
              required
              disabled={busy}
              onChange={(e) => {
                const f = (e.target as HTMLInputElement).files?.[0] ?? null;
                setFile(f);
                // A title from the file name when none was typed.
                if (f && !title.trim()) setTitle(f.name.replace(/\.[^.]+$/, '').replace(/[_-]+/g, ' ').trim());
              }}
            />
          </Field>
        </div>
        <p class="field-hint" style={{ marginTop: 0 }}>
          {t('fileHint')}
        </p>
        <div class="row" style={{ alignItems: 'center' }}>
          <label style={{ display: 'flex', gap: '.4rem', alignItems: 'center' }}>
            <input type="checkbox" data-testid="upload-submit-now" checked={submitNow} disabled={busy} onChange={(e) => setSubmitNow((e.target as HTMLInputElement).checked)} />
            {t('submitNow')}
          </label>
          <span class="spacer" style={{ flex: 1 }} />
          {phase === 'created' || phase === 'failed' ? (
            <button type="button" onClick={reset}>
              {t('another')}
            </button>
          ) : null}
          <button type="submit" class="primary" data-testid="upload-submit" disabled={busy || !file || !title.trim()}>
            {t('upload')}
          </button>
        </div>
      </form>
      {phase !== 'idle' ? (
        <div data-testid="upload-progress" data-state={dataState} data-job-id={job?.id ?? ''} style={{ marginTop: '.75rem' }}>
          <Progress value={value} label={label} />
          {phase === 'sending' && file ? (
            <div class="muted small">{t('bytes', { sent: fmtBytes(Math.round(sent * file.size)), total: fmtBytes(file.size) })}</div>
          ) : null}
        </div>
      ) : null}
      <ErrorBox error={error} />
      {created ? (
        <div data-testid="upload-done" data-content-id={created.id} data-state={created.state} style={{ marginTop: '.5rem' }}>
          <p class="ok" style={{ margin: '.25rem 0' }}>
            {t('done', { title: created.title, state: stateLabel(created.state) })}
          </p>
          {created.mediaSha256 ? <AudioPreview sha256={created.mediaSha256} /> : null}
        </div>
      ) : null}
    </section>
  );
}
