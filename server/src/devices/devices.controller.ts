import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { areaCodeSchema, deviceIdSchema, deviceKindSchema } from '@loa/shared';
import { DevicesService, type DeviceView } from './devices.service.js';

const registerSchema = z.object({
  id: deviceIdSchema,
  name: z.string().trim().min(1).max(200),
  kind: deviceKindSchema,
  areaCode: areaCodeSchema,
});
const listQuery = z.object({ areaCode: areaCodeSchema.optional() });
const bulkSchema = z.object({ devices: z.array(registerSchema).min(1).max(20_000) });

@ApiTags('devices')
@ApiBearerAuth()
@Controller('api/v1/devices')
export class DevicesController {
  constructor(private readonly devices: DevicesService) {}

  @Post()
  register(@Body({ schema: registerSchema }) body: z.infer<typeof registerSchema>): Promise<{ device: DeviceView; secret: string }> {
    return this.devices.register(body);
  }

  @Post('bulk')
  async registerMany(@Body({ schema: bulkSchema }) body: z.infer<typeof bulkSchema>): Promise<{ devices: Array<{ id: string; secret: string }> }> {
    return { devices: await this.devices.registerMany(body.devices) };
  }

  @Get()
  list(@Query({ schema: listQuery }) q: z.infer<typeof listQuery>): Promise<DeviceView[]> {
    return this.devices.list(q.areaCode);
  }

  @Get(':id')
  get(@Param('id') id: string): Promise<DeviceView> {
    return this.devices.get(id);
  }
}
