import { XMLParser } from 'fast-xml-parser';
import type { CapCertainty, CapSeverity, CapUrgency } from '@loa/shared/rest';

/** A CAP `sender,identifier,sent` triple (from `references`). */
export interface CapReference {
  sender: string;
  identifier: string;
  sent: string;
  sentAt: number;
}

export interface CapPolygon {
  /** [latitude, longitude] pairs, first = last (CAP 1.2 §3.2.4). */
  points: Array<[number, number]>;
}
export interface CapCircle {
  lat: number;
  lon: number;
  radiusKm: number;
}
export interface CapArea {
  areaDesc: string;
  polygons: CapPolygon[];
  circles: CapCircle[];
  geocodes: Array<{ valueName: string; value: string }>;
}
export interface CapResource {
  resourceDesc: string;
  mimeType: string;
  size: number | null;
  uri: string | null;
  derefUri: string | null;
  digest: string | null;
}
export interface CapInfo {
  language: string;
  event: string;
  urgency: CapUrgency;
  severity: CapSeverity;
  certainty: CapCertainty;
  effective: number | null;
  onset: number | null;
  expires: number | null;
  headline: string | null;
  description: string | null;
  instruction: string | null;
  resources: CapResource[];
  areas: CapArea[];
}
export interface CapMessage {
  identifier: string;
  sender: string;
  sent: string;
  sentAt: number;
  status: 'Actual' | 'Exercise' | 'System' | 'Test' | 'Draft';
  msgType: 'Alert' | 'Update' | 'Cancel' | 'Ack' | 'Error';
  scope: 'Public' | 'Restricted' | 'Private';
  references: CapReference[];
  /** `references` as written (null when absent). */
  referencesText: string | null;
  infos: CapInfo[];
}

/** A valid message that still cannot be read (a malformed polygon, a bad reference): 422 with the reason. */
export class CapContentError extends Error {}

const REPEATED = new Set(['info', 'category', 'responseType', 'eventCode', 'parameter', 'resource', 'area', 'polygon', 'circle', 'geocode', 'code']);

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: true,
  // Only the five predefined entities (DOCTYPEs are refused before this point, see precheck).
  processEntities: true,
  htmlEntities: false,
  isArray: (name) => REPEATED.has(name),
});

type Node = Record<string, unknown>;
const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : null);
const need = (n: Node, k: string): string => {
  const v = str(n[k]);
  if (v === null) throw new CapContentError(`missing <${k}>`);
  return v;
};
const arr = (v: unknown): Node[] => (Array.isArray(v) ? (v as Node[]) : []);

/** CAP dateTimes carry an explicit offset (the schema's pattern), so Date.parse reads them exactly. */
export function capTime(text: string, what: string): number {
  const t = Date.parse(text);
  if (!Number.isFinite(t)) throw new CapContentError(`<${what}> ${text.slice(0, 40)} is not a date-time`);
  return t;
}
const optTime = (n: Node, k: string): number | null => {
  const v = str(n[k]);
  return v === null ? null : capTime(v, k);
};

function parsePair(pair: string, where: string): [number, number] {
  const [a, b, ...rest] = pair.split(',');
  const lat = Number(a);
  const lon = Number(b);
  if (rest.length || !Number.isFinite(lat) || !Number.isFinite(lon) || Math.abs(lat) > 90 || Math.abs(lon) > 180) {
    throw new CapContentError(`${where}: "${pair.slice(0, 60)}" is not a WGS 84 "latitude,longitude" pair`);
  }
  return [lat, lon];
}

function parsePolygon(text: string): CapPolygon {
  const points = text.trim().split(/\s+/).map((p) => parsePair(p, '<polygon>'));
  const first = points[0]!;
  const last = points.at(-1)!;
  if (points.length < 4 || first[0] !== last[0] || first[1] !== last[1]) {
    throw new CapContentError('<polygon> needs at least four pairs, the first and last the same (CAP 1.2 §3.2.4)');
  }
  return { points };
}

function parseCircle(text: string): CapCircle {
  const [center, radius, ...rest] = text.trim().split(/\s+/);
  const r = Number(radius);
  if (!center || rest.length || !Number.isFinite(r) || r < 0) throw new CapContentError(`<circle> "${text.slice(0, 60)}" is not "latitude,longitude radius-km"`);
  const [lat, lon] = parsePair(center, '<circle>');
  return { lat, lon, radiusKm: r };
}

/** `references`: whitespace-separated `sender,identifier,sent` triples (neither may contain a space or comma). */
export function parseReferences(text: string): CapReference[] {
  return text
    .trim()
    .split(/\s+/)
    .filter((t) => t !== '')
    .map((triple) => {
      const parts = triple.split(',');
      if (parts.length !== 3 || parts.some((p) => p === '')) throw new CapContentError(`<references>: "${triple.slice(0, 120)}" is not a sender,identifier,sent triple`);
      const [sender, identifier, sent] = parts as [string, string, string];
      return { sender, identifier, sent, sentAt: capTime(sent, 'references') };
    });
}

/** Reads a message the XSD has accepted (so element names, order and enumerations are already right). */
export function parseCap(xml: string): CapMessage {
  const doc = parser.parse(xml) as Node;
  const alert = doc.alert as Node | undefined;
  if (!alert || typeof alert !== 'object') throw new CapContentError('no <alert> element');
  const sent = need(alert, 'sent');
  for (const k of ['sender', 'identifier']) {
    if ((str(alert[k]) ?? '').length > 255) throw new CapContentError(`<${k}> is longer than 255 characters`);
  }
  const referencesText = str(alert.references);
  return {
    identifier: need(alert, 'identifier'),
    sender: need(alert, 'sender'),
    sent,
    sentAt: capTime(sent, 'sent'),
    status: need(alert, 'status') as CapMessage['status'],
    msgType: need(alert, 'msgType') as CapMessage['msgType'],
    scope: need(alert, 'scope') as CapMessage['scope'],
    references: referencesText ? parseReferences(referencesText) : [],
    referencesText,
    infos: arr(alert.info).map((info) => ({
      language: str(info.language) ?? 'en-US',
      event: need(info, 'event'),
      urgency: need(info, 'urgency') as CapUrgency,
      severity: need(info, 'severity') as CapSeverity,
      certainty: need(info, 'certainty') as CapCertainty,
      effective: optTime(info, 'effective'),
      onset: optTime(info, 'onset'),
      expires: optTime(info, 'expires'),
      headline: str(info.headline),
      description: str(info.description),
      instruction: str(info.instruction),
      resources: arr(info.resource).map((r) => ({
        resourceDesc: str(r.resourceDesc) ?? '',
        mimeType: need(r, 'mimeType'),
        size: str(r.size) === null ? null : Number(r.size),
        uri: str(r.uri),
        derefUri: str(r.derefUri),
        digest: str(r.digest),
      })),
      areas: arr(info.area).map((a) => ({
        areaDesc: str(a.areaDesc) ?? '',
        polygons: arr(a.polygon as unknown).map((p) => parsePolygon(String(p))),
        circles: arr(a.circle as unknown).map((c) => parseCircle(String(c))),
        geocodes: arr(a.geocode).map((g) => ({ valueName: str(g.valueName) ?? '', value: str(g.value) ?? '' })),
      })),
    })),
  };
}
