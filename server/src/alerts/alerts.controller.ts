import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { areaCodeSchema, prioritySchema, sha256Schema } from '@loa/shared';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { AlertsService, type AlertView } from './alerts.service.js';

const createAlertSchema = z.object({
  areaCode: areaCodeSchema,
  title: z.string().trim().min(1).max(200),
  text: z.string().trim().min(1).max(5000).optional(),
  mediaSha256: sha256Schema.optional(),
  volume: z.number().int().min(0).max(100).optional(),
  priority: prioritySchema.default('emergency'),
  effectiveAt: z.iso.datetime({ offset: true }).optional(),
  expiresInS: z.number().int().min(10).max(7 * 86_400).default(3600),
});

@ApiTags('alerts')
@ApiBearerAuth()
@Controller('api/v1/alerts')
export class AlertsController {
  constructor(private readonly alerts: AlertsService) {}

  @Post()
  create(@Body({ schema: createAlertSchema }) body: z.infer<typeof createAlertSchema>, @CurrentUser() user: UserPrincipal): Promise<AlertView> {
    return this.alerts.create({ ...body, effectiveAt: body.effectiveAt === undefined ? undefined : Date.parse(body.effectiveAt) }, user.userId);
  }

  @Get()
  list(): Promise<AlertView[]> {
    return this.alerts.list();
  }

  @Get(':id')
  get(@Param('id') id: string): Promise<AlertView> {
    return this.alerts.get(id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  cancel(@Param('id') id: string): Promise<AlertView> {
    return this.alerts.cancel(id);
  }
}
