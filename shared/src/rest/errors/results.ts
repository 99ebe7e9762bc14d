import type { ErrorText } from '../error-codes.js';

/** Refusals of a schedule's results by area (issue 19); not-found and out-of-scope use the common codes. */
export const RESULTS_ERRORS = {
  'results.level-above-area': {
    vi: 'Không thể nhóm theo cấp {level} bên trong {area}: hãy chọn một cấp thấp hơn.',
    en: 'Cannot group by {level} inside {area}: choose a lower level.',
  },
} as const satisfies Record<string, ErrorText>;
