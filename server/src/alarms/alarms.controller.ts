import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ScopeService } from '../auth/area-scope.js';
import { ANY_ROLE, EDITORS, Roles } from '../auth/roles.js';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { listAlarmsQuerySchema as listQuery } from '@loa/shared/rest';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { AlarmsService, type AlarmView } from './alarms.service.js';

@ApiTags('alarms')
@ApiBearerAuth()
@Controller('api/v1/alarms')
export class AlarmsController {
  constructor(
    private readonly alarms: AlarmsService,
    private readonly scope: ScopeService,
  ) {}

  /** Alarms, newest first. */
  @Get()
  @Roles(ANY_ROLE)
  async list(@Query({ schema: listQuery }) q: z.infer<typeof listQuery>, @CurrentUser() user: UserPrincipal): Promise<AlarmView[]> {
    if (q.areaCode !== undefined) await this.scope.checkArea(user, q.areaCode, 'read');
    if (q.deviceId !== undefined) await this.scope.checkDevice(user, q.deviceId, 'read');
    return this.scope.filterByDevice(user, await this.alarms.list(q), (a) => a.deviceId);
  }

  /** Acknowledges an alarm (who and when); it stays active until its condition clears. 404 unknown, 403 outside the user's area. */
  @Post(':id/ack')
  @HttpCode(200)
  @Roles(EDITORS)
  ack(@Param('id') id: string, @CurrentUser() user: UserPrincipal): Promise<AlarmView> {
    return this.alarms.ack(id, user);
  }
}
