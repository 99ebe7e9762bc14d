import type { ErrorText } from '../error-codes.js';

/** Issue 20: the Prometheus endpoint (/metrics) behind LOA_METRICS_TOKEN. */
export const MONITORING_ERRORS = {
  'metrics.token-required': {
    vi: 'Cần mã truy cập số liệu giám sát (Authorization: Bearer …).',
    en: 'A metrics token is required (Authorization: Bearer …).',
  },
  'metrics.token-invalid': { vi: 'Mã truy cập số liệu giám sát không đúng.', en: 'The metrics token is wrong.' },
} as const satisfies Record<string, ErrorText>;
