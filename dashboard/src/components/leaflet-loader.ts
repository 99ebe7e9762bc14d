/// <reference types="leaflet.markercluster" />
import type * as Leaflet from 'leaflet';

export type L = typeof Leaflet;

let loading: Promise<L> | null = null;

/**
 * Leaflet, markercluster and their styles, fetched on the first map only (a split chunk and dist/map.css), so
 * pages without a map do not pay ~200 KB for it. markercluster extends the global `L`, hence the order.
 */
export function loadLeaflet(): Promise<L> {
  loading ??= (async () => {
    const css = loadCss('map.css');
    const mod = (await import('leaflet')) as unknown as { default?: L } & L;
    const leaflet = mod.default ?? mod;
    (window as unknown as { L: L }).L = leaflet;
    await import('leaflet.markercluster');
    await css;
    return leaflet;
  })();
  loading.catch(() => (loading = null));
  return loading;
}

function loadCss(href: string): Promise<void> {
  const existing = document.querySelector<HTMLLinkElement>('link[data-loa-map]');
  if (existing) return Promise.resolve();
  return new Promise((resolve) => {
    const link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = href;
    link.dataset.loaMap = '1';
    // A map without its styles is still a map; never hold it back on the stylesheet.
    link.onload = link.onerror = () => resolve();
    document.head.appendChild(link);
  });
}
