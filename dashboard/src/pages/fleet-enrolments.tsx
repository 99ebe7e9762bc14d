import { useState } from 'preact/hooks';
import { del, get, post } from '../api.js';
import { fmtAgo, fmtDateTime, fromLocalInput, toLocalInput } from '../format.js';
import { DateTimeField } from '../components/date-time-field.js';
import { defineStrings, useCommon, useT } from '../i18n.js';
import { Badge, Empty, ErrorBox, Field, Loading, Modal, areaName, useAreas, useAsync } from '../ui.js';
import { useUserNames } from '../user-names.js';
import { AgentCommand, AreaPicker, ConfirmModal, CopyField, OnceWarning, TAG_RE, splitTags, useSigningKey } from './fleet-common.js';
import type { EnrollmentView, ProvisioningKeyView } from '@loa/shared/rest';

/** GET /api/v1/provisioning/enrollments */
type Enrolment = EnrollmentView;

/** GET /api/v1/provisioning-keys */
type ProvisioningKey = ProvisioningKeyView;

const S = defineStrings({
  vi: {
    enrolTitle: 'Thiết bị tự đăng ký đang chờ nhận',
    enrolIntro: 'Thiết bị được cài sẵn khóa cấp phát sẽ tự đăng ký khi bật lần đầu. Hãy đối chiếu mã phần cứng (số sê-ri, MAC, ICCID) và địa chỉ nguồn rồi nhận thiết bị vào địa bàn, hoặc từ chối nếu không nhận ra.',
    state: 'Trạng thái',
    st_pending: 'Chờ nhận',
    st_claimed: 'Đã nhận',
    st_rejected: 'Đã từ chối',
    device: 'Mã thiết bị',
    hardware: 'Mã phần cứng',
    name: 'Tên thiết bị',
    key: 'Khóa cấp phát',
    proposed: 'Địa bàn đề xuất',
    source: 'Địa chỉ nguồn',
    enrolled: 'Đăng ký lúc',
    actions: 'Thao tác',
    claim: 'Nhận thiết bị',
    reject: 'Từ chối',
    claimTitle: 'Nhận thiết bị {id}',
    claimHint: 'Thiết bị được đăng ký với mã và mã bí mật nó đã nhận khi tự đăng ký, rồi tự kết nối ở lần hỏi trạng thái tiếp theo.',
    tags: 'Nhãn (không bắt buộc)',
    badTags: 'Nhãn không hợp lệ: {tags}',
    pickArea: 'Chọn địa bàn',
    rejectTitle: 'Từ chối thiết bị {id}?',
    rejectText: 'Thiết bị sẽ bị từ chối và tự dừng; nó không thể tự đăng ký lại bằng cùng khóa cấp phát và mã phần cứng này. Chỉ từ chối khi bạn không nhận ra thiết bị.',
    claimed: 'Đã nhận thiết bị {id} vào {area}.',
    keysTitle: 'Khóa cấp phát',
    keysIntro: 'Một khóa cho cả lô thiết bị: cài vào ảnh hệ thống, người lắp đặt không cần cầm mã bí mật. Khóa hết hiệu lực khi quá hạn, dùng hết lượt hoặc bị thu hồi.',
    newKey: 'Tạo khóa cấp phát',
    label: 'Tên khóa',
    labelPh: 'Ví dụ: Lô loa xã Tây Đằng 2025',
    keyArea: 'Địa bàn đề xuất khi nhận (không bắt buộc)',
    noArea: '— Không —',
    expires: 'Hết hạn',
    maxUses: 'Số lượt tối đa',
    uses: 'Đã dùng',
    active: 'Còn hiệu lực',
    inactive: 'Hết hiệu lực',
    create: 'Tạo khóa',
    revoke: 'Thu hồi',
    revokeTitle: 'Thu hồi khóa "{label}"?',
    revokeText: 'Không thiết bị nào tự đăng ký được bằng khóa này nữa. Các thiết bị đã đăng ký bằng khóa vẫn có thể được nhận hoặc từ chối.',
    keyOnce: 'Khóa cấp phát chỉ hiển thị MỘT LẦN này. Hãy sao chép và cài vào thiết bị (hoặc ảnh hệ thống) ngay.',
    keyCreated: 'Đã tạo khóa "{label}"',
    keyValue: 'Khóa cấp phát',
    agentKind: 'Loại thiết bị cho lệnh mẫu',
    past: 'Thời điểm hết hạn phải ở tương lai',
    by: 'Người tạo',
  },
  en: {
    enrolTitle: 'Devices waiting to be claimed',
    enrolIntro: 'A device set up with a provisioning key enrols itself on first start. Check its hardware id (serial, MAC, ICCID) and source address, then claim it into an area, or reject it if you do not recognise it.',
    state: 'State',
    st_pending: 'Pending',
    st_claimed: 'Claimed',
    st_rejected: 'Rejected',
    device: 'Device id',
    hardware: 'Hardware id',
    name: 'Name',
    key: 'Provisioning key',
    proposed: 'Proposed area',
    source: 'Source address',
    enrolled: 'Enrolled',
    actions: 'Actions',
    claim: 'Claim',
    reject: 'Reject',
    claimTitle: 'Claim device {id}',
    claimHint: 'The device is registered with the id and secret it got when enrolling, and connects at its next status poll.',
    tags: 'Tags (optional)',
    badTags: 'Invalid tags: {tags}',
    pickArea: 'Pick an area',
    rejectTitle: 'Reject device {id}?',
    rejectText: 'The device is refused and stops; it cannot enrol again with this key and hardware id. Reject only a device you do not recognise.',
    claimed: 'Device {id} claimed into {area}.',
    keysTitle: 'Provisioning keys',
    keysIntro: 'One key for a whole batch: put it in the system image, installers never handle secrets. A key stops working when it expires, is used up or is revoked.',
    newKey: 'New provisioning key',
    label: 'Label',
    labelPh: 'e.g. Tây Đằng speakers 2025',
    keyArea: 'Area proposed when claiming (optional)',
    noArea: '— None —',
    expires: 'Expires',
    maxUses: 'Max uses',
    uses: 'Used',
    active: 'Active',
    inactive: 'Inactive',
    create: 'Create key',
    revoke: 'Revoke',
    revokeTitle: 'Revoke key "{label}"?',
    revokeText: 'No device can enrol with this key any more. Devices that already enrolled with it can still be claimed or rejected.',
    keyOnce: 'The provisioning key is shown only THIS ONCE. Copy it into the devices (or the system image) now.',
    keyCreated: 'Key "{label}" created',
    keyValue: 'Provisioning key',
    agentKind: 'Device kind for the sample command',
    past: 'The expiry must be in the future',
    by: 'Created by',
  },
});

