import { useState } from 'preact/hooks';
import { defineStrings, useT } from '../i18n.js';
import { DeviceMap } from './device-map.js';

const S = defineStrings({
  vi: { map: 'Bản đồ', hint: 'Hiện hoặc ẩn bản đồ thiết bị' },
  en: { map: 'Map', hint: 'Show or hide the device map' },
});

const KEY = 'loa.devices.map';

/**
 * The device list's "Bản đồ" switch (issue 19): the map of the list's area above the rows, remembered for the tab.
 * Off by default, so the list alone loads neither Leaflet nor tiles on a slow line.
 */
export function DeviceMapToggle({ areaCode }: { areaCode?: string | undefined }) {
  const t = useT(S);
  const [on, setOn] = useState(() => sessionStorage.getItem(KEY) === '1');
  const toggle = () => {
    sessionStorage.setItem(KEY, on ? '0' : '1');
    setOn(!on);
  };
  return (
    <div class="map-toggle" data-testid="device-map-toggle" style={{ marginBottom: '1rem' }}>
      <button type="button" class={on ? 'primary' : ''} aria-pressed={on} title={t('hint')} data-testid="map-toggle" onClick={toggle}>
        {t('map')}
      </button>
      {on ? (
        <div style={{ marginTop: '.75rem' }}>
          <DeviceMap areaCode={areaCode} />
        </div>
      ) : null}
    </div>
  );
}
