import { z } from 'zod';

/**
 * The dashboard's map (issue 19): where its tiles come from and the credit the tile provider asks for. A
 * commune with its own tile server (or a paid provider) sets LOA_MAP_TILE_URL; the dashboard's Content-Security-
 * Policy then allows images from that origin (tileOrigin).
 */
export const DEFAULT_MAP_TILE_URL = 'https://tile.openstreetmap.org/{z}/{x}/{y}.png';
export const DEFAULT_MAP_ATTRIBUTION = '© OpenStreetMap contributors';

/** The URL with its placeholders filled ({s} → a, the rest → 0), for checking it as a URL. */
const sample = (template: string): string => template.replace(/\{s\}/g, 'a').replace(/\{(z|x|y|r)\}/g, '0');

export const mapSettingsShape = {
  /** Leaflet template: http(s), with {z}, {x} and {y}; {s} (subdomains a, b, c) and {r} (retina "@2x") allowed. */
  LOA_MAP_TILE_URL: z
    .string()
    .trim()
    .refine((t) => ['{z}', '{x}', '{y}'].every((p) => t.includes(p)), 'must contain {z}, {x} and {y}, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png')
    .refine((t) => !/\{(?!(s|z|x|y|r)\})[^}]*\}/.test(t), 'may contain only the placeholders {s}, {z}, {x}, {y} and {r}')
    .refine((t) => {
      try {
        const u = new URL(sample(t));
        return (u.protocol === 'http:' || u.protocol === 'https:') && u.username === '' && u.password === '';
      } catch {
        return false;
      }
    }, 'must be an http:// or https:// URL without credentials')
    .default(DEFAULT_MAP_TILE_URL),
  /** Plain text (no HTML) shown in the map's corner. */
  LOA_MAP_ATTRIBUTION: z
    .string()
    .trim()
    .min(1)
    .max(300)
    .refine((t) => !/[<>]/.test(t), 'must be plain text, without < or >')
    .default(DEFAULT_MAP_ATTRIBUTION),
};

export interface MapConfig {
  tileUrl: string;
  attribution: string;
  /** What the dashboard's img-src must allow: the tile server's origin, "*." for a {s} subdomain. */
  tileOrigin: string;
}

export function buildMapConfig(raw: { LOA_MAP_TILE_URL: string; LOA_MAP_ATTRIBUTION: string }): MapConfig {
  const u = new URL(sample(raw.LOA_MAP_TILE_URL));
  // {s} in the host becomes "a" in the sample; the policy must allow every subdomain it stands for.
  const hostTemplate = new URL(sample(raw.LOA_MAP_TILE_URL.replace(/\{s\}/g, 'loa-subdomain'))).host;
  const host = hostTemplate.includes('loa-subdomain') ? hostTemplate.replace(/^[^.]*loa-subdomain[^.]*\./, '*.') : u.host;
  return { tileUrl: raw.LOA_MAP_TILE_URL, attribution: raw.LOA_MAP_ATTRIBUTION, tileOrigin: `${u.protocol}//${host}` };
}
