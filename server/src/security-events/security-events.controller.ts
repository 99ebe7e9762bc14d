import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { deviceIdSchema } from '@loa/shared';
import { SecurityEventsService, type SecurityEventView } from './security-events.service.js';

const listQuery = z.object({
  deviceId: deviceIdSchema.optional(),
  limit: z.coerce.number().int().min(1).max(5000).default(200),
});

@ApiTags('security')
@ApiBearerAuth()
@Controller('api/v1/security-events')
export class SecurityEventsController {
  constructor(private readonly security: SecurityEventsService) {}

  /** Server messages that agents refused (unsigned, forged, expired, replayed), newest first. */
  @Get()
  list(@Query({ schema: listQuery }) q: z.infer<typeof listQuery>): Promise<SecurityEventView[]> {
    return this.security.list(q);
  }
}
