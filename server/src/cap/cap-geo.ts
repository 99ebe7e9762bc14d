import type { CapCircle, CapPolygon } from './cap-parse.js';

export interface LatLon {
  lat: number;
  lon: number;
}

/** Ray casting on latitude/longitude as plane coordinates: exact enough for commune-sized polygons away from the poles and the antimeridian. */
export function insidePolygon(p: LatLon, polygon: CapPolygon): boolean {
  const pts = polygon.points;
  let inside = false;
  for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) {
    const [yi, xi] = pts[i]!;
    const [yj, xj] = pts[j]!;
    if (yi > p.lat !== yj > p.lat && p.lon < ((xj - xi) * (p.lat - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

const EARTH_RADIUS_KM = 6371.0088;
const rad = (d: number): number => (d * Math.PI) / 180;

export function haversineKm(a: LatLon, b: LatLon): number {
  const dLat = rad(b.lat - a.lat);
  const dLon = rad(b.lon - a.lon);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

export const insideCircle = (p: LatLon, c: CapCircle): boolean => haversineKm(p, { lat: c.lat, lon: c.lon }) <= c.radiusKm;

/** A latitude/longitude box around a shape, to let the database pick the candidate devices. */
export interface Box {
  minLat: number;
  maxLat: number;
  minLon: number;
  maxLon: number;
}

export function polygonBox(p: CapPolygon): Box {
  const lats = p.points.map((x) => x[0]);
  const lons = p.points.map((x) => x[1]);
  return { minLat: Math.min(...lats), maxLat: Math.max(...lats), minLon: Math.min(...lons), maxLon: Math.max(...lons) };
}

export function circleBox(c: CapCircle): Box {
  const dLat = c.radiusKm / 111.0;
  const dLon = c.radiusKm / (111.0 * Math.max(0.01, Math.cos(rad(c.lat))));
  return { minLat: c.lat - dLat, maxLat: c.lat + dLat, minLon: c.lon - dLon, maxLon: c.lon + dLon };
}

/**
 * The fewest area channels covering every given area: an area whose ancestor is also targeted is dropped (the
 * ancestor's alert reaches its whole subtree). `paths` maps a code to its materialised path ("/01/001/00004/").
 */
export function coveringAreas(codes: Iterable<string>, paths: Map<string, string>): string[] {
  const unique = [...new Set(codes)].filter((c) => paths.has(c));
  return unique.filter((c) => {
    const path = paths.get(c)!;
    return !unique.some((other) => other !== c && path.startsWith(paths.get(other)!) && path !== paths.get(other));
  }).sort();
}
