import { useMemo, useState } from 'preact/hooks';
import { get, post } from '../api.js';
import { fmtDateTime } from '../format.js';
import { defineStrings, useCommon, useT } from '../i18n.js';
import { href } from '../router.js';
import type { DeviceView } from '@loa/shared/rest';
import { Badge, ErrorBox, Field, Loading, OnlineBadge, areaName, useAreas, useAsync } from '../ui.js';
import { ConfirmModal, SecretPanel, fold } from './fleet-common.js';

/** GET /api/v1/devices/{id}/credentials, POST …/credentials/rotate (server/src/device-auth/device-security.service.ts). */
interface CredentialsView {
  deviceId: string;
  revokedAt: string | null;
}
interface Rotated {
  deviceId: string;
  secret: string;
  serverPublicKey: string;
}

const S = defineStrings({
  vi: {
    intro: 'Cấp mã bí mật mới khi thiết bị bị mất, bị thay hoặc nghi lộ mã; thu hồi để chặn ngay một thiết bị bị đánh cắp hoặc ngừng sử dụng.',
    device: 'Thiết bị',
    search: 'Nhập mã hoặc tên thiết bị',
    open: 'Xem',
    notFound: 'Không tìm thấy thiết bị {id}',
    matches: 'Thiết bị phù hợp',
    revoked: 'Đã thu hồi lúc {at}',
    valid: 'Mã bí mật đang có hiệu lực',
    rotate: 'Cấp mã bí mật mới',
    revoke: 'Thu hồi thiết bị',
    rotateTitle: 'Cấp mã bí mật mới cho {id}?',
    rotateText1: 'Mã bí mật cũ mất hiệu lực ngay và thiết bị bị ngắt kết nối.',
    rotateText2: 'Thiết bị chỉ kết nối lại được sau khi cấu hình mã mới (hiển thị một lần ngay sau đây). Trong thời gian đó thiết bị vẫn phát theo lịch đã lưu nhưng không nhận lịch mới và không báo cáo.',
    rotateText3: 'Nếu thiết bị đang bị thu hồi, việc cấp mã mới sẽ cho phép nó hoạt động trở lại.',
    revokeTitle: 'Thu hồi thiết bị {id}?',
    revokeText1: 'Thiết bị bị ngắt kết nối ngay; máy chủ từ chối mọi lần đăng nhập MQTT và tải nội dung của nó, kể cả với đúng mã bí mật.',
    revokeText2: 'Thiết bị hiển thị "Mất kết nối" (lý do: bị thu hồi), không nhận lịch phát hay lệnh phát khẩn cấp mới. Lịch đã lưu trên thiết bị có thể vẫn được phát cho đến khi nó bị tắt.',
    revokeText3: 'Không có thao tác "bỏ thu hồi": muốn dùng lại thiết bị phải cấp mã bí mật mới và cấu hình lại thiết bị.',
    revokedOk: 'Đã thu hồi thiết bị {id}.',
    newSecret: 'Mã bí mật mới của {id}',
    view: 'Mở trang thiết bị',
    lastSeen: 'Liên lạc lần cuối',
  },
  en: {
    intro: 'Issue a new secret when a device is lost, replaced or its secret may have leaked; revoke to shut out a stolen or retired device at once.',
    device: 'Device',
    search: 'Type a device id or name',
    open: 'Show',
    notFound: 'Device {id} not found',
    matches: 'Matching devices',
    revoked: 'Revoked at {at}',
    valid: 'Its secret is valid',
    rotate: 'Issue a new secret',
    revoke: 'Revoke the device',
    rotateTitle: 'Issue a new secret for {id}?',
    rotateText1: 'The old secret stops working at once and the device is disconnected.',
    rotateText2: 'It reconnects only once configured with the new secret (shown once, right after this). Meanwhile it keeps playing its stored timeline but gets no new schedules and reports nothing.',
    rotateText3: 'A revoked device is re-enabled by a new secret.',
    revokeTitle: 'Revoke device {id}?',
    revokeText1: 'The device is disconnected at once; the server refuses its MQTT logins and media downloads, even with the right secret.',
    revokeText2: 'It shows offline (reason: revoked) and gets no new schedules or emergency alerts. What it has stored may still play until it is switched off.',
    revokeText3: 'There is no un-revoke: to use the device again, issue a new secret and reconfigure it.',
    revokedOk: 'Device {id} revoked.',
    newSecret: 'New secret of {id}',
    view: 'Open the device page',
    lastSeen: 'Last seen',
  },
});

