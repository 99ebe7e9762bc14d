import { Controller, Get, Query } from '@nestjs/common';
import { ScopeService } from '../auth/area-scope.js';
import { READERS, Roles } from '../auth/roles.js';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { listSecurityEventsQuerySchema as listQuery } from '@loa/shared/rest';
import { SecurityEventsService, type SecurityEventView } from './security-events.service.js';

@ApiTags('security')
@ApiBearerAuth()
@Controller('api/v1/security-events')
export class SecurityEventsController {
  constructor(
    private readonly security: SecurityEventsService,
    private readonly scope: ScopeService,
  ) {}

  /** Server messages that agents refused (unsigned, forged, expired, replayed), newest first. */
  @Get()
  @Roles(READERS)
  async list(@Query({ schema: listQuery }) q: z.infer<typeof listQuery>, @CurrentUser() user: UserPrincipal): Promise<SecurityEventView[]> {
    if (q.deviceId !== undefined) await this.scope.checkDevice(user, q.deviceId, 'read');
    return this.scope.filterByDevice(user, await this.security.list(q), (e) => e.deviceId);
  }
}
