import { Controller, Get, Param, Query } from '@nestjs/common';
import { ScopeService } from '../auth/area-scope.js';
import { ANY_ROLE, Roles } from '../auth/roles.js';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { areaSummaryQuerySchema as areaSummaryQuery } from '@loa/shared/rest';
import { AreasService } from '../areas/areas.service.js';
import { Clock } from '../common/clock.js';
import { DeliveriesService, type AreaSummary } from './deliveries.service.js';

const DAY_MS = 86_400_000;

/** Proof of play across an area subtree: counts per state for the devices of the area and its descendants. */
@ApiTags('deliveries')
@ApiBearerAuth()
@Controller('api/v1/areas')
export class AreaDeliveriesController {
  constructor(
    private readonly deliveries: DeliveriesService,
    private readonly areas: AreasService,
    private readonly clock: Clock,
    private readonly scope: ScopeService,
  ) {}

  @Get(':code/deliveries/summary')
  @Roles(ANY_ROLE)
  async summary(@Param('code') code: string, @Query({ schema: areaSummaryQuery }) q: z.infer<typeof areaSummaryQuery>, @CurrentUser() user: UserPrincipal): Promise<AreaSummary> {
    await this.scope.checkArea(user, code, 'read');
    const area = await this.areas.get(code);
    const now = this.clock.now();
    return this.deliveries.areaSummary(code, area.path, q.from ? Date.parse(q.from) : now - 7 * DAY_MS, q.to ? Date.parse(q.to) : now + 7 * DAY_MS);
  }
}
