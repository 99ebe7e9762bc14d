/**
 * Pieces shared by the content library (contents.tsx) and the approvals queue (approvals.tsx): view types the
 * dashboard's types.ts does not carry, user names, the authenticated audio player, the scaled board preview and the
 * reject dialog.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, get, objectUrl } from '../api.js';
import { fmtDateTime, fmtDuration } from '../format.js';
import { defineStrings, useT } from '../i18n.js';
import type { Session } from '../session.js';
import type { BoardProfileView, ContentView, LoudnessView, MediaAudioView, MediaView, TextStyle } from '@loa/shared/rest';
import { useUserNames as useDirectoryNames } from '../user-names.js';
import { Badge, ErrorBox, Field, Loading, Modal, toneOf, useAsync } from '../ui.js';
import { boardPage, renderBoard, type BoardView } from '@loa/shared/board-render';

// ---------------------------------------------------------------------------------------------------------------
// Types: the server's views, from the REST contract

export type { BoardProfileView, LoudnessView, TextStyle };
export type MediaAudioInfo = MediaAudioView;

export type Role = Session['user']['role'];
export const canEdit = (role: Role): boolean => role === 'admin' || role === 'operator';
export const canApprove = (role: Role): boolean => role === 'admin' || role === 'approver';

/** The audio facts of a media record, if the pipeline recorded them. */
export const audioOf = (m: MediaView | null | undefined): MediaAudioInfo | null => (m?.audio ?? null);

export const fmtLufs = (l: LoudnessView | null | undefined): string => {
  if (!l || l.integratedLufs === null) return '—';
  const tp = l.truePeakDbtp === null ? '' : ` / ${l.truePeakDbtp.toFixed(1)} dBTP`;
  return `${l.integratedLufs.toFixed(1)} LUFS${tp}`;
};

// ---------------------------------------------------------------------------------------------------------------
// Strings shared by both pages

export const CS = defineStrings({
  vi: {
    st_draft: 'Bản nháp',
    st_submitted: 'Chờ duyệt',
    st_approved: 'Đã duyệt',
    st_rejected: 'Bị từ chối',
    st_archived: 'Lưu trữ',
    ty_audio: 'Âm thanh',
    ty_text: 'Văn bản',
    ty_image: 'Hình ảnh',
    ty_relay: 'Tiếp sóng',
    autoRule: 'Quy tắc tự động',
    you: 'bạn',
    duration: 'Thời lượng',
    loudnessBefore: 'Độ lớn gốc',
    loudnessAfter: 'Độ lớn sau chuẩn hóa',
    normalization: 'Cách chuẩn hóa',
    normDynamic: 'Động (tự giảm các đỉnh để không vượt giới hạn)',
    normLinear: 'Tuyến tính (một mức khuếch đại cho cả bài)',
    original: 'Tệp gốc',
    profile: 'Màn hình',
    defaultProfile: 'Mặc định 1920×1080',
    previewTitle: 'Xem trước',
    history: 'Lịch sử',
    rejectTitle: 'Từ chối nội dung',
    rejectReason: 'Lý do từ chối',
    rejectHint: 'Người soạn sẽ thấy lý do này để sửa lại.',
    rejectConfirm: 'Từ chối',
    reason: 'Lý do',
    act_create: 'Tạo',
    act_submit: 'Gửi duyệt',
    act_approve: 'Phê duyệt',
    act_reject: 'Từ chối',
    act_archive: 'Lưu trữ',
    act_edit: 'Sửa',
    notOnBoards: 'Nội dung này không hiển thị trên bảng tin.',
    audioLoading: 'Đang tải âm thanh…',
    text: 'Nội dung',
  },
  en: {
    st_draft: 'Draft',
    st_submitted: 'Submitted',
    st_approved: 'Approved',
    st_rejected: 'Rejected',
    st_archived: 'Archived',
    ty_audio: 'Audio',
    ty_text: 'Text',
    ty_image: 'Image',
    ty_relay: 'Relay',
    autoRule: 'Automatic rule',
    you: 'you',
    duration: 'Duration',
    loudnessBefore: 'Loudness (source)',
    loudnessAfter: 'Loudness (normalised)',
    normalization: 'Normalisation',
    normDynamic: 'Dynamic (peaks reduced to stay under the limit)',
    normLinear: 'Linear (one gain for the whole file)',
    original: 'Original file',
    profile: 'Screen',
    defaultProfile: 'Default 1920×1080',
    previewTitle: 'Preview',
    history: 'History',
    rejectTitle: 'Reject content',
    rejectReason: 'Reason',
    rejectHint: 'The author sees this reason and can fix the content.',
    rejectConfirm: 'Reject',
    reason: 'Reason',
    act_create: 'Created',
    act_submit: 'Submitted',
    act_approve: 'Approved',
    act_reject: 'Rejected',
    act_archive: 'Archived',
    act_edit: 'Edited',
    notOnBoards: 'This content is not shown on boards.',
    audioLoading: 'Loading audio…',
    text: 'Text',
  },
});

