/**
 * Content library (#/contents): every bulletin, board message and image with its lifecycle state, loudness and
 * actions (submit, approve/reject, archive, edit, preview), and the creators: audio upload, text-to-speech, board
 * message editor, image upload.
 */
import { useRef, useState } from 'preact/hooks';
import { can } from '../capabilities.js';
import type { PageProps } from '../app.js';
import { get, patch, post } from '../api.js';
import { fmtDateTime, fmtDuration } from '../format.js';
import { defineStrings, useCommon, useT } from '../i18n.js';
import { useLive } from '../live.js';
import type { ContentView, MediaView } from '@loa/shared/rest';
import { ActionButton, Empty, ErrorBox, Field, Loading, Modal, PageHeader, useAsync } from '../ui.js';
import { BoardEditor, ImageUpload } from './content-board.js';
import { audioOf, useNarrow, canApprove, canEdit, ContentHistory, ContentPreview, fmtLufs, RejectDialog, StateBadge, useContentWords, useUserNames } from './content-shared.js';
import { TtsForm } from './content-tts.js';
import { UploadAudio } from './content-upload.js';

const S = defineStrings({
  vi: {
    title: 'Thư viện nội dung',
    create: 'Tạo nội dung mới',
    tab_audio: 'Tải lên âm thanh',
    tab_tts: 'Đọc văn bản (TTS)',
    tab_board: 'Thông báo bảng tin',
    tab_image: 'Hình ảnh',
    tab_none: 'Thu gọn',
    all: 'Tất cả',
    type: 'Loại',
    search: 'Tìm theo tiêu đề',
    col_title: 'Tiêu đề',
    col_type: 'Loại',
    col_state: 'Trạng thái',
    col_duration: 'Thời lượng',
    col_loudness: 'Độ lớn (LUFS / đỉnh)',
    col_created: 'Người tạo / lúc',
    col_actions: 'Thao tác',
    source: 'gốc',
    preview: 'Xem/Nghe',
    submit: 'Gửi duyệt',
    approve: 'Duyệt',
    reject: 'Từ chối',
    archive: 'Lưu trữ',
    edit: 'Sửa',
    rejectedBecause: 'Lý do từ chối: {reason}',
    editTitle: 'Sửa nội dung',
    fieldTitle: 'Tiêu đề',
    displaySeconds: 'Thời gian hiển thị (giây)',
    audioEditHint: 'Muốn thay tệp âm thanh, hãy tải lên tệp mới thành nội dung mới.',
    count: '{n} nội dung',
    readOnly: 'Bạn chỉ có quyền xem và phê duyệt nội dung.',
    markEmergency: 'Dùng cho khẩn cấp',
    unmarkEmergency: 'Bỏ dùng cho khẩn cấp',
    emergencyBadge: 'Dùng cho khẩn cấp',
    emergencyHint: 'Âm thanh dùng cho khẩn cấp được đưa vào mẫu phát cảnh báo khẩn khi quy tắc phê duyệt giới hạn âm thanh cảnh báo.',
  },
  en: {
    title: 'Content library',
    create: 'New content',
    tab_audio: 'Upload audio',
    tab_tts: 'Text to speech',
    tab_board: 'Board message',
    tab_image: 'Image',
    tab_none: 'Collapse',
    all: 'All',
    type: 'Type',
    search: 'Search titles',
    col_title: 'Title',
    col_type: 'Type',
    col_state: 'State',
    col_duration: 'Duration',
    col_loudness: 'Loudness (LUFS / peak)',
    col_created: 'Created by / at',
    col_actions: 'Actions',
    source: 'source',
    preview: 'Preview',
    submit: 'Submit',
    approve: 'Approve',
    reject: 'Reject',
    archive: 'Archive',
    edit: 'Edit',
    rejectedBecause: 'Rejected: {reason}',
    editTitle: 'Edit content',
    fieldTitle: 'Title',
    displaySeconds: 'Display time (seconds)',
    audioEditHint: 'To replace the audio, upload the new file as a new content.',
    count: '{n} items',
    readOnly: 'You may view and approve content.',
    markEmergency: 'Use for emergencies',
    unmarkEmergency: 'Stop using for emergencies',
    emergencyBadge: 'For emergencies',
    emergencyHint: 'Audio marked for emergencies is what the alert form offers when the approval rules limit alert audio.',
  },
});

