import { z } from 'zod';
import { AREA_LEVELS } from '@loa/shared/rest';

/**
 * Issue 20: the Prometheus endpoint. /metrics is served on the HTTP port; with LOA_METRICS_TOKEN set a scrape must
 * send `Authorization: Bearer <token>` (Prometheus: `authorization: { credentials_file: … }`), otherwise it is open
 * like /api/health, for installations where the port is reached only from the LAN or through a proxy that filters it.
 */
export const metricsSettingsShape = {
  LOA_METRICS_TOKEN: z
    .string()
    .trim()
    .min(16, 'must be at least 16 characters (e.g. openssl rand -hex 24)')
    .max(512)
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
    .optional(),
  /**
   * Offline devices are counted per area of this level (loa_devices_offline), for the "many devices offline in one
   * area" alert; a district keeps the series to a few hundred per province.
   */
  LOA_METRICS_OFFLINE_AREA_LEVEL: z.enum(AREA_LEVELS).default('district'),
};

export interface MetricsConfig {
  /** Null: /metrics is open. */
  token: string | null;
  offlineAreaLevel: (typeof AREA_LEVELS)[number];
}

export function buildMetricsConfig(raw: { LOA_METRICS_TOKEN?: string | undefined; LOA_METRICS_OFFLINE_AREA_LEVEL: (typeof AREA_LEVELS)[number] }): MetricsConfig {
  return { token: raw.LOA_METRICS_TOKEN ?? null, offlineAreaLevel: raw.LOA_METRICS_OFFLINE_AREA_LEVEL };
}
