import { z } from 'zod';

/** GET /api/v1/timelines/behind */
export const timelinePageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  offset: z.coerce.number().int().min(0).default(0),
});