const STATE_TONE = { pending: 'warn', claimed: 'ok', rejected: 'bad' } as const;

export function EnrolmentsTab() {
  return (
    <div>
      <Enrolments />
      <ProvisioningKeys />
    </div>
  );
}

function Enrolments() {
  const t = useT(S);
  const c = useCommon();
  const areas = useAreas();
  const [state, setState] = useState<'pending' | 'claimed' | 'rejected' | ''>('pending');
  const list = useAsync(() => get<Enrolment[]>('/api/v1/provisioning/enrollments', { state: state || undefined }), [state]);
  const [claiming, setClaiming] = useState<Enrolment | null>(null);
  const [rejecting, setRejecting] = useState<Enrolment | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const rows = [...(list.data ?? [])].sort((a, b) => b.enrolledAt.localeCompare(a.enrolledAt));
  const replace = (e: Enrolment) => list.set((prev) => (state && e.state !== state ? prev?.filter((x) => x.deviceId !== e.deviceId) : prev?.map((x) => (x.deviceId === e.deviceId ? e : x))));
  return (
    <div class="card">
      <h2>{t('enrolTitle')}</h2>
      <p class="muted small" style={{ marginTop: 0 }}>
        {t('enrolIntro')}
      </p>
      <div class="filters">
        <Field label={t('state')}>
          <select value={state} onChange={(e) => setState((e.target as HTMLSelectElement).value as typeof state)} data-testid="enrolment-state">
            <option value="pending">{t('st_pending')}</option>
            <option value="claimed">{t('st_claimed')}</option>
            <option value="rejected">{t('st_rejected')}</option>
            <option value="">{c('all')}</option>
          </select>
        </Field>
        <button type="button" onClick={list.reload}>
          {c('refresh')}
        </button>
      </div>
      {notice ? (
        <p class="ok" role="status">
          ✓ {notice}
        </p>
      ) : null}
      <ErrorBox error={list.error} />
      <Loading when={list.loading && !list.data} />
      {rows.length > 0 ? (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>{t('device')}</th>
                <th>{t('hardware')}</th>
                <th class="hide-phone">{t('key')}</th>
                <th>{t('proposed')}</th>
                <th class="hide-phone">{t('source')}</th>
                <th>{t('enrolled')}</th>
                {state === 'pending' ? null : <th>{t('state')}</th>}
                <th>{t('actions')}</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((e) => (
                <tr key={e.deviceId} data-testid="enrolment-row" data-id={e.deviceId} data-state={e.state}>
                  <td>
                    <strong>{e.deviceId}</strong>
                    <div class="muted small">
                      {c(e.kind)}
                      {e.name ? ` · ${e.name}` : ''}
                    </div>
                  </td>
                  <td>
                    <code>{e.hardwareId}</code>
                  </td>
                  <td class="hide-phone wrap">{e.keyLabel ?? e.keyId}</td>
                  <td class="wrap">{e.state === 'claimed' ? areaName(areas, e.areaCode) : areaName(areas, e.proposedAreaCode)}</td>
                  <td class="hide-phone">{e.sourceAddress ?? '—'}</td>
                  <td title={fmtDateTime(e.enrolledAt)}>{fmtAgo(e.enrolledAt)}</td>
                  {state === 'pending' ? null : (
                    <td>
                      <Badge tone={STATE_TONE[e.state]}>{t(`st_${e.state}`)}</Badge>
                    </td>
                  )}
                  <td>
                    {e.state === 'pending' ? (
                      <div style={{ display: 'flex', gap: '.3rem' }}>
                        <button type="button" class="primary" data-testid="enrolment-claim" onClick={() => (setNotice(null), setClaiming(e))}>
                          {t('claim')}
                        </button>
                        <button type="button" class="danger" data-testid="enrolment-reject" onClick={() => (setNotice(null), setRejecting(e))}>
                          {t('reject')}
                        </button>
                      </div>
                    ) : (
                      <span class="muted small">{e.decidedAt ? fmtDateTime(e.decidedAt) : '—'}</span>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <Empty when={Boolean(list.data)} />
      )}
      {claiming ? (
        <ClaimModal
          enrolment={claiming}
          onClose={() => setClaiming(null)}
          onDone={(e) => {
            setClaiming(null);
            replace(e);
            setNotice(t('claimed', { id: e.deviceId, area: areaName(areas, e.areaCode) }));
          }}
        />
      ) : null}
      {rejecting ? (
        <ConfirmModal
          title={t('rejectTitle', { id: rejecting.deviceId })}
          confirmLabel={t('reject')}
          danger
          testid="enrolment-reject-confirm"
          onClose={() => setRejecting(null)}
          onConfirm={async () => {
            const e = await post<Enrolment>(`/api/v1/provisioning/enrollments/${encodeURIComponent(rejecting.deviceId)}/reject`);
            setRejecting(null);
            replace(e);
          }}
        >
          <p>{t('rejectText')}</p>
          <p class="small">
            {t('hardware')}: <code>{rejecting.hardwareId}</code> · {t('source')}: {rejecting.sourceAddress ?? '—'}
          </p>
        </ConfirmModal>
      ) : null}
    </div>
  );
}

function ClaimModal({ enrolment, onClose, onDone }: { enrolment: Enrolment; onClose: () => void; onDone: (e: Enrolment) => void }) {
  const t = useT(S);
  const c = useCommon();
  const [area, setArea] = useState(enrolment.proposedAreaCode ?? '');
  const [name, setName] = useState(enrolment.name ?? enrolment.hardwareId);
  const [tags, setTags] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const submit = async (ev: Event) => {
    ev.preventDefault();
    setError(null);
    if (!area) return setError(new Error(t('pickArea')));
    const tagList = splitTags(tags);
    const bad = tagList.filter((x) => !TAG_RE.test(x));
    if (bad.length) return setError(new Error(t('badTags', { tags: bad.join(', ') })));
    setBusy(true);
    try {
      const r = await post<{ enrollment: Enrolment }>(`/api/v1/provisioning/enrollments/${encodeURIComponent(enrolment.deviceId)}/claim`, {
        areaCode: area,
        ...(name.trim() ? { name: name.trim() } : {}),
        ...(tagList.length ? { tags: tagList } : {}),
      });
      onDone(r.enrollment);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal title={t('claimTitle', { id: enrolment.deviceId })} onClose={onClose}>
      <form class="form" onSubmit={(e) => void submit(e)} data-testid="enrolment-claim-form">
        <p class="small" style={{ marginTop: 0 }}>
          {t('hardware')}: <code>{enrolment.hardwareId}</code> · {c(enrolment.kind)} · {t('source')}: {enrolment.sourceAddress ?? '—'}
        </p>
        <Field label={c('area')}>
          <AreaPicker value={area} onChange={setArea} placeholder={`— ${t('pickArea')} —`} testid="enrolment-claim-area" />
        </Field>
        <Field label={t('name')}>
          <input required maxLength={200} value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} data-testid="enrolment-claim-name" />
        </Field>
        <Field label={t('tags')}>
          <input value={tags} onInput={(e) => setTags((e.target as HTMLInputElement).value)} data-testid="enrolment-claim-tags" />
        </Field>
        <p class="muted small">{t('claimHint')}</p>
        <ErrorBox error={error} />
        <div class="row">
          <button type="submit" class="primary" disabled={busy} data-testid="enrolment-claim-submit">
            {busy ? c('loading') : t('claim')}
          </button>
          <button type="button" onClick={onClose}>
            {c('cancel')}
          </button>
        </div>
      </form>
    </Modal>
  );
}

function ProvisioningKeys() {
  const t = useT(S);
  const c = useCommon();
  const areas = useAreas();
  const keys = useAsync(() => get<ProvisioningKey[]>('/api/v1/provisioning-keys'), []);
  const userName = useUserNames();
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<{ key: string; label: string } | null>(null);
  const [revoking, setRevoking] = useState<ProvisioningKey | null>(null);
  const rows = [...(keys.data ?? [])].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  return (
    <div class="card">
      <div class="page-head" style={{ marginBottom: '.5rem' }}>
        <h2 style={{ margin: 0 }}>{t('keysTitle')}</h2>
        <div class="page-actions">
          <button type="button" class="primary" onClick={() => (setCreated(null), setCreating(true))} data-testid="provisioning-key-new">
            + {t('newKey')}
          </button>
        </div>
      </div>
      <p class="muted small" style={{ marginTop: 0 }}>
        {t('keysIntro')}
      </p>
      {created ? <CreatedKey created={created} onClose={() => setCreated(null)} /> : null}
      <ErrorBox error={keys.error} />
      <Loading when={keys.loading && !keys.data} />
      {rows.length > 0 ? (
        <div class="table-wrap">
          <table>
            <thead>
              <tr>
                <th>{t('label')}</th>
                <th>{c('area')}</th>
                <th>{t('uses')}</th>
                <th>{t('expires')}</th>
                <th>{c('status')}</th>
                <th class="hide-phone">{t('by')}</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {rows.map((k) => (
                <tr key={k.id} data-testid="provisioning-key-row" data-id={k.id}>
                  <td class="wrap">
                    <strong>{k.label}</strong>
                  </td>
                  <td class="wrap">{areaName(areas, k.areaCode)}</td>
                  <td>
                    {k.uses}/{k.maxUses}
                  </td>
                  <td>{fmtDateTime(k.expiresAt)}</td>
                  <td>{k.active ? <Badge tone="ok">{t('active')}</Badge> : <Badge tone="muted">{t('inactive')}</Badge>}</td>
                  <td class="hide-phone">{userName(k.createdBy)}</td>
                  <td>
                    <button type="button" class="danger" onClick={() => setRevoking(k)} data-testid="provisioning-key-revoke">
                      {t('revoke')}
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : (
        <Empty when={Boolean(keys.data)} />
      )}
      {creating ? (
        <CreateKey
          onClose={() => setCreating(false)}
          onDone={(r) => {
            setCreating(false);
            setCreated({ key: r.key, label: r.provisioningKey.label });
            keys.set((prev) => [r.provisioningKey, ...(prev ?? [])]);
          }}
        />
      ) : null}
      {revoking ? (
        <ConfirmModal
          title={t('revokeTitle', { label: revoking.label })}
          confirmLabel={t('revoke')}
          danger
          onClose={() => setRevoking(null)}
          onConfirm={async () => {
            await del(`/api/v1/provisioning-keys/${encodeURIComponent(revoking.id)}`);
            const id = revoking.id;
            setRevoking(null);
            keys.set((prev) => prev?.filter((x) => x.id !== id));
          }}
        >
          <p>{t('revokeText')}</p>
        </ConfirmModal>
      ) : null}
    </div>
  );
}

function CreatedKey({ created, onClose }: { created: { key: string; label: string }; onClose: () => void }) {
  const t = useT(S);
  const c = useCommon();
  const signing = useSigningKey();
  const [kind, setKind] = useState('speaker');
  return (
    <div class="card" style={{ borderColor: '#f0c77a' }} data-testid="provisioning-key-once">
      <h3>{t('keyCreated', { label: created.label })}</h3>
      <OnceWarning>{t('keyOnce')}</OnceWarning>
      <CopyField label={t('keyValue')} value={created.key} testid="provisioning-key-value" />
      <Field label={t('agentKind')}>
        <select value={kind} onChange={(e) => setKind((e.target as HTMLSelectElement).value)}>
          <option value="speaker">{c('speaker')}</option>
          <option value="board">{c('board')}</option>
        </select>
      </Field>
      <AgentCommand identity={{ kind: 'provisioning', key: created.key, deviceKind: kind, serverPublicKey: signing.data?.publicKey ?? null }} />
      <div class="row" style={{ marginTop: '.75rem' }}>
        <button type="button" onClick={onClose}>
          {c('close')}
        </button>
      </div>
    </div>
  );
}

function CreateKey({ onClose, onDone }: { onClose: () => void; onDone: (r: { provisioningKey: ProvisioningKey; key: string }) => void }) {
  const t = useT(S);
  const c = useCommon();
  const [label, setLabel] = useState('');
  const [area, setArea] = useState('');
  const [expires, setExpires] = useState(() => toLocalInput(Date.now() + 30 * 86_400_000));
  const [maxUses, setMaxUses] = useState('50');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    setError(null);
    const iso = fromLocalInput(expires);
    if (!(Date.parse(iso) > Date.now())) throw new Error(t('past'));
    onDone(await post<{ provisioningKey: ProvisioningKey; key: string }>('/api/v1/provisioning-keys', { label: label.trim(), ...(area ? { areaCode: area } : {}), expiresAt: iso, maxUses: Number(maxUses) }));
  };
  return (
    <Modal title={t('newKey')} onClose={onClose}>
      <form
        class="form"
        data-testid="provisioning-key-form"
        onSubmit={(e) => {
          e.preventDefault();
          setBusy(true);
          submit()
            .catch(setError)
            .finally(() => setBusy(false));
        }}
      >
        <Field label={t('label')}>
          <input required maxLength={200} value={label} placeholder={t('labelPh')} onInput={(e) => setLabel((e.target as HTMLInputElement).value)} data-testid="provisioning-key-label" />
        </Field>
        <Field label={t('keyArea')}>
          <AreaPicker value={area} onChange={setArea} placeholder={t('noArea')} optional />
        </Field>
        <div class="row">
          <Field label={t('expires')}>
            <DateTimeField required value={expires ? fromLocalInput(expires) : ''} onChange={(iso) => setExpires(iso ? toLocalInput(iso) : '')} data-testid="provisioning-key-expires" />
          </Field>
          <Field label={t('maxUses')}>
            <input type="number" required min={1} max={100000} step={1} value={maxUses} onInput={(e) => setMaxUses((e.target as HTMLInputElement).value)} data-testid="provisioning-key-max-uses" />
          </Field>
        </div>
        <ErrorBox error={error} />
        <div class="row">
          <button type="submit" class="primary" disabled={busy} data-testid="provisioning-key-create">
            {busy ? c('loading') : t('create')}
          </button>
          <button type="button" onClick={onClose}>
            {c('cancel')}
          </button>
        </div>
      </form>
    </Modal>
  );
}

