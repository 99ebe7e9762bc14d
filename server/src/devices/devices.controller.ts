import { BadRequestException, Body, Controller, Get, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ScopeService } from '../auth/area-scope.js';
import { ANY_ROLE, EDITORS, Roles } from '../auth/roles.js';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import type { ServerResponse } from 'node:http';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import {
  bulkRegisterRequestSchema as bulkSchema,
  csvBodySchema as csvBody,
  deviceConnectionsQuerySchema as connectionsQuery,
  importDevicesQuerySchema as importQuery,
  deviceListQuerySchema as listQuery,
  type DevicePage,
  MAX_BULK_DEVICES,
  registerDeviceRequestSchema as registerSchema,
  updateDeviceRequestSchema as updateSchema,
} from '@loa/shared/rest';
import { DevicesService, type DeviceView } from './devices.service.js';
import { DeviceListService } from './device-list.service.js';
import { PresenceService, type ConnectionView } from './presence.service.js';
import { credentialsCsv, devicesFromCsv } from './devices-csv.js';
import { Audit } from '../audit/audit.decorator.js';
import { badRequest } from '../common/loa-error.js';
import type { ErrorCode } from '@loa/shared/rest';

@ApiTags('devices')
@ApiBearerAuth()
@Controller('api/v1/devices')
export class DevicesController {
  constructor(
    private readonly devices: DevicesService,
    private readonly deviceList: DeviceListService,
    private readonly presence: PresenceService,
    private readonly scope: ScopeService,
  ) {}

  @Post()
  @Audit('devices.register', { resource: 'device' })
  register(@Body({ schema: registerSchema }) body: z.infer<typeof registerSchema>): Promise<{ device: DeviceView; secret: string }> {
    return this.devices.register(body);
  }

  @Post('bulk')
  async registerMany(@Body({ schema: bulkSchema }) body: z.infer<typeof bulkSchema>): Promise<{ devices: Array<{ id: string; secret: string }>; serverPublicKey: string }> {
    return this.devices.registerMany(body.devices);
  }

  /**
   * A batch from a spreadsheet: `text/csv` with a header row `id,name,kind,areaCode[,tags]` (tags separated by ";"),
   * optionally `latitude,longitude,village,address` (issue 19; Vietnamese headers too), stored as an imported location.
   * All rows are checked before any is stored; every bad row is named. The secrets come back once, as JSON or, with
   * `?format=csv`, as a CSV `id,secret,serverPublicKey` to load into the devices.
   */
  @Post('import')
  async importCsv(
    @Body({ schema: csvBody }) body: string,
    @Query({ schema: importQuery }) q: z.infer<typeof importQuery>,
    @Res({ passthrough: true }) res: ServerResponse,
  ): Promise<{ devices: Array<{ id: string; secret: string }>; serverPublicKey: string } | string> {
    const parsed = devicesFromCsv(body);
    if (!parsed.ok) throw new BadRequestException({ message: 'invalid device CSV', code: 'device.import-invalid' satisfies ErrorCode, params: {}, errors: parsed.errors.slice(0, 100) });
    if (parsed.devices.length > MAX_BULK_DEVICES) throw badRequest('device.import-too-many', { max: '20,000' });
    const made = await this.devices.registerMany(parsed.devices);
    if (q.format === 'json') return made;
    res.setHeader('content-type', 'text/csv; charset=utf-8');
    res.setHeader('cache-control', 'no-store');
    return credentialsCsv(made.devices, made.serverPublicKey);
  }

  /**
   * With `limit`, `cursor` or `offset`: one page `{items, total, limit, offset, nextCursor, counts}` of the reader's
   * devices, filtered by area (subtree), status, kind and text and sorted, all in SQL. Without them: every matching
   * device as an array (pickers).
   */
  @Get()
  @Roles(ANY_ROLE)
  list(@Query({ schema: listQuery }) q: z.infer<typeof listQuery>, @CurrentUser() user: UserPrincipal): Promise<DevicePage | DeviceView[]> {
    return this.deviceList.list(user, q);
  }

  /**
   * Renames, moves (areaCode) or re-tags a device. A move or tag change re-evaluates which schedules reach it: it
   * receives future occurrences that now apply and loses those that no longer do, with a new timeline.
   */
  @Patch(':id')
  @Roles(EDITORS)
  @Audit('devices.update', { resource: 'device', idParam: 'id' })
  async update(@Param('id') id: string, @Body({ schema: updateSchema }) body: z.infer<typeof updateSchema>, @CurrentUser() user: UserPrincipal): Promise<DeviceView> {
    await this.scope.checkDevice(user, id, 'write');
    if (body.areaCode !== undefined) await this.scope.checkArea(user, body.areaCode, 'write');
    return this.devices.update(id, body);
  }

  /** The device's online↔offline transitions (connect, shutdown, will, heartbeat-timeout, resumed, revoked), newest first. */
  @Get(':id/connections')
  @Roles(ANY_ROLE)
  async connections(@Param('id') id: string, @Query({ schema: connectionsQuery }) q: z.infer<typeof connectionsQuery>, @CurrentUser() user: UserPrincipal): Promise<ConnectionView[]> {
    await this.scope.checkDevice(user, id, 'read');
    return this.presence.connections(id, q.limit);
  }

  @Get(':id')
  @Roles(ANY_ROLE)
  async get(@Param('id') id: string, @CurrentUser() user: UserPrincipal): Promise<DeviceView> {
    await this.scope.checkDevice(user, id, 'read');
    return this.devices.get(id);
  }
}
