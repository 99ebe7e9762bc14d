import { useState } from 'preact/hooks';
import { del, get, patch, post } from '../api.js';
import { fmtDateTime } from '../format.js';
import { defineStrings, useCommon, useT } from '../i18n.js';
import type { DeviceView } from '@loa/shared/rest';
import { Empty, ErrorBox, Field, Loading, Modal, useAsync } from '../ui.js';
import { ConfirmModal, type BoardProfile } from './fleet-common.js';

const S = defineStrings({
  vi: {
    intro: 'Mỗi loại bảng tin (màn hình LED, LCD…) có độ phân giải và hướng riêng: ảnh được thu phóng và bản xem trước được vẽ theo cấu hình này. Bảng tin chưa gán cấu hình dùng 1920×1080.',
    new: 'Thêm cấu hình',
    name: 'Tên cấu hình',
    namePh: 'Ví dụ: LED P10 192×96',
    width: 'Chiều rộng (điểm ảnh)',
    height: 'Chiều cao (điểm ảnh)',
    size: 'Độ phân giải',
    orientation: 'Hướng',
    auto: 'Tự xác định theo kích thước',
    landscape: 'Ngang',
    portrait: 'Dọc',
    boards: 'Bảng tin dùng',
    updated: 'Cập nhật',
    createTitle: 'Thêm cấu hình bảng tin',
    editTitle: 'Sửa cấu hình {name}',
    deleteTitle: 'Xóa cấu hình "{name}"?',
    deleteText: 'Cấu hình sẽ bị xóa vĩnh viễn. Không thể xóa khi còn bảng tin đang dùng: hãy gán cấu hình khác cho các bảng tin đó trước.',
    inUse: 'Đang được {n} bảng tin sử dụng.',
    mismatch: '{w}×{h} là khổ {actual}, không phải {given}',
    readOnly: 'Chỉ quản trị viên được thêm, sửa hoặc xóa cấu hình bảng tin.',
    resizeNote: 'Đổi kích thước sẽ gửi lại nội dung đã thu phóng cho các bảng tin đang dùng cấu hình này.',
    sideHint: '16–8000',
    count: '{n} cấu hình',
  },
  en: {
    intro: 'Each e-board model (LED, LCD…) has its own resolution and orientation: images are resized and previews drawn to it. Boards without a profile use 1920×1080.',
    new: 'New profile',
    name: 'Name',
    namePh: 'e.g. LED P10 192×96',
    width: 'Width (pixels)',
    height: 'Height (pixels)',
    size: 'Resolution',
    orientation: 'Orientation',
    auto: 'From the size',
    landscape: 'Landscape',
    portrait: 'Portrait',
    boards: 'Boards using it',
    updated: 'Updated',
    createTitle: 'New board profile',
    editTitle: 'Edit profile {name}',
    deleteTitle: 'Delete profile "{name}"?',
    deleteText: 'The profile is deleted for good. It cannot be deleted while boards use it: give those boards another profile first.',
    inUse: 'Used by {n} boards.',
    mismatch: '{w}×{h} is {actual}, not {given}',
    readOnly: 'Only administrators add, change or delete board profiles.',
    resizeNote: 'Changing the size re-sends resized content to the boards using this profile.',
    sideHint: '16–8000',
    count: '{n} profiles',
  },
});