export function CredentialsTab({ initialDevice }: { initialDevice: string }) {
  const t = useT(S);
  const areas = useAreas();
  const devices = useAsync(() => get<DeviceView[]>('/api/v1/devices'), []);
  const [q, setQ] = useState(initialDevice);
  const [id, setId] = useState(initialDevice);
  const matches = useMemo(() => {
    const needle = fold(q.trim());
    if (!needle || needle === id) return [];
    return (devices.data ?? []).filter((d) => fold(`${d.id} ${d.name}`).includes(needle)).slice(0, 12);
  }, [devices.data, q, id]);
  return (
    <div>
      <p class="muted small" style={{ marginTop: 0 }}>
        {t('intro')}
      </p>
      <form
        class="filters"
        onSubmit={(e) => {
          e.preventDefault();
          setId(q.trim());
        }}
      >
        <Field label={t('device')}>
          <input type="search" list="fleet-cred-devices" value={q} placeholder={t('search')} autoComplete="off" style={{ minWidth: '16rem' }} onInput={(e) => setQ((e.target as HTMLInputElement).value)} data-testid="credentials-device" />
        </Field>
        <datalist id="fleet-cred-devices">
          {(devices.data ?? []).slice(0, 2000).map((d) => (
            <option key={d.id} value={d.id}>
              {d.name}
            </option>
          ))}
        </datalist>
        <button type="submit" class="primary" disabled={!q.trim()} data-testid="credentials-open">
          {t('open')}
        </button>
      </form>
      {matches.length > 0 ? (
        <div class="table-wrap" style={{ maxHeight: '14rem', overflowY: 'auto' }}>
          <table>
            <tbody>
              {matches.map((d) => (
                <tr key={d.id} class="clickable" onClick={() => (setQ(d.id), setId(d.id))}>
                  <td>
                    <strong>{d.id}</strong>
                  </td>
                  <td class="wrap">{d.name}</td>
                  <td class="wrap small">{areaName(areas, d.areaCode)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      {id ? <DeviceCredentials key={id} id={id} onChanged={devices.reload} /> : null}
      {devices.error ? <ErrorBox error={devices.error} /> : null}
    </div>
  );
}

function DeviceCredentials({ id, onChanged }: { id: string; onChanged: () => void }) {
  const t = useT(S);
  const c = useCommon();
  const areas = useAreas();
  const dev = useAsync(() => get<DeviceView>(`/api/v1/devices/${encodeURIComponent(id)}`), [id]);
  const cred = useAsync(() => get<CredentialsView>(`/api/v1/devices/${encodeURIComponent(id)}/credentials`), [id]);
  const [confirm, setConfirm] = useState<'rotate' | 'revoke' | null>(null);
  const [rotated, setRotated] = useState<Rotated | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const d = dev.data;
  if (dev.error && (dev.error as { status?: number }).status === 404) return <p class="error">{t('notFound', { id })}</p>;
  const revokedAt = cred.data?.revokedAt ?? d?.revokedAt ?? null;
  return (
    <div data-testid="credentials-panel" data-device={id} data-revoked={revokedAt ? 'true' : 'false'}>
      <ErrorBox error={dev.error ?? cred.error} />
      <Loading when={(dev.loading || cred.loading) && !d} />
      {d ? (
        <div class="card">
          <h2 style={{ display: 'flex', gap: '.5rem', flexWrap: 'wrap', alignItems: 'center' }}>
            {d.name} <span class="muted small">({d.id})</span>
          </h2>
          <p class="small" style={{ margin: '0 0 .75rem', display: 'flex', gap: '.5rem', flexWrap: 'wrap', alignItems: 'center' }}>
            <span>{c(d.kind)}</span>·<span>{areaName(areas, d.areaCode)}</span>·<OnlineBadge online={d.online} />
            <span class="muted">
              {t('lastSeen')}: {fmtDateTime(d.lastSeenAt)}
            </span>
          </p>
          <p style={{ margin: '0 0 .75rem' }}>{revokedAt ? <Badge tone="bad">{t('revoked', { at: fmtDateTime(revokedAt) })}</Badge> : <Badge tone="ok">{t('valid')}</Badge>}</p>
          <div class="row">
            <button type="button" class="primary" onClick={() => (setNotice(null), setConfirm('rotate'))} data-testid="credentials-rotate">
              {t('rotate')}
            </button>
            {revokedAt ? null : (
              <button type="button" class="danger" onClick={() => (setNotice(null), setConfirm('revoke'))} data-testid="credentials-revoke">
                {t('revoke')}
              </button>
            )}
            <a class="button" href={href(`/device/${encodeURIComponent(d.id)}`)}>
              {t('view')}
            </a>
          </div>
          {notice ? (
            <p class="ok" role="status">
              ✓ {notice}
            </p>
          ) : null}
        </div>
      ) : null}
      {rotated ? <SecretPanel title={t('newSecret', { id: rotated.deviceId })} deviceId={rotated.deviceId} secret={rotated.secret} serverPublicKey={rotated.serverPublicKey} deviceKind={d?.kind ?? 'speaker'} onClose={() => setRotated(null)} /> : null}
      {confirm === 'rotate' ? (
        <ConfirmModal
          title={t('rotateTitle', { id })}
          confirmLabel={t('rotate')}
          testid="credentials-rotate-confirm"
          onClose={() => setConfirm(null)}
          onConfirm={async () => {
            const r = await post<Rotated>(`/api/v1/devices/${encodeURIComponent(id)}/credentials/rotate`);
            setConfirm(null);
            setRotated(r);
            cred.set(() => ({ deviceId: id, revokedAt: null }));
            dev.reload();
            onChanged();
          }}
        >
          <ul style={{ paddingLeft: '1.2rem', margin: 0 }}>
            <li>{t('rotateText1')}</li>
            <li>{t('rotateText2')}</li>
            {revokedAt ? <li>{t('rotateText3')}</li> : null}
          </ul>
        </ConfirmModal>
      ) : null}
      {confirm === 'revoke' ? (
        <ConfirmModal
          title={t('revokeTitle', { id })}
          confirmLabel={t('revoke')}
          danger
          testid="credentials-revoke-confirm"
          onClose={() => setConfirm(null)}
          onConfirm={async () => {
            const r = await post<CredentialsView>(`/api/v1/devices/${encodeURIComponent(id)}/revoke`);
            setConfirm(null);
            setRotated(null);
            cred.set(() => r);
            setNotice(t('revokedOk', { id }));
            dev.reload();
            onChanged();
          }}
        >
          <ul style={{ paddingLeft: '1.2rem', margin: 0 }}>
            <li>{t('revokeText1')}</li>
            <li>{t('revokeText2')}</li>
            <li>
              <strong>{t('revokeText3')}</strong>
            </li>
          </ul>
        </ConfirmModal>
      ) : null}
    </div>
  );
}
