import { Body, Controller, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import { ScopeService } from '../auth/area-scope.js';
import { ANY_ROLE, EDITORS, READERS, Roles } from '../auth/roles.js';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import {
  alertDeliveryQuerySchema as alertDeliveryQuery,
  createAlertRequestSchema as createAlertSchema,
  type AlertBannerItem,
  type AlertDeliveryPage,
  type AlertSummary,
} from '@loa/shared/rest';
import { AlertProofService } from './alert-proof.service.js';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { AlertsService, type AlertChangeResult, type AlertView } from './alerts.service.js';
import { Audit } from '../audit/audit.decorator.js';

@ApiTags('alerts')
@ApiBearerAuth()
@Controller('api/v1/alerts')
export class AlertsController {
  constructor(
    private readonly alerts: AlertsService,
    private readonly scope: ScopeService,
    private readonly proof: AlertProofService,
  ) {}

  /**
   * 201 when accepted: its `fanout` job publishes it on the area channel at once; 202 with status `pending` (and no
   * job) when the two-person rule holds it for a second user's confirmation.
   */
  @Post()
  @Roles(EDITORS)
  @Audit('alerts.create', { resource: 'alert' })
  async create(
    @Body({ schema: createAlertSchema }) body: z.infer<typeof createAlertSchema>,
    @CurrentUser() user: UserPrincipal,
    @Res({ passthrough: true }) res: ServerResponse,
  ): Promise<AlertChangeResult> {
    await this.scope.checkArea(user, body.areaCode, 'write');
    const alert = await this.alerts.create({ ...body, effectiveAt: body.effectiveAt === undefined ? undefined : Date.parse(body.effectiveAt) }, user.userId);
    if (alert.status === 'pending') res.statusCode = 202;
    return alert;
  }

  /** Two-person rule: another user than the creator publishes a pending alert (409 for the creator, or after 30 min). */
  @Post(':id/confirm')
  @HttpCode(200)
  @Roles(READERS)
  @Audit('alerts.confirm', { resource: 'alert', idParam: 'id' })
  async confirm(@Param('id') id: string, @CurrentUser() user: UserPrincipal): Promise<AlertChangeResult> {
    await this.scope.checkArea(user, (await this.alerts.get(id)).areaCode, 'write');
    return this.alerts.confirm(id, user.userId);
  }

  @Get()
  @Roles(READERS)
  async list(@CurrentUser() user: UserPrincipal): Promise<AlertView[]> {
    return this.scope.filterByArea(user, await this.alerts.list(), (a) => a.areaCode);
  }

  /**
   * Issue 18: the alerts in force that cover part of the user's area or lie inside it (the red banner on every page):
   * a commune officer sees the province's alert over their commune. Every role may ask.
   */
  @Get('banner')
  @Roles(ANY_ROLE)
  async banner(@CurrentUser() user: UserPrincipal): Promise<AlertBannerItem[]> {
    return this.proof.banner(await this.scope.of(user));
  }

  /** Issue 18: "played on N of M" — counts by state, for the alert's area and each child area (failures first). */
  @Get(':id/summary')
  @Roles(READERS)
  async summary(@Param('id') id: string, @CurrentUser() user: UserPrincipal): Promise<AlertSummary> {
    const alert = await this.alerts.require(id);
    await this.scope.checkArea(user, alert.areaCode, 'read');
    return this.proof.summary(alert);
  }

  /** Issue 18: one record per device the alert was meant for, problems first; `state` and `areaCode` (a subtree) narrow it. */
  @Get(':id/deliveries')
  @Roles(READERS)
  async deliveries(@Param('id') id: string, @Query({ schema: alertDeliveryQuery }) q: z.infer<typeof alertDeliveryQuery>, @CurrentUser() user: UserPrincipal): Promise<AlertDeliveryPage> {
    const alert = await this.alerts.require(id);
    await this.scope.checkArea(user, alert.areaCode, 'read');
    return this.proof.page(alert, q);
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
  @Audit('alerts.cancel', { resource: 'alert', idParam: 'id' })
  async cancel(@Param('id') id: string, @CurrentUser() user: UserPrincipal): Promise<AlertChangeResult> {
    await this.scope.checkArea(user, (await this.alerts.get(id)).areaCode, 'read');
    return this.alerts.cancel(id, user.userId);
  }
}