export function ProfilesTab({ canWrite }: { canWrite: boolean }) {
  const t = useT(S);
  const c = useCommon();
  const profiles = useAsync(() => get<BoardProfile[]>('/api/v1/board-profiles'), []);
  const devices = useAsync(() => get<DeviceView[]>('/api/v1/devices'), []);
  const [editing, setEditing] = useState<BoardProfile | 'new' | null>(null);
  const [deleting, setDeleting] = useState<BoardProfile | null>(null);
  const usage = new Map<string, number>();
  for (const d of devices.data ?? []) if (d.profileId) usage.set(d.profileId, (usage.get(d.profileId) ?? 0) + 1);
  const rows = [...(profiles.data ?? [])].sort((a, b) => a.name.localeCompare(b.name, 'vi'));
  const used = (p: BoardProfile) => (devices.data ? String(usage.get(p.id) ?? 0) : '—');
  return (
    <div>
      <p class="muted small" style={{ marginTop: 0 }}>
        {t('intro')}
      </p>
      <div class="filters">
        {canWrite ? (
          <button type="button" class="primary" onClick={() => setEditing('new')} data-testid="profile-new">
            + {t('new')}
          </button>
        ) : (
          <span class="muted small">{t('readOnly')}</span>
        )}
        <button type="button" onClick={profiles.reload}>
          {c('refresh')}
        </button>
        {profiles.data ? <span class="muted small">{t('count', { n: rows.length })}</span> : null}
      </div>
      <ErrorBox error={profiles.error} />
      <Loading when={profiles.loading && !profiles.data} />
      {rows.length > 0 ? (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>{t('name')}</th>
                <th>{t('size')}</th>
                <th>{t('orientation')}</th>
                <th>{t('boards')}</th>
                <th class="hide-phone">{t('updated')}</th>
                {canWrite ? <th /> : null}
              </tr>
            </thead>
            <tbody>
              {rows.map((p) => (
                <tr key={p.id} data-testid="profile-row" data-id={p.id} data-name={p.name}>
                  <td class="wrap">
                    <span style={{ display: 'inline-flex', gap: '.5rem', alignItems: 'center' }}>
                      <Shape w={p.width} h={p.height} />
                      <strong>{p.name}</strong>
                    </span>
                  </td>
                  <td>
                    {p.width}×{p.height}
                  </td>
                  <td>{t(p.orientation)}</td>
                  <td>{used(p)}</td>
                  <td class="hide-phone">{fmtDateTime(p.updatedAt ?? p.createdAt)}</td>
                  {canWrite ? (
                    <td>
                      <div style={{ display: 'flex', gap: '.3rem' }}>
                        <button type="button" onClick={() => setEditing(p)} data-testid="profile-edit">
                          {c('edit')}
                        </button>
                        <button type="button" class="danger" onClick={() => setDeleting(p)} data-testid="profile-delete">
                          {c('delete')}
                        </button>
                      </div>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <Empty when={Boolean(profiles.data)} />
      )}
      {editing ? (
        <ProfileEditor
          profile={editing === 'new' ? null : editing}
          onClose={() => setEditing(null)}
          onDone={(p) => {
            setEditing(null);
            profiles.set((prev) => (prev?.some((x) => x.id === p.id) ? prev.map((x) => (x.id === p.id ? p : x)) : [...(prev ?? []), p]));
          }}
        />
      ) : null}
      {deleting ? (
        <ConfirmModal
          title={t('deleteTitle', { name: deleting.name })}
          confirmLabel={c('delete')}
          danger
          testid="profile-delete-confirm"
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await del(`/api/v1/board-profiles/${encodeURIComponent(deleting.id)}`);
            const id = deleting.id;
            setDeleting(null);
            profiles.set((prev) => prev?.filter((x) => x.id !== id));
          }}
        >
          <p>{t('deleteText')}</p>
          {usage.get(deleting.id) ? <p class="error">{t('inUse', { n: usage.get(deleting.id) ?? 0 })}</p> : null}
        </ConfirmModal>
      ) : null}
    </div>
  );
}

/** A small outline of the screen's shape. */
function Shape({ w, h }: { w: number; h: number }) {
  const k = 22 / Math.max(w, h);
  return <span aria-hidden="true" style={{ display: 'inline-block', width: `${Math.max(4, Math.round(w * k))}px`, height: `${Math.max(4, Math.round(h * k))}px`, border: '2px solid var(--muted)', borderRadius: '2px', flex: 'none' }} />;
}

function ProfileEditor({ profile, onClose, onDone }: { profile: BoardProfile | null; onClose: () => void; onDone: (p: BoardProfile) => void }) {
  const t = useT(S);
  const c = useCommon();
  const [name, setName] = useState(profile?.name ?? '');
  const [width, setWidth] = useState(String(profile?.width ?? 1920));
  const [height, setHeight] = useState(String(profile?.height ?? 1080));
  const [orientation, setOrientation] = useState<'' | 'landscape' | 'portrait'>('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const w = Number(width);
  const h = Number(height);
  const actual = h > w ? 'portrait' : 'landscape';
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    if (orientation && orientation !== actual) return setError(new Error(t('mismatch', { w, h, actual: t(actual), given: t(orientation) })));
    const body: Record<string, unknown> = { name: name.trim(), width: w, height: h, ...(orientation ? { orientation } : {}) };
    setBusy(true);
    try {
      onDone(profile ? await patch<BoardProfile>(`/api/v1/board-profiles/${encodeURIComponent(profile.id)}`, body) : await post<BoardProfile>('/api/v1/board-profiles', body));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title={profile ? t('editTitle', { name: profile.name }) : t('createTitle')} onClose={onClose}>
      <form class="form" onSubmit={(e) => void submit(e)} data-testid="profile-form">
        <Field label={t('name')}>
          <input required maxLength={100} value={name} placeholder={t('namePh')} onInput={(e) => setName((e.target as HTMLInputElement).value)} data-testid="profile-name" />
        </Field>
        <div class="row">
          <Field label={t('width')} hint={t('sideHint')}>
            <input type="number" required min={16} max={8000} step={1} value={width} onInput={(e) => setWidth((e.target as HTMLInputElement).value)} data-testid="profile-width" />
          </Field>
          <Field label={t('height')} hint={t('sideHint')}>
            <input type="number" required min={16} max={8000} step={1} value={height} onInput={(e) => setHeight((e.target as HTMLInputElement).value)} data-testid="profile-height" />
          </Field>
          <Field label={t('orientation')}>
            <select value={orientation} onChange={(e) => setOrientation((e.target as HTMLSelectElement).value as typeof orientation)} data-testid="profile-orientation">
              <option value="">
                {t('auto')} ({t(actual)})
              </option>
              <option value="landscape">{t('landscape')}</option>
              <option value="portrait">{t('portrait')}</option>
            </select>
          </Field>
        </div>
        {w >= 16 && h >= 16 ? (
          <p class="small muted" style={{ display: 'flex', gap: '.5rem', alignItems: 'center' }}>
            <Shape w={w} h={h} /> {w}×{h} · {t(actual)}
          </p>
        ) : null}
        {profile ? <p class="muted small">{t('resizeNote')}</p> : null}
        <ErrorBox error={error} />
        <div class="row">
          <button type="submit" class="primary" disabled={busy} data-testid="profile-save">
            {busy ? c('loading') : c('save')}
          </button>
          <button type="button" onClick={onClose}>
            {c('cancel')}
          </button>
        </div>
      </form>
    </Modal>
  );
}
