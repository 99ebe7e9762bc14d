import { Body, Controller, Get, HttpCode, Param, Patch, Post, Query, Res } from '@nestjs/common';
import { ScopeService } from '../auth/area-scope.js';
import { ANY_ROLE, EDITORS, OFFICER_IF_SCHEDULING, Roles } from '../auth/roles.js';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { z } from 'zod';
import {
  createScheduleRequestSchema as createScheduleSchema,
  moveOccurrenceRequestSchema as moveOccurrenceSchema,
  scheduleDeliveriesCsvQuerySchema as deliveriesCsvQuery,
  scheduleDeliveriesQuerySchema as deliveriesQuery,
  updateScheduleRequestSchema as updateScheduleSchema,
} from '@loa/shared/rest';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import type { DeliveryView, ScheduleSummary } from '../deliveries/deliveries.service.js';
import { ScheduleReads } from './schedule-reads.js';
import { SchedulesService, type DryRunResult, type SaveResult, type ScheduleChangeResult, type ScheduleView } from './schedules.service.js';
import { Audit } from '../audit/audit.decorator.js';
import { instantIn } from '../common/instant.js';

const exdatesOf = (e: string[] | undefined, zone: string): Array<number | string> | undefined => e?.map((x) => (/^\d{4}-\d{2}-\d{2}$/.test(x) ? x : instantIn(x, zone)));

@ApiTags('schedules')
@ApiBearerAuth()
@Controller('api/v1/schedules')
export class SchedulesController {
  constructor(
    private readonly schedules: SchedulesService,
    private readonly reads: ScheduleReads,
    private readonly scope: ScopeService,
  ) {}

  /**
   * 201 with the schedule, any notices and its `fanout` job, which materialises the schedule and sends the devices
   * their timelines in the background; 409 on unaccepted same-priority conflicts; 200 for a dry run.
   */
  @Post()
  @Roles(EDITORS, OFFICER_IF_SCHEDULING)
  @Audit('schedules.create', { resource: 'schedule' })
  async create(
    @Body({ schema: createScheduleSchema }) body: z.infer<typeof createScheduleSchema>,
    @CurrentUser() user: UserPrincipal,
    @Res({ passthrough: true }) res: ServerResponse,
  ): Promise<SaveResult | DryRunResult> {
    await this.scope.checkTargets(user, body.targets, 'write');
    const zone = await this.schedules.zoneOf(body.timezone);
    const r = await this.schedules.create({ ...body, startAt: instantIn(body.startAt, zone), exdates: exdatesOf(body.exdates, zone) }, user.userId);
    if ('dryRun' in r) res.statusCode = 200;
    return r;
  }

  /**
   * A schedule is visible to a scoped user when any of its devices or targets lies in its subtree; `summary` and
   * `deviceCount` then count the user's devices only.
   */
  @Get()
  @Roles(ANY_ROLE)
  async list(@CurrentUser() user: UserPrincipal): Promise<ScheduleView[]> {
    return this.reads.list(user);
  }

  @Get(':id')
  @Roles(ANY_ROLE)
  async get(@Param('id') id: string, @CurrentUser() user: UserPrincipal): Promise<ScheduleView> {
    return this.reads.get(user, id);
  }

  @Patch(':id')
  @Roles(EDITORS, OFFICER_IF_SCHEDULING)
  @Audit('schedules.update', { resource: 'schedule', idParam: 'id' })
  async update(@Param('id') id: string, @Body({ schema: updateScheduleSchema }) body: z.infer<typeof updateScheduleSchema>, @CurrentUser() user: UserPrincipal): Promise<SaveResult | DryRunResult> {
    await this.writable(id, user);
    if (body.targets) await this.scope.checkTargets(user, body.targets, 'write');
    const zone = await this.schedules.zoneOf(body.timezone, id);
    return this.schedules.update(id, { ...body, startAt: body.startAt === undefined ? undefined : instantIn(body.startAt, zone), exdates: exdatesOf(body.exdates, zone) }, user.userId);
  }

  /** Issue 19: one occurrence to another start (the calendar's drag); answers as an edit does (409 on unaccepted conflicts). */
  @Post(':id/occurrences/move')
  @HttpCode(200)
  @Roles(EDITORS, OFFICER_IF_SCHEDULING)
  @Audit('schedules.move-occurrence', { resource: 'schedule', idParam: 'id' })
  async moveOccurrence(@Param('id') id: string, @Body({ schema: moveOccurrenceSchema }) body: z.infer<typeof moveOccurrenceSchema>, @CurrentUser() user: UserPrincipal): Promise<SaveResult | DryRunResult> {
    await this.writable(id, user);
    const zone = await this.schedules.zoneOf(undefined, id);
    return this.schedules.moveOccurrence(id, body.occurrenceId, instantIn(body.startAt, zone), body.acceptConflicts, user.userId);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @Roles(EDITORS, OFFICER_IF_SCHEDULING)
  @Audit('schedules.cancel', { resource: 'schedule', idParam: 'id' })
  async cancel(@Param('id') id: string, @CurrentUser() user: UserPrincipal): Promise<ScheduleChangeResult> {
    await this.writable(id, user);
    return this.schedules.cancel(id, user.userId);
  }

  /** The delivery matrix, filterable by occurrence and state; `X-Total-Count` gives the unpaginated total. */
  @Get(':id/deliveries')
  @Roles(ANY_ROLE)
  async deliveriesOf(
    @Param('id') id: string,
    @Query({ schema: deliveriesQuery }) q: z.infer<typeof deliveriesQuery>,
    @Res({ passthrough: true }) res: ServerResponse,
    @CurrentUser() user: UserPrincipal,
  ): Promise<DeliveryView[]> {
    const page = await this.reads.deliveries(user, id, q);
    res.setHeader('X-Total-Count', String(page.total));
    return page.items;
  }

  /**
   * The same matrix as CSV (UTF-8 with BOM, RFC 4180 quoting, formula-guarded cells), streamed page by page from
   * the database so a 10,000-device matrix is never held in memory; a scoped user gets its own devices' rows.
   * Vietnamese headers, states and Vietnam-time dates by default; `format=iso` for the machine format.
   */
  @Get(':id/deliveries.csv')
  @Roles(ANY_ROLE)
  async deliveriesCsv(
    @Param('id') id: string,
    @Query({ schema: deliveriesCsvQuery }) q: z.infer<typeof deliveriesCsvQuery>,
    @Res() res: ServerResponse,
    @CurrentUser() user: UserPrincipal,
  ): Promise<void> {
    const csv = await this.reads.csv(user, id, q);
    res.writeHead(200, { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': csv.disposition, 'Cache-Control': 'no-store' });
    // highWaterMark 1: one database page ahead of the client at most, not Readable.from's 16.
    await pipeline(Readable.from(csv.body, { highWaterMark: 1 }), res).catch(() => undefined); // the client went away: nothing to answer
  }

  @Get(':id/summary')
  @Roles(ANY_ROLE)
  async summary(@Param('id') id: string, @CurrentUser() user: UserPrincipal): Promise<ScheduleSummary> {
    return this.reads.summary(user, id);
  }

  /** Outside the subtree: 404 (the schedule's existence is not revealed); visible with a target outside: 403. */
  private async writable(id: string, user: UserPrincipal): Promise<void> {
    await this.reads.writable(user, id);
  }
}
