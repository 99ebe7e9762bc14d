import type { DashboardConfig, MapDevicesView, MapPoint, MapStatus } from '@loa/shared/rest';
import { useEffect, useRef, useState } from 'preact/hooks';
import type * as Leaflet from 'leaflet';
import { get } from '../api.js';
import { defineStrings, useT } from '../i18n.js';
import { useLive } from '../live.js';
import { href } from '../router.js';
import { ErrorBox, useAsync } from '../ui.js';
import { loadLeaflet, type L } from './leaflet-loader.js';

const S = defineStrings({
  vi: {
    title: 'Bản đồ thiết bị',
    alarm: 'Có cảnh báo',
    offline: 'Mất kết nối',
    never: 'Chưa từng kết nối',
    online: 'Trực tuyến',
    open: 'Mở trang thiết bị',
    none: 'Chưa có thiết bị nào được gắn vị trí.',
    unlocated: '{n} thiết bị chưa có vị trí (không hiện trên bản đồ).',
    cluster: '{n} thiết bị: {detail}',
    loading: 'Đang tải bản đồ…',
  },
  en: {
    title: 'Device map',
    alarm: 'Alarm',
    offline: 'Offline',
    never: 'Never connected',
    online: 'Online',
    open: 'Open the device page',
    none: 'No device has a location yet.',
    unlocated: '{n} device(s) without a location (not on the map).',
    cluster: '{n} devices: {detail}',
    loading: 'Loading the map…',
  },
});

/** Worst first: a cluster shows the colour of the worst device in it. */
const SEVERITY: readonly MapStatus[] = ['alarm', 'offline', 'never', 'online'];
const worst = (statuses: Iterable<MapStatus>): MapStatus => {
  let best = SEVERITY.length - 1;
  for (const s of statuses) best = Math.min(best, SEVERITY.indexOf(s));
  return SEVERITY[best]!;
};

let configOnce: Promise<DashboardConfig> | null = null;
/** The tile server does not change while the page is open: asked once. */
const dashboardConfig = (): Promise<DashboardConfig> => {
  configOnce ??= get<DashboardConfig>('/api/v1/dashboard/config');
  configOnce.catch(() => (configOnce = null));
  return configOnce;
};

type StatusMarker = Leaflet.Marker & { options: Leaflet.MarkerOptions & { loaStatus: MapStatus } };

/**
 * The devices on a map (issue 19): one marker per located device coloured by status (alarm, offline, never
 * connected, online), clustered, each cluster in the colour of its worst device with its count; a marker's popup
 * names the device and its thôn and links to its page. The view fits the devices. Leaflet is loaded on first use.
 * Tiles come from the server's LOA_MAP_TILE_URL.
 */
