import { Body, Controller, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { areaCodeSchema, deviceIdSchema, deviceKindSchema } from '@loa/shared';
import { DevicesService, type DeviceView } from './devices.service.js';
import { PresenceService, type ConnectionView } from './presence.service.js';
import { tagsSchema } from './tags.js';

const registerSchema = z.object({
  id: deviceIdSchema,
  name: z.string().trim().min(1).max(200),
  kind: deviceKindSchema,
  areaCode: areaCodeSchema,
  tags: tagsSchema.optional(),
});
const updateSchema = z
  .object({ name: z.string().trim().min(1).max(200).optional(), areaCode: areaCodeSchema.optional(), tags: tagsSchema.optional() })
  .refine((b) => b.name !== undefined || b.areaCode !== undefined || b.tags !== undefined, 'give name, areaCode or tags');
const listQuery = z.object({ areaCode: areaCodeSchema.optional() });
const connectionsQuery = z.object({ limit: z.coerce.number().int().min(1).max(5000).default(100) });
const bulkSchema = z.object({ devices: z.array(registerSchema).min(1).max(20_000) });

@ApiTags('devices')
@ApiBearerAuth()
@Controller('api/v1/devices')
export class DevicesController {
  constructor(
    private readonly devices: DevicesService,
    private readonly presence: PresenceService,
  ) {}

  @Post()
  register(@Body({ schema: registerSchema }) body: z.infer<typeof registerSchema>): Promise<{ device: DeviceView; secret: string }> {
    return this.devices.register(body);
  }

  @Post('bulk')
  async registerMany(@Body({ schema: bulkSchema }) body: z.infer<typeof bulkSchema>): Promise<{ devices: Array<{ id: string; secret: string }>; serverPublicKey: string }> {
    return this.devices.registerMany(body.devices);
  }

  @Get()
  list(@Query({ schema: listQuery }) q: z.infer<typeof listQuery>): Promise<DeviceView[]> {
    return this.devices.list(q.areaCode);
  }

  /**
   * Renames, moves (areaCode) or re-tags a device. A move or tag change re-evaluates which schedules reach it: it
   * receives future occurrences that now apply and loses those that no longer do, with a new timeline.
   */
  @Patch(':id')
  update(@Param('id') id: string, @Body({ schema: updateSchema }) body: z.infer<typeof updateSchema>): Promise<DeviceView> {
    return this.devices.update(id, body);
  }

  /** The device's online↔offline transitions (connect, shutdown, will, heartbeat-timeout, resumed, revoked), newest first. */
  @Get(':id/connections')
  connections(@Param('id') id: string, @Query({ schema: connectionsQuery }) q: z.infer<typeof connectionsQuery>): Promise<ConnectionView[]> {
    return this.presence.connections(id, q.limit);
  }

  @Get(':id')
  get(@Param('id') id: string): Promise<DeviceView> {
    return this.devices.get(id);
  }
}
