import { useMemo, useState } from 'preact/hooks';
import { useT } from '../i18n.js';
import type { DeviceView } from '@loa/shared/rest';
import { areaName, areaOptions, useAreas, useAsync } from '../ui.js';
import { deviceMap, loadDevices, loadGroups } from './schedule-common.js';
import { S, fold, type Form, type SetField } from './schedule-form.js';

/** Where a schedule plays: areas (one select each), device groups, single devices found by id or name. */
export function TargetPicker({ f, set }: { f: Form; set: SetField }) {
  const t = useT(S);
  const areas = useAreas();
  const groups = useAsync(() => loadGroups(), []);
  const devices = useAsync(() => loadDevices(), []);
  const devById = useMemo(() => deviceMap(devices.data), [devices.data]);
  const [devQuery, setDevQuery] = useState('');
  const q = fold(devQuery.trim());
  const found = q.length < 1 ? [] : (devices.data ?? []).filter((d) => !f.devices.includes(d.id) && (fold(d.id).includes(q) || fold(d.name).includes(q))).slice(0, 8);
  const opts = areaOptions(areas);
  return (
    <fieldset class="card" style={{ padding: '.75rem' }}>
      <legend class="field-label">{t('targets')}</legend>
      <div class="field">
        <span class="field-label">{t('areas')}</span>
        {f.areas.map((code, i) => (
          <div key={i} class="row" style={{ alignItems: 'center', gap: '.4rem', marginBottom: '.4rem' }}>
            <select
              name={i === 0 ? 'area' : `area-${i}`}
              value={code}
              style={{ flex: '1 1 12rem' }}
              onChange={(e) => {
                const v = (e.target as HTMLSelectElement).value;
                set('areas', f.areas.map((a, j) => (j === i ? v : a)));
              }}
            >
              <option value="">{t('pickArea')}</option>
              {opts.map((o) => (
                <option key={o.code} value={o.code} disabled={o.code !== code && f.areas.includes(o.code)}>
                  {o.label}
                </option>
              ))}
              {code && !opts.some((o) => o.code === code) ? <option value={code}>{code}</option> : null}
            </select>
            {f.areas.length > 1 || code ? (
              <button type="button" class="ghost" aria-label={t('remove')} onClick={() => set('areas', f.areas.length > 1 ? f.areas.filter((_, j) => j !== i) : [''])}>
                ✕
              </button>
            ) : null}
          </div>
        ))}
        <div>
          <button type="button" data-testid="add-area" onClick={() => set('areas', [...f.areas, ''])}>
            {t('addArea')}
          </button>
        </div>
      </div>

      <div class="field">
        <span class="field-label">{t('groups')}</span>
        {groups.data && groups.data.length === 0 ? <span class="muted small">{t('noGroups')}</span> : null}
        {groups.error ? <span class="muted small">{groups.error.message}</span> : null}
        <div style={{ maxHeight: '9rem', overflowY: 'auto', display: 'flex', flexWrap: 'wrap', gap: '.4rem' }}>
          {(groups.data ?? []).map((g) => {
            const on = f.groups.includes(g.id);
            return (
              <label key={g.id} class="badge badge-muted" style={{ display: 'inline-flex', gap: '.25rem', alignItems: 'center', padding: '.3rem .6rem', cursor: 'pointer' }}>
                <input type="checkbox" name="group" value={g.id} checked={on} onChange={() => set('groups', on ? f.groups.filter((x) => x !== g.id) : [...f.groups, g.id])} />
                {g.name} ({g.memberCount})
              </label>
            );
          })}
          {f.groups
            .filter((id) => !(groups.data ?? []).some((g) => g.id === id))
            .map((id) => (
              <label key={id} class="badge badge-muted" style={{ display: 'inline-flex', gap: '.25rem', alignItems: 'center', padding: '.3rem .6rem' }}>
                <input type="checkbox" checked onChange={() => set('groups', f.groups.filter((x) => x !== id))} />
                {id}
              </label>
            ))}
        </div>
      </div>

      <div class="field">
        <span class="field-label">{t('devices')}</span>
        <input type="search" name="deviceSearch" placeholder={t('searchDevice')} value={devQuery} onInput={(e) => setDevQuery((e.target as HTMLInputElement).value)} />
        {found.length > 0 ? (
          <div style={{ display: 'flex', flexDirection: 'column', border: '1px solid var(--line)', borderRadius: 'var(--radius)', marginTop: '.25rem' }}>
            {found.map((d) => (
              <button
                type="button"
                key={d.id}
                class="ghost"
                data-testid="device-option"
                style={{ justifyContent: 'flex-start', borderRadius: 0 }}
                onClick={() => {
                  set('devices', [...f.devices, d.id]);
                  setDevQuery('');
                }}
              >
                <strong>{d.name}</strong>
                <span class="muted small">
                  {d.id} · {areaName(areas, d.areaCode)}
                </span>
              </button>
            ))}
          </div>
        ) : null}
        <Chips items={f.devices.map((id) => ({ id, label: devLabel(devById.get(id), id) }))} onRemove={(id) => set('devices', f.devices.filter((x) => x !== id))} removeLabel={t('remove')} />
      </div>
    </fieldset>
  );
}

const devLabel = (d: DeviceView | undefined, id: string) => (d ? `${d.name} (${id})` : id);

export function Chips({ items, onRemove, removeLabel }: { items: Array<{ id: string; label: string }>; onRemove: (id: string) => void; removeLabel: string }) {
  if (items.length === 0) return null;
  return (
    <div style={{ display: 'flex', flexWrap: 'wrap', gap: '.35rem', marginTop: '.35rem' }}>
      {items.map((x) => (
        <span key={x.id} class="badge badge-info" style={{ display: 'inline-flex', alignItems: 'center', gap: '.3rem' }}>
          {x.label}
          <button type="button" class="ghost" style={{ minHeight: 0, padding: '0 .2rem', color: 'inherit' }} aria-label={`${removeLabel} ${x.label}`} onClick={() => onRemove(x.id)}>
            ✕
          </button>
        </span>
      ))}
    </div>
  );
}

