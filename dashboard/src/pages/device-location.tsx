import { errorWord, type DeviceView } from '@loa/shared/rest';
import { useState } from 'preact/hooks';
import { put } from '../api.js';
import { defineStrings, useLang, useT } from '../i18n.js';
import type { Role } from '../session.js';
import { ErrorBox, Field } from '../ui.js';

const S = defineStrings({
  vi: {
    title: 'Vị trí',
    none: 'Chưa có vị trí: thiết bị chưa hiện trên bản đồ.',
    latitude: 'Vĩ độ',
    longitude: 'Kinh độ',
    village: 'Thôn / tổ dân phố',
    address: 'Địa chỉ',
    source: 'Nguồn',
    edit: 'Sửa vị trí',
    save: 'Lưu vị trí',
    cancel: 'Huỷ',
    clear: 'Xoá vị trí',
    here: 'Lấy vị trí của tôi',
    hereFailed: 'Không lấy được vị trí của điện thoại: {why}',
    bad: 'Vĩ độ cần là số từ -90 đến 90, kinh độ từ -180 đến 180 (dùng dấu chấm hoặc dấu phẩy thập phân).',
    saved: 'Đã lưu vị trí.',
    agentNote: 'Vị trí nhập tay được giữ nguyên, kể cả khi thiết bị tự báo vị trí GPS. Xoá vị trí để thiết bị tự báo lại.',
  },
  en: {
    title: 'Location',
    none: 'No location yet: the device is not on the map.',
    latitude: 'Latitude',
    longitude: 'Longitude',
    village: 'Village (thôn)',
    address: 'Address',
    source: 'Source',
    edit: 'Edit location',
    save: 'Save location',
    cancel: 'Cancel',
    clear: 'Clear location',
    here: 'Use my position',
    hereFailed: "Could not read the phone's position: {why}",
    bad: 'Latitude must be a number from -90 to 90, longitude from -180 to 180 (decimal point or comma).',
    saved: 'Location saved.',
    agentNote: "A location set by hand is kept even when the device reports a GPS position. Clear it to let the device report again.",
  },
});

/** "21,0285" as well as "21.0285"; null when it is not a plain decimal number. */
const num = (s: string): number | null => {
  const t = s.trim().replace(/^([+-]?\d+),(\d+)$/, '$1.$2');
  return /^[+-]?(\d+(\.\d*)?|\.\d+)$/.test(t) ? Number(t) : null;
};

/**
 * A device's place on the device page (issue 19): shown to everyone, set by hand (typed, or the phone's own
 * position while standing at the speaker) by whoever may act on the device — not an approver. PUT …/location marks
 * it as an operator's, which an agent's GPS report then never replaces.
 */
export function DeviceLocationCard({ device, role, onSaved }: { device: DeviceView; role: Role; onSaved: (d: DeviceView) => void }) {
  const t = useT(S);
  const lang = useLang();
  const loc = device.location ?? null;
  const [editing, setEditing] = useState(false);
  const [form, setForm] = useState({ latitude: '', longitude: '', village: '', address: '' });
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);
  const mayEdit = role !== 'approver';

  const open = () => {
    setForm({ latitude: loc ? String(loc.latitude) : '', longitude: loc ? String(loc.longitude) : '', village: loc?.village ?? '', address: loc?.address ?? '' });
    setError(null);
    setDone(false);
    setEditing(true);
  };
  const send = async (location: DeviceView['location'] | null) => {
    setBusy(true);
    setError(null);
    try {
      onSaved(await put<DeviceView>(`/api/v1/devices/${encodeURIComponent(device.id)}/location`, { location }));
      setEditing(false);
      setDone(true);
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const save = (e: Event) => {
    e.preventDefault();
    const latitude = num(form.latitude);
    const longitude = num(form.longitude);
    if (latitude === null || longitude === null || Math.abs(latitude) > 90 || Math.abs(longitude) > 180) return setError(new Error(t('bad')));
    void send({ latitude, longitude, ...(form.village.trim() ? { village: form.village.trim() } : {}), ...(form.address.trim() ? { address: form.address.trim() } : {}) });
  };
  const here = () => {
    setError(null);
    navigator.geolocation.getCurrentPosition(
      (p) => setForm((f) => ({ ...f, latitude: p.coords.latitude.toFixed(6), longitude: p.coords.longitude.toFixed(6) })),
      (err) => setError(new Error(t('hereFailed', { why: err.message }))),
      { enableHighAccuracy: true, timeout: 20_000 },
    );
  };
  const set = (k: keyof typeof form) => (e: Event) => setForm((f) => ({ ...f, [k]: (e.target as HTMLInputElement).value }));

  return (
    <div class="card" data-testid="device-location" data-source={device.locationSource ?? ''}>
      <h2 style={{ marginTop: 0 }}>{t('title')}</h2>
      {loc ? (
        <p data-testid="device-location-text" style={{ margin: '0 0 .5rem' }}>
          {loc.village ? <strong>{loc.village}</strong> : null}
          {loc.village ? ' · ' : null}
          <span>
            {loc.latitude.toFixed(5)}, {loc.longitude.toFixed(5)}
          </span>
          {loc.address ? <span class="muted"> · {loc.address}</span> : null}
          {device.locationSource ? (
            <span class="muted small" data-testid="device-location-source">
              {' '}
              ({t('source')}: {errorWord('source', device.locationSource, lang)})
            </span>
          ) : null}
        </p>
      ) : (
        <p class="muted" style={{ margin: '0 0 .5rem' }}>
          {t('none')}
        </p>
      )}
      {done ? <p class="ok small" role="status">{t('saved')}</p> : null}
      <ErrorBox error={error} />
      {mayEdit && !editing ? (
        <button type="button" data-testid="edit-location" onClick={open}>
          {t('edit')}
        </button>
      ) : null}
      {mayEdit && editing ? (
        <form onSubmit={save} data-testid="location-form" style={{ display: 'grid', gap: '.5rem', gridTemplateColumns: 'repeat(auto-fill, minmax(min(100%, 10rem), 1fr))' }}>
          <Field label={t('latitude')}>
            <input name="latitude" inputMode="decimal" required value={form.latitude} onInput={set('latitude')} placeholder="21.0285" />
          </Field>
          <Field label={t('longitude')}>
            <input name="longitude" inputMode="decimal" required value={form.longitude} onInput={set('longitude')} placeholder="105.8542" />
          </Field>
          <Field label={t('village')}>
            <input name="village" maxLength={120} value={form.village} onInput={set('village')} />
          </Field>
          <Field label={t('address')}>
            <input name="address" maxLength={300} value={form.address} onInput={set('address')} />
          </Field>
          <p class="muted small" style={{ gridColumn: '1 / -1', margin: 0 }}>
            {t('agentNote')}
          </p>
          <div style={{ gridColumn: '1 / -1', display: 'flex', flexWrap: 'wrap', gap: '.5rem' }}>
            <button type="submit" class="primary" disabled={busy} data-testid="save-location">
              {t('save')}
            </button>
            {'geolocation' in navigator ? (
              <button type="button" onClick={here} disabled={busy}>
                {t('here')}
              </button>
            ) : null}
            {loc ? (
              <button type="button" class="danger" disabled={busy} onClick={() => void send(null)}>
                {t('clear')}
              </button>
            ) : null}
            <button type="button" class="ghost" disabled={busy} onClick={() => setEditing(false)}>
              {t('cancel')}
            </button>
          </div>
        </form>
      ) : null}
    </div>
  );
}
