import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ScopeService } from '../auth/area-scope.js';
import { EDITORS, READERS, Roles } from '../auth/roles.js';
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
  constructor(
    private readonly alerts: AlertsService,
    private readonly scope: ScopeService,
  ) {}

  @Post()
  @Roles(EDITORS)
  async create(@Body({ schema: createAlertSchema }) body: z.infer<typeof createAlertSchema>, @CurrentUser() user: UserPrincipal): Promise<AlertView> {
    await this.scope.checkArea(user, body.areaCode, 'write');
    return this.alerts.create({ ...body, effectiveAt: body.effectiveAt === undefined ? undefined : Date.parse(body.effectiveAt) }, user.userId);
  }

  @Get()
  @Roles(READERS)
  async list(@CurrentUser() user: UserPrincipal): Promise<AlertView[]> {
    return this.scope.filterByArea(user, await this.alerts.list(), (a) => a.areaCode);
  }

  @Get(':id')
  @Roles(READERS)
  async get(@Param('id') id: string, @CurrentUser() user: UserPrincipal): Promise<AlertView> {
    const alert = await this.alerts.get(id);
    await this.scope.checkArea(user, alert.areaCode, 'read');
    return alert;
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @Roles(EDITORS)
  async cancel(@Param('id') id: string, @CurrentUser() user: UserPrincipal): Promise<AlertView> {
    await this.scope.checkArea(user, (await this.alerts.get(id)).areaCode, 'read');
    return this.alerts.cancel(id);
  }
}
