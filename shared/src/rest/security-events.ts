import { z } from 'zod';
import { deviceIdSchema } from '../ids.js';

/** GET /api/v1/security-events */
export const listSecurityEventsQuerySchema = z.object({
  deviceId: deviceIdSchema.optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(200),
});
