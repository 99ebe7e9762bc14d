import { readFile } from 'node:fs/promises';
import { reportedLocationSchema, type ReportedLocation } from '@loa/shared';

/** Resend an unchanged position this often: telemetry is QoS 0, and a lost sample must not hide the device for good. */
export const LOCATION_RESEND_MS = 3_600_000;
/** A move smaller than this (about 11 m) is a GPS fix wandering, not the device moving: not worth a write. */
export const LOCATION_MIN_MOVE_DEG = 0.0001;

/** The `location` setting: "latitude,longitude" in decimal degrees, e.g. "21.0285,105.8542". Null when malformed. */
export function parseLocationSetting(text: string): ReportedLocation | null {
  const m = /^\s*([+-]?\d+(?:\.\d+)?)\s*[,;\s]\s*([+-]?\d+(?:\.\d+)?)\s*$/.exec(text);
  if (!m) return null;
  const r = reportedLocationSchema.safeParse({ latitude: Number(m[1]), longitude: Number(m[2]) });
  return r.success && !(r.data.latitude === 0 && r.data.longitude === 0) ? r.data : null;
}

/**
 * A position file, as a GPS daemon's hook writes it: JSON `{"latitude", "longitude", "accuracyM"?}`, or gpsd's
 * TPV names `{"lat", "lon", "eph"?}`. Undefined when absent, unreadable, implausible or (0, 0): no fix.
 */
export function parseLocationFile(text: string): ReportedLocation | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const o = raw as Record<string, unknown>;
  const accuracy = o.accuracyM ?? o.eph;
  const r = reportedLocationSchema.safeParse({
    latitude: o.latitude ?? o.lat,
    longitude: o.longitude ?? o.lon,
    ...(typeof accuracy === 'number' ? { accuracyM: accuracy } : {}),
  });
  return r.success && !(r.data.latitude === 0 && r.data.longitude === 0) ? r.data : undefined;
}

export interface LocationSourceOptions {
  /** From the agent's `location` setting. */
  fixed?: ReportedLocation | undefined;
  /** From the agent's `locationFile` setting (e.g. /run/loa/location.json); read at every sample, it wins over `fixed`. */
  file?: string | undefined;
  readFile?: (path: string) => Promise<string>;
  resendMs?: number;
}

/**
 * Where the device stands, for telemetry (issue 19): what the hardware says (a GPS daemon's file) or, failing
 * that, the configured position. `next` answers the position to send with this sample: the first time, after a
 * real move, and hourly; otherwise undefined, so an idle device does not write its place every minute.
 */
export class LocationSource {
  private sent: { at: number; location: ReportedLocation } | null = null;

  constructor(private readonly opts: LocationSourceOptions) {}

  /** The position now, from the file if it has one, else the setting. */
  async current(): Promise<ReportedLocation | undefined> {
    if (this.opts.file) {
      const text = await (this.opts.readFile ?? ((p: string) => readFile(p, 'utf8')))(this.opts.file).catch(() => undefined);
      const fromFile = text === undefined ? undefined : parseLocationFile(text);
      if (fromFile) return fromFile;
    }
    return this.opts.fixed;
  }

  async next(now: number): Promise<ReportedLocation | undefined> {
    const here = await this.current();
    if (!here) return undefined;
    const last = this.sent;
    const moved = last === null || Math.abs(last.location.latitude - here.latitude) >= LOCATION_MIN_MOVE_DEG || Math.abs(last.location.longitude - here.longitude) >= LOCATION_MIN_MOVE_DEG;
    if (!moved && now - last!.at < (this.opts.resendMs ?? LOCATION_RESEND_MS)) return undefined;
    this.sent = { at: now, location: here };
    return here;
  }
}