type CsKey = keyof (typeof CS)['vi'];

/** Label helpers for states, types and history actions (falls back to the raw value). */
export function useContentWords() {
  const t = useT(CS);
  const pick = (key: string, raw: string): string => (key in CS.vi ? t(key as CsKey) : raw);
  return {
    t,
    state: (s: string) => pick(`st_${s}`, s),
    type: (s: string) => pick(`ty_${s}`, s),
    action: (s: string) => pick(`act_${s}`, s),
  };
}

export function StateBadge({ state }: { state: string }) {
  const w = useContentWords();
  return <Badge tone={toneOf(state)}>{w.state(state)}</Badge>;
}

/** True under the stylesheet's phone breakpoint (760px): tables become stacked lists there. */
export function useNarrow(maxWidth = 760): boolean {
  const query = `(max-width: ${maxWidth}px)`;
  const [narrow, setNarrow] = useState(() => typeof matchMedia === 'function' && matchMedia(query).matches);
  useEffect(() => {
    const m = matchMedia(query);
    const on = () => setNarrow(m.matches);
    on();
    m.addEventListener('change', on);
    return () => m.removeEventListener('change', on);
  }, [query]);
  return narrow;
}

// ---------------------------------------------------------------------------------------------------------------
// User names: the directory's names, plus the rules' own approvals and "(you)".