export function DeviceMap({ areaCode, heading }: { areaCode?: string | undefined; heading?: boolean }) {
  const t = useT(S);
  const box = useRef<HTMLDivElement>(null);
  const map = useRef<{ map: Leaflet.Map; layer: Leaflet.MarkerClusterGroup; fitted: boolean } | null>(null);
  const [leaflet, setLeaflet] = useState<L | null>(null);
  const [loadError, setLoadError] = useState<unknown>(null);
  const data = useAsync(() => Promise.all([dashboardConfig(), get<MapDevicesView>('/api/v1/map/devices', { areaCode })]), [areaCode]);

  // Presence and alarms recolour the markers; one reload per burst of events.
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const soon = () => {
    if (timer.current === null) timer.current = setTimeout(() => ((timer.current = null), data.reload()), 3000);
  };
  useLive('device.presence', soon);
  useLive('alarm.raised', soon);
  useLive('alarm.cleared', soon);
  useEffect(() => () => void (timer.current !== null && clearTimeout(timer.current)), []);

  useEffect(() => {
    let live = true;
    loadLeaflet().then((l) => live && setLeaflet(() => l), (e: unknown) => live && setLoadError(e));
    return () => {
      live = false;
    };
  }, []);

  // The map itself, once Leaflet and the tile settings are here; removed with the component.
  const config = data.data?.[0];
  useEffect(() => {
    if (!leaflet || !config || !box.current || map.current) return;
    const m = leaflet.map(box.current, { zoomControl: true, attributionControl: true });
    m.attributionControl.setPrefix(false);
    leaflet.tileLayer(config.map.tileUrl, { attribution: escapeHtml(config.map.attribution), maxZoom: 19, subdomains: 'abc', detectRetina: false }).addTo(m);
    const layer = leaflet.markerClusterGroup({
      showCoverageOnHover: false,
      // A province's thousands of markers are added in slices, so the page stays responsive on a phone.
      chunkedLoading: true,
      spiderfyOnMaxZoom: true,
      maxClusterRadius: 50,
      iconCreateFunction: (cluster) => {
        const markers = cluster.getAllChildMarkers() as StatusMarker[];
        const counts = new Map<MapStatus, number>();
        for (const mk of markers) counts.set(mk.options.loaStatus, (counts.get(mk.options.loaStatus) ?? 0) + 1);
        const status = worst(counts.keys());
        const detail = SEVERITY.filter((s) => counts.has(s)).map((s) => `${counts.get(s)} ${t(s).toLowerCase()}`).join(', ');
        return leaflet.divIcon({
          className: `loa-cluster loa-st-${status}`,
          html: `<span class="loa-bubble" data-status="${status}" data-count="${markers.length}" title="${escapeHtml(t('cluster', { n: markers.length, detail }))}">${markers.length}</span>`,
          iconSize: leaflet.point(40, 40),
        });
      },
    });
    m.addLayer(layer);
    map.current = { map: m, layer, fitted: false };
    return () => {
      m.remove();
      map.current = null;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [leaflet, config]);

  // Another area (the device list's filter): fit the view to its devices again.
  useEffect(() => {
    if (map.current) map.current.fitted = false;
  }, [areaCode]);

  // Markers follow the data (a reload after presence changes keeps the view the user has moved to).
  const points = data.data?.[1].points;
  useEffect(() => {
    const m = map.current;
    if (!leaflet || !m || !points) return;
    m.layer.clearLayers();
    m.layer.addLayers(points.map((p) => marker(leaflet, p, t)));
    if (!m.fitted && points.length > 0) {
      m.map.fitBounds(leaflet.latLngBounds(points.map((p) => [p.latitude, p.longitude] as [number, number])), { padding: [28, 28], maxZoom: 16 });
      m.fitted = true;
    } else if (!m.fitted) {
      // Nothing located yet: Vietnam.
      m.map.setView([16.0, 106.0], 5);
    }
  }, [leaflet, points, map.current]);

  const view = data.data?.[1];
  const counts = new Map<MapStatus, number>();
  for (const p of view?.points ?? []) counts.set(p.status, (counts.get(p.status) ?? 0) + 1);
  return (
    <section class="map-section" data-testid="device-map-section" aria-label={t('title')}>
      {heading ? <h2>{t('title')}</h2> : null}
      <ErrorBox error={data.error ?? loadError} />
      <div ref={box} class="device-map" data-testid="device-map" data-points={view?.points.length ?? ''} role="region" aria-label={t('title')}>
        {!leaflet && !loadError ? <p class="muted" style={{ padding: '1rem' }}>{t('loading')}</p> : null}
      </div>
      <ul class="map-legend" data-testid="map-legend">
        {SEVERITY.map((s) => (
          <li key={s} class={`loa-st-${s}`} data-status={s}>
            {t(s)}: {counts.get(s) ?? 0}
          </li>
        ))}
      </ul>
      {view && view.points.length === 0 ? <p class="muted">{t('none')}</p> : null}
      {view && view.unlocated > 0 ? <p class="muted" data-testid="map-unlocated">{t('unlocated', { n: view.unlocated })}</p> : null}
    </section>
  );
}

function marker(leaflet: L, p: MapPoint, t: (k: 'alarm' | 'offline' | 'never' | 'online' | 'open') => string): Leaflet.Marker {
  const icon = leaflet.divIcon({
    className: `loa-marker loa-st-${p.status}`,
    html: `<span class="loa-pin" data-device-id="${escapeHtml(p.id)}" data-status="${p.status}"></span>`,
    iconSize: leaflet.point(22, 22),
    popupAnchor: leaflet.point(0, -10),
  });
  const mk = leaflet.marker([p.latitude, p.longitude], { icon, title: p.name, alt: p.name, keyboard: true, loaStatus: p.status } as Leaflet.MarkerOptions);
  // Built as DOM (names are user text): no HTML from the data is ever parsed.
  mk.bindPopup(() => {
    const box = document.createElement('div');
    box.className = `loa-popup loa-st-${p.status}`;
    box.dataset.deviceId = p.id;
    const name = document.createElement('strong');
    name.textContent = p.name;
    box.appendChild(name);
    if (p.village) {
      const v = document.createElement('div');
      v.textContent = p.village;
      box.appendChild(v);
    }
    const st = document.createElement('div');
    st.className = 'loa-popup-status';
    st.dataset.status = p.status;
    st.textContent = t(p.status);
    box.appendChild(st);
    const a = document.createElement('a');
    a.href = href(`/device/${encodeURIComponent(p.id)}`);
    a.textContent = t('open');
    a.dataset.testid = 'map-popup-link';
    box.appendChild(a);
    return box;
  });
  return mk;
}

const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
