import { Body, Controller, Get, Param, Post, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { csvBodySchema as csvBody, mapDevicesQuerySchema as mapQuery, setDeviceLocationRequestSchema as setSchema, type DeviceView, type LocationImportResult, type MapDevicesView } from '@loa/shared/rest';
import { Audit } from '../audit/audit.decorator.js';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { ANY_ROLE, EDITORS, Roles } from '../auth/roles.js';
import { DeviceLocationsService } from './device-locations.service.js';

/** Where devices stand (issue 19, the map). Scoped to the user's area in the service. */
@ApiTags('devices')
@ApiBearerAuth()
// Full paths under api/v1: `map/devices` must not fall to the devices controller's GET :id.
@Controller('api/v1')
export class DeviceLocationsController {
  constructor(private readonly locations: DeviceLocationsService) {}

  /** The reader's located devices with their state (alarm, offline, never, online) for the map; `unlocated` counts the rest. */
  @Get('map/devices')
  @Roles(ANY_ROLE)
  map(@Query({ schema: mapQuery }) q: z.infer<typeof mapQuery>, @CurrentUser() user: UserPrincipal): Promise<MapDevicesView> {
    return this.locations.map(user, q.areaCode);
  }

  /**
   * A sheet `id,latitude,longitude[,village,address]` as `text/csv` (Vietnamese headers "mã thiết bị", "vĩ độ",
   * "kinh độ", "thôn", "địa chỉ" too; a decimal comma is read). All rows or none; the refusal lists every bad row.
   */
  @Post('devices/locations/import')
  @Roles(EDITORS)
  @Audit('devices.locations-import')
  importCsv(@Body({ schema: csvBody }) body: string, @CurrentUser() user: UserPrincipal): Promise<LocationImportResult> {
    return this.locations.importCsv(user, body);
  }

  /** Sets (or with null clears) a device's location by hand; a commune officer may, standing at the speaker. */
  @Put('devices/:id/location')
  @Roles(EDITORS, 'commune_officer')
  @Audit('devices.location', { resource: 'device', idParam: 'id' })
  set(@Param('id') id: string, @Body({ schema: setSchema }) body: z.infer<typeof setSchema>, @CurrentUser() user: UserPrincipal): Promise<DeviceView> {
    return this.locations.set(user, id, body.location);
  }
}
