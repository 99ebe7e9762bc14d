import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { areaCodeSchema, deviceIdSchema, prioritySchema } from '@loa/shared';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { DeliveriesService, type DeliveryView } from '../deliveries/deliveries.service.js';
import { SchedulesService, type ScheduleView } from './schedules.service.js';

const createScheduleSchema = z.object({
  contentId: z.string().min(1).max(36),
  startAt: z.iso.datetime({ offset: true }).describe('ISO-8601 instant with offset, e.g. 2026-11-23T06:30:00+07:00'),
  targets: z
    .object({ areas: z.array(areaCodeSchema).max(1000).default([]), devices: z.array(deviceIdSchema).max(10000).default([]) })
    .refine((t) => t.areas.length + t.devices.length > 0, 'give at least one area or device'),
  priority: prioritySchema.default('normal'),
  volume: z.number().int().min(0).max(100).optional(),
});

@ApiTags('schedules')
@ApiBearerAuth()
@Controller('api/v1/schedules')
export class SchedulesController {
  constructor(
    private readonly schedules: SchedulesService,
    private readonly deliveries: DeliveriesService,
  ) {}

  @Post()
  create(@Body({ schema: createScheduleSchema }) body: z.infer<typeof createScheduleSchema>, @CurrentUser() user: UserPrincipal): Promise<ScheduleView> {
    return this.schedules.create({ ...body, startAt: Date.parse(body.startAt) }, user.userId);
  }

  @Get()
  list(): Promise<ScheduleView[]> {
    return this.schedules.list();
  }

  @Get(':id')
  get(@Param('id') id: string): Promise<ScheduleView> {
    return this.schedules.get(id);
  }

  @Get(':id/deliveries')
  async deliveriesOf(@Param('id') id: string): Promise<DeliveryView[]> {
    await this.schedules.get(id);
    return this.deliveries.forSchedule(id);
  }
}
