import { Body, Controller, Get, Param, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { virtualDeviceFaultBodySchema, type VirtualDeviceFaultBody, type VirtualDeviceView } from '@loa/shared/rest';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { ANY_ROLE, Roles } from '../auth/roles.js';
import { Audit } from '../audit/audit.decorator.js';
import { VirtualDevicesService } from './virtual-devices.service.js';

/** Issue 21: mounted only on a practice instance (VirtualDevicesModule.forRoot). Scoping is the service's. */
@ApiTags('practice')
@ApiBearerAuth()
@Controller('api/v1/practice/devices')
export class VirtualDevicesController {
  constructor(private readonly devices: VirtualDevicesService) {}

  @Get()
  @ApiOperation({ summary: 'Practice mode: the virtual speakers and boards of your area, with their fault and what they played last' })
  @Roles(ANY_ROLE)
  list(@CurrentUser() user: UserPrincipal): Promise<VirtualDeviceView[]> {
    return this.devices.list(user);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Practice mode: one virtual device' })
  @Roles(ANY_ROLE)
  get(@Param('id') id: string, @CurrentUser() user: UserPrincipal): Promise<VirtualDeviceView> {
    return this.devices.get(user, id);
  }

  @Put(':id/fault')
  @ApiOperation({ summary: 'Practice mode: put a failure on a virtual device (offline, no-media, silence) or take it off (none)' })
  @Roles(ANY_ROLE)
  @Audit('practice.device-fault', { resource: 'device', idParam: 'id' })
  setFault(@Param('id') id: string, @Body({ schema: virtualDeviceFaultBodySchema }) body: VirtualDeviceFaultBody, @CurrentUser() user: UserPrincipal): Promise<VirtualDeviceView> {
    return this.devices.setFault(user, id, body.fault);
  }
}
