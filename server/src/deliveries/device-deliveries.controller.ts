import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { deviceDeliveriesQuerySchema as deviceDeliveriesQuery } from '@loa/shared/rest';
import { ScopeService } from '../auth/area-scope.js';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { ANY_ROLE, Roles } from '../auth/roles.js';
import { DeviceDeliveriesService, type DeviceDeliveryView } from './device-deliveries.service.js';

/** Proof of play seen from one device: its deliveries across all schedules, for the device page. */
@ApiTags('deliveries')
@ApiBearerAuth()
@Controller('api/v1/devices')
export class DeviceDeliveriesController {
  constructor(
    private readonly deliveries: DeviceDeliveriesService,
    private readonly scope: ScopeService,
  ) {}

  /** The device's deliveries, newest occurrence first; `when` gives the played ones or the upcoming ones (issue 19). */
  @Get(':id/deliveries')
  @Roles(ANY_ROLE)
  async list(@Param('id') id: string, @Query({ schema: deviceDeliveriesQuery }) q: z.infer<typeof deviceDeliveriesQuery>, @CurrentUser() user: UserPrincipal): Promise<DeviceDeliveryView[]> {
    await this.scope.checkDevice(user, id, 'read');
    return this.deliveries.recent(id, { limit: q.limit, before: q.before === undefined ? undefined : Date.parse(q.before), when: q.when, after: q.after === undefined ? undefined : Date.parse(q.after) });
  }
}