/** Row buttons: smaller, so four fit in the actions column. */
const SMALL = { padding: '.25rem .55rem', minHeight: '32px', fontSize: '.88rem' };
const STATES = ['draft', 'submitted', 'approved', 'rejected', 'archived'] as const;
const TYPES = ['audio', 'text', 'image'] as const;
type Creator = 'audio' | 'tts' | 'board' | 'image' | 'none';

export function ContentsPage({ route, session }: PageProps) {
  const t = useT(S);
  const c = useCommon();
  const w = useContentWords();
  const role = session.user.role;
  // Issue 19: what the server says the user may do (falls back to the role for an older sign-in).
  const editor = can(session.user, 'createContent') && canEdit(role);
  const approver = can(session.user, 'approve') && canApprove(role);
  const userName = useUserNames(session);
  const narrow = useNarrow();

  const [stateFilter, setStateFilter] = useState(route.query.get('state') ?? '');
  const [typeFilter, setTypeFilter] = useState(route.query.get('type') ?? '');
  const [q, setQ] = useState('');
  const [creator, setCreator] = useState<Creator>(editor ? ((route.query.get('new') as Creator | null) ?? 'audio') : 'none');
  const [previewing, setPreviewing] = useState<ContentView | null>(null);
  const [rejecting, setRejecting] = useState<ContentView | null>(null);
  const [editing, setEditing] = useState<ContentView | null>(null);

  const list = useAsync(() => get<ContentView[]>('/api/v1/contents'), []);
  const media = useAsync(() => get<MediaView[]>('/api/v1/media').then((ms) => new Map(ms.map((m) => [m.sha256, m]))), []);

  // Another user's (or tab's) lifecycle step: reload, at most every half second.
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const reloadSoon = () => {
    if (timer.current) return;
    timer.current = setTimeout(() => {
      timer.current = null;
      list.reload();
    }, 500);
  };
  useLive('content.state', reloadSoon);

  const replace = (next: ContentView) => {
    list.set((prev) => {
      const items = prev ?? [];
      return items.some((x) => x.id === next.id) ? items.map((x) => (x.id === next.id ? next : x)) : [next, ...items];
    });
    if (previewing?.id === next.id) setPreviewing(next);
  };
  const created = (next: ContentView) => {
    replace(next);
    if (next.type === 'audio') media.reload();
  };

  const all = [...(list.data ?? [])].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  const byType = all.filter((x) => !typeFilter || x.type === typeFilter).filter((x) => !q.trim() || x.title.toLowerCase().includes(q.trim().toLowerCase()));
  const rows = byType.filter((x) => !stateFilter || x.state === stateFilter);
  const countOf = (s: string) => byType.filter((x) => x.state === s).length;

  const act = async (x: ContentView, action: 'submit' | 'approve' | 'archive') => replace(await post<ContentView>(`/api/v1/contents/${x.id}/${action}`));

  return (
    <div>
      <PageHeader title={t('title')}>
        <button type="button" onClick={() => list.reload()}>
          {c('refresh')}
        </button>
      </PageHeader>

      {editor ? (
        <>
          <div class="tabs" role="tablist" aria-label={t('create')}>
            {(['audio', 'tts', 'board', 'image', 'none'] as const).map((k) => (
              <button key={k} type="button" role="tab" aria-selected={creator === k} class={creator === k ? 'active' : ''} style={{ whiteSpace: 'nowrap' }} data-testid={`creator-${k}`} onClick={() => setCreator(k)}>
                {t(`tab_${k}`)}
              </button>
            ))}
          </div>
          {creator === 'audio' ? <UploadAudio onCreated={created} stateLabel={w.state} /> : null}
          {creator === 'tts' ? <TtsForm onCreated={created} /> : null}
          {creator === 'board' ? <BoardEditor onSaved={created} /> : null}
          {creator === 'image' ? <ImageUpload onCreated={created} /> : null}
        </>
      ) : (
        <p class="muted small">{t('readOnly')}</p>
      )}

      <div class="tabs" role="tablist" data-testid="state-tabs">
        {(['', ...STATES] as const).map((s) => (
          <button key={s || 'all'} type="button" role="tab" aria-selected={stateFilter === s} class={stateFilter === s ? 'active' : ''} style={{ whiteSpace: 'nowrap' }} data-state-tab={s || 'all'} onClick={() => setStateFilter(s)}>
            {s ? w.state(s) : t('all')} <span class="muted small">({s ? countOf(s) : byType.length})</span>
          </button>
        ))}
      </div>
      <div class="filters">
        <Field label={t('type')}>
          <select data-testid="type-filter" value={typeFilter} onChange={(e) => setTypeFilter((e.target as HTMLSelectElement).value)}>
            <option value="">{t('all')}</option>
            {TYPES.map((ty) => (
              <option key={ty} value={ty}>
                {w.type(ty)}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t('search')}>
          <input type="search" value={q} onInput={(e) => setQ((e.target as HTMLInputElement).value)} />
        </Field>
        <span class="muted small" style={{ paddingBottom: '.5rem' }}>
          {t('count', { n: rows.length })}
        </span>
      </div>

      <ErrorBox error={list.error} />
      <Loading when={list.loading && !list.data} />
      {list.data ? (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>{t('col_title')}</th>
                {narrow ? null : (
                  <>
                    <th>{t('col_type')}</th>
                    <th>{t('col_state')}</th>
                    <th>{t('col_duration')}</th>
                    <th>{t('col_loudness')}</th>
                    <th>{t('col_created')}</th>
                    <th>{t('col_actions')}</th>
                  </>
                )}
              </tr>
            </thead>
            <tbody>
              {rows.map((x) => {
                const m = x.mediaSha256 ? media.data?.get(x.mediaSha256) : undefined;
                const a = audioOf(m);
                const editable = editor && (x.state === 'draft' || x.state === 'rejected');
                const loudness =
                  x.type === 'audio' ? (
                    <>
                      <div>{fmtLufs(a?.loudnessAfter)}</div>
                      {a ? (
                        <div class="muted">
                          {t('source')}: {fmtLufs(a.loudnessBefore)}
                        </div>
                      ) : null}
                    </>
                  ) : (
                    '—'
                  );
                const actions = (
                  <div style={{ display: 'flex', gap: '.3rem', flexWrap: 'wrap', marginTop: narrow ? '.4rem' : 0 }}>
                    <button type="button" data-testid="preview" style={SMALL} onClick={() => setPreviewing(x)}>
                      {t('preview')}
                    </button>
                    {editable ? (
                      <button type="button" data-testid="edit" style={SMALL} onClick={() => setEditing(x)}>
                        {t('edit')}
                      </button>
                    ) : null}
                    {editable ? (
                      <ActionButton class="primary" data-testid="submit" style={SMALL} onClick={() => act(x, 'submit')}>
                        {t('submit')}
                      </ActionButton>
                    ) : null}
                    {approver && x.state === 'submitted' ? (
                      <>
                        <ActionButton class="primary" data-testid="approve" style={SMALL} onClick={() => act(x, 'approve')}>
                          {t('approve')}
                        </ActionButton>
                        <button type="button" class="danger" data-testid="reject" style={SMALL} onClick={() => setRejecting(x)}>
                          {t('reject')}
                        </button>
                      </>
                    ) : null}
                    {/* The server edits drafts and rejected content only: mark it before submitting. */}
                    {editable && x.type === 'audio' ? (
                      <ActionButton
                        class="ghost"
                        data-testid="mark-emergency"
                        data-emergency={x.emergency ? 'true' : 'false'}
                        style={SMALL}
                        title={t('emergencyHint')}
                        onClick={async () => replace(await patch<ContentView>(`/api/v1/contents/${x.id}`, { emergency: !x.emergency }))}
                      >
                        {x.emergency ? t('unmarkEmergency') : t('markEmergency')}
                      </ActionButton>
                    ) : null}
                    {editor && x.state !== 'archived' ? (
                      <ActionButton class="ghost" data-testid="archive" style={SMALL} onClick={() => act(x, 'archive')}>
                        {t('archive')}
                      </ActionButton>
                    ) : null}
                  </div>
                );
                const title = (
                  <>
                    <strong>{x.title}</strong>
                    {x.emergency ? (
                      <>
                        {' '}
                        <span class="badge badge-bad" data-testid="content-emergency">
                          {t('emergencyBadge')}
                        </span>
                      </>
                    ) : null}
                    {x.type === 'text' && x.text ? (
                      <div class="muted small" style={{ overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}>
                        {x.text}
                      </div>
                    ) : null}
                    {x.state === 'rejected' && x.rejectReason ? <div class="small" style={{ color: 'var(--bad)' }}>{t('rejectedBecause', { reason: x.rejectReason })}</div> : null}
                  </>
                );
                return narrow ? (
                  // Phones: one cell per content, everything stacked, actions within reach.
                  <tr key={x.id} data-testid="content-row" data-content-id={x.id} data-state={x.state} data-type={x.type}>
                    <td class="wrap" style={{ maxWidth: 'calc(100vw - 2rem)' }}>
                      {title}
                      <div class="small" style={{ margin: '.25rem 0', display: 'flex', gap: '.4rem', flexWrap: 'wrap', alignItems: 'center' }}>
                        <StateBadge state={x.state} />
                        <span>{w.type(x.type)}</span>
                        <span>· {fmtDuration(x.durationMs)}</span>
                        {x.type === 'audio' ? <span class="muted">· {fmtLufs(a?.loudnessAfter)}</span> : null}
                      </div>
                      <div class="muted small">
                        {userName(x.createdBy)} · {fmtDateTime(x.createdAt)}
                      </div>
                      {actions}
                    </td>
                  </tr>
                ) : (
                  <tr key={x.id} data-testid="content-row" data-content-id={x.id} data-state={x.state} data-type={x.type}>
                    <td class="wrap" style={{ minWidth: '10rem', maxWidth: '16rem' }}>
                      {title}
                    </td>
                    <td>{w.type(x.type)}</td>
                    <td>
                      <StateBadge state={x.state} />
                    </td>
                    <td>{fmtDuration(x.durationMs)}</td>
                    <td class="small" data-testid="content-loudness">
                      {loudness}
                    </td>
                    <td class="small">
                      <div>{userName(x.createdBy)}</div>
                      <div class="muted">{fmtDateTime(x.createdAt)}</div>
                    </td>
                    <td style={{ minWidth: '12rem' }}>{actions}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <div style={{ padding: '0 .75rem' }}>
            <Empty when={rows.length === 0} />
          </div>
        </div>
      ) : null}

      {previewing ? (
        <Modal title={previewing.title} onClose={() => setPreviewing(null)}>
          <div data-testid="content-preview" data-content-id={previewing.id}>
            <p style={{ marginTop: 0 }}>
              <StateBadge state={previewing.state} /> <span class="muted small">{w.type(previewing.type)} · {fmtDuration(previewing.durationMs)}</span>
            </p>
            {previewing.state === 'rejected' && previewing.rejectReason ? <p class="error">{t('rejectedBecause', { reason: previewing.rejectReason })}</p> : null}
            <ContentPreview content={previewing} media={previewing.mediaSha256 ? media.data?.get(previewing.mediaSha256) : undefined} />
            {previewing.text ? <p style={{ whiteSpace: 'pre-wrap' }}>{previewing.text}</p> : null}
            <ContentHistory content={previewing} userName={userName} />
          </div>
        </Modal>
      ) : null}

      {rejecting ? (
        <RejectDialog
          title={rejecting.title}
          onClose={() => setRejecting(null)}
          onReject={async (reason) => replace(await post<ContentView>(`/api/v1/contents/${rejecting.id}/reject`, { reason }))}
        />
      ) : null}

      {editing ? (
        <Modal title={`${t('editTitle')}: ${editing.title}`} onClose={() => setEditing(null)}>
          {editing.type === 'text' ? (
            <BoardEditor
              content={editing}
              onSaved={(next) => {
                replace(next);
                setEditing(null);
              }}
            />
          ) : (
            <EditMeta
              content={editing}
              onSaved={(next) => {
                replace(next);
                setEditing(null);
              }}
            />
          )}
        </Modal>
      ) : null}
    </div>
  );
}

/** Title (and display time for images) of a draft or rejected audio/image/relay content. */
function EditMeta({ content, onSaved }: { content: ContentView; onSaved: (c: ContentView) => void }) {
  const t = useT(S);
  const c = useCommon();
  const [title, setTitle] = useState(content.title);
  const [seconds, setSeconds] = useState(Math.round(content.durationMs / 1000));
  return (
    <div>
      <Field label={t('fieldTitle')}>
        <input data-testid="edit-title" value={title} maxLength={200} onInput={(e) => setTitle((e.target as HTMLInputElement).value)} />
      </Field>
      {content.type === 'image' ? (
        <Field label={t('displaySeconds')}>
          <input type="number" min={1} max={86400} value={seconds} onInput={(e) => setSeconds(Number((e.target as HTMLInputElement).value))} />
        </Field>
      ) : null}
      {content.type === 'audio' ? <p class="muted small">{t('audioEditHint')}</p> : null}
      <ActionButton
        class="primary"
        data-testid="edit-save"
        disabled={!title.trim()}
        onClick={async () => onSaved(await patch<ContentView>(`/api/v1/contents/${content.id}`, { title: title.trim(), ...(content.type === 'image' ? { displaySeconds: seconds } : {}) }))}
      >
        {c('save')}
      </ActionButton>
    </div>
  );
}
