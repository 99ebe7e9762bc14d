import { Controller, Get, Param, Query } from '@nestjs/common';
import { ScopeService } from '../auth/area-scope.js';
import { ANY_ROLE, Roles } from '../auth/roles.js';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { telemetryQuerySchema as telemetryQuery } from '@loa/shared/rest';
import type { TelemetryView } from '@loa/shared/rest';
import { TelemetryService } from './telemetry.service.js';

@ApiTags('telemetry')
@ApiBearerAuth()
@Controller('api/v1/devices')
export class TelemetryController {
  constructor(
    private readonly telemetry: TelemetryService,
    private readonly scope: ScopeService,
  ) {}

  /** Telemetry samples of a device, oldest first. */
  @Get(':id/telemetry')
  @Roles(ANY_ROLE)
  async list(@Param('id') id: string, @Query({ schema: telemetryQuery }) q: z.infer<typeof telemetryQuery>, @CurrentUser() user: UserPrincipal): Promise<TelemetryView[]> {
    await this.scope.checkDevice(user, id, 'read');
    return this.telemetry.list(id, { from: q.from === undefined ? undefined : Date.parse(q.from), to: q.to === undefined ? undefined : Date.parse(q.to), limit: q.limit });
  }
}