export function useUserNames(session: Session): (id: string | null | undefined) => string {
  const t = useT(CS);
  const name = useDirectoryNames();
  return (id) => {
    if (id === 'approval-rules') return t('autoRule');
    if (id && id === session.user.id) return `${session.user.username} (${t('you')})`;
    return name(id);
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Board profiles

let profilesCache: Promise<BoardProfileView[]> | null = null;
export function useBoardProfiles(): { profiles: BoardProfileView[]; error: Error | undefined } {
  const a = useAsync(() => {
    profilesCache ??= get<BoardProfileView[]>('/api/v1/board-profiles').catch((e: unknown) => {
      profilesCache = null;
      throw e;
    });
    return profilesCache;
  }, []);
  return { profiles: a.data ?? [], error: a.error };
}

export const DEFAULT_SIZE = { width: 1920, height: 1080 };
export const sizeOf = (profiles: BoardProfileView[], id: string): { width: number; height: number } => {
  const p = profiles.find((x) => x.id === id);
  return p ? { width: p.width, height: p.height } : DEFAULT_SIZE;
};

export function ProfileSelect({ value, onChange, testid }: { value: string; onChange: (id: string) => void; testid?: string }) {
  const t = useT(CS);
  const { profiles } = useBoardProfiles();
  return (
    <select value={value} data-testid={testid} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
      <option value="">{t('defaultProfile')}</option>
      {profiles.map((p) => (
        <option key={p.id} value={p.id}>
          {p.name} ({p.width}×{p.height})
        </option>
      ))}
    </select>
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Board preview: the board page at its native resolution, scaled down to the width available.

export function BoardFrame({ html, width, height, maxHeight = 420 }: { html: string; width: number; height: number; maxHeight?: number }) {
  const wrap = useRef<HTMLDivElement>(null);
  const [avail, setAvail] = useState(0);
  useEffect(() => {
    const el = wrap.current;
    if (!el) return;
    const measure = () => setAvail(el.clientWidth);
    measure();
    const ro = new ResizeObserver(measure);
    ro.observe(el);
    return () => ro.disconnect();
  }, []);
  // Fit the width, but a tall portrait screen should not push the page off: cap the height too.
  const scale = avail > 0 ? Math.min(avail / width, maxHeight / height) : 0;
  return (
    <div ref={wrap} style={{ width: '100%' }} data-testid="board-preview" data-width={width} data-height={height}>
      <div style={{ width: `${Math.round(width * scale)}px`, height: `${Math.round(height * scale)}px`, overflow: 'hidden', border: '1px solid var(--line)', borderRadius: '4px', background: '#0b0f14', margin: '0 auto' }}>
        {scale > 0 ? (
          <iframe
            title="board"
            sandbox="allow-scripts"
            srcDoc={html}
            style={{ width: `${width}px`, height: `${height}px`, border: 0, transform: `scale(${scale})`, transformOrigin: '0 0', display: 'block' }}
          />
        ) : null}
      </div>
      <div class="muted small" style={{ textAlign: 'center', marginTop: '.25rem' }}>
        {width}×{height}
      </div>
    </div>
  );
}

/** The same page the server renders (shared renderer), for what is not saved yet. */
export function localBoardHtml(view: BoardView, size: { width: number; height: number }): string {
  return boardPage({ content: renderBoard(view), size, title: view.title });
}

/** The server's preview of a saved text or image content, with a profile switch. */
export function ServerBoardPreview({ contentId, version }: { contentId: string; version?: string | null }) {
  const t = useT(CS);
  const { profiles } = useBoardProfiles();
  const [profileId, setProfileId] = useState('');
  const html = useAsync(() => api<string>('GET', `/api/v1/contents/${encodeURIComponent(contentId)}/preview`, { query: { profileId: profileId || undefined } }), [contentId, profileId, version]);
  const size = sizeOf(profiles, profileId);
  return (
    <div>
      <Field label={t('profile')}>
        <ProfileSelect value={profileId} onChange={setProfileId} testid="preview-profile" />
      </Field>
      <ErrorBox error={html.error} />
      <Loading when={html.loading && !html.data} />
      {html.data ? <BoardFrame html={html.data} width={size.width} height={size.height} /> : null}
    </div>
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Audio player fed by an authenticated object URL (the media route needs the bearer header).

export function AudioPlayer({ sha256, autoPlay }: { sha256: string; autoPlay?: boolean }) {
  const t = useT(CS);
  const [url, setUrl] = useState<string | null>(null);
  const [err, setErr] = useState<unknown>(null);
  useEffect(() => {
    let alive = true;
    let made: string | null = null;
    setUrl(null);
    setErr(null);
    objectUrl(`/api/v1/media/${sha256}`).then(
      (u) => {
        made = u;
        if (alive) setUrl(u);
        else URL.revokeObjectURL(u);
      },
      (e: unknown) => alive && setErr(e),
    );
    return () => {
      alive = false;
      if (made) URL.revokeObjectURL(made);
    };
  }, [sha256]);
  if (err) return <ErrorBox error={err} />;
  if (!url) return <div class="muted small">{t('audioLoading')}</div>;
  return <audio controls src={url} autoPlay={autoPlay} preload="metadata" style={{ width: '100%', maxWidth: '28rem' }} data-testid="audio-preview" />;
}

/** Duration and loudness before → after of one media record. */
export function LoudnessFacts({ media }: { media: MediaView }) {
  const t = useT(CS);
  const a = audioOf(media);
  return (
    <dl style={{ display: 'grid', gridTemplateColumns: 'max-content 1fr', gap: '.2rem .75rem', margin: '.5rem 0' }} class="small">
      <dt class="muted">{t('duration')}</dt>
      <dd style={{ margin: 0 }}>{fmtDuration(media.durationMs)}</dd>
      <dt class="muted">{t('loudnessBefore')}</dt>
      <dd style={{ margin: 0 }} data-testid="loudness-before">
        {fmtLufs(a?.loudnessBefore)}
      </dd>
      <dt class="muted">{t('loudnessAfter')}</dt>
      <dd style={{ margin: 0 }} data-testid="loudness-after">
        {fmtLufs(a?.loudnessAfter)}
      </dd>
      {a ? (
        <>
          <dt class="muted">{t('normalization')}</dt>
          <dd style={{ margin: 0 }} data-testid="normalization">
            {a.normalization === 'dynamic' ? t('normDynamic') : a.normalization === 'linear' ? t('normLinear') : a.normalization}
          </dd>
          <dt class="muted">{t('original')}</dt>
          <dd style={{ margin: 0, overflowWrap: 'anywhere' }}>
            {media.originalName} · {a.sourceCodec} · {fmtDuration(a.sourceDurationMs)}
          </dd>
        </>
      ) : null}
    </dl>
  );
}

/** Audio with its loudness facts, loading the media info on demand. */
export function AudioPreview({ sha256, media: known }: { sha256: string; media?: MediaView | undefined }) {
  const info = useAsync<MediaView>(() => (known ? Promise.resolve(known) : get<MediaView>(`/api/v1/media/${sha256}/info`)), [sha256, known?.sha256]);
  return (
    <div>
      <AudioPlayer sha256={sha256} />
      <ErrorBox error={info.error} />
      {info.data ? <LoudnessFacts media={info.data} /> : null}
    </div>
  );
}

/** What a content plays or shows: audio player + loudness, or the board page; plus its text. */
export function ContentPreview({ content, media }: { content: ContentView; media?: MediaView | undefined }) {
  const t = useT(CS);
  if (content.type === 'audio' && content.mediaSha256) return <AudioPreview sha256={content.mediaSha256} media={media} />;
  if (content.type === 'text' || content.type === 'image') return <ServerBoardPreview contentId={content.id} version={content.updatedAt} />;
  return (
    <div class="small">
      <p class="muted">{t('notOnBoards')}</p>
      {content.url ? <p style={{ overflowWrap: 'anywhere' }}>{content.url}</p> : null}
    </div>
  );
}

export function ContentHistory({ content, userName }: { content: ContentView; userName: (id: string | null | undefined) => string }) {
  const w = useContentWords();
  if (content.history.length === 0) return null;
  return (
    <div>
      <h3>{w.t('history')}</h3>
      <ul class="small" style={{ paddingLeft: '1.1rem', margin: 0 }}>
        {content.history.map((h, i) => (
          <li key={i}>
            {fmtDateTime(h.at)} — {w.action(h.action)} · {userName(h.by)}
            {h.reason ? <span class="muted"> — {h.reason}</span> : null}
          </li>
        ))}
      </ul>
    </div>
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Reject with a reason

export function RejectDialog({ title, heading, onReject, onClose }: { title: string; heading?: string; onReject: (reason: string) => Promise<unknown>; onClose: () => void }) {
  const t = useT(CS);
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [err, setErr] = useState<unknown>(null);
  const submit = (e: Event) => {
    e.preventDefault();
    if (!reason.trim()) return;
    setBusy(true);
    setErr(null);
    onReject(reason.trim()).then(
      () => {
        setBusy(false);
        onClose();
      },
      (x: unknown) => {
        setBusy(false);
        setErr(x);
      },
    );
  };
  return (
    <Modal title={`${heading ?? t('rejectTitle')}: ${title}`} onClose={onClose}>
      <form onSubmit={submit}>
        <Field label={t('rejectReason')} hint={t('rejectHint')}>
          <textarea data-testid="reject-reason" value={reason} required maxLength={1000} autoFocus onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)} />
        </Field>
        <ErrorBox error={err} />
        <button type="submit" class="primary" disabled={busy || !reason.trim()} data-testid="reject-confirm">
          {t('rejectConfirm')}
        </button>
      </form>
    </Modal>
  );
}
