import { Body, Controller, Get, Param, Post, Query, UseInterceptors } from '@nestjs/common';
import { ScopeService } from '../auth/area-scope.js';
import { EDITORS, READERS, Roles } from '../auth/roles.js';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { commandResultsQuerySchema as resultsQuery, commandsPageQuerySchema as pageQuery, createCommandRequestSchema as createCommandSchema } from '@loa/shared/rest';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { RefuseUpdateCommand } from './refuse-update-command.js';
import { CommandsService, type CommandCreated, type CommandDetail, type CommandView, type DeviceCommandView, type Page } from './commands.service.js';

const targetsOf = (t: { deviceId: string } | { groupId: string } | { areaCode: string }) =>
  'deviceId' in t ? { devices: [t.deviceId] } : 'groupId' in t ? { groups: [t.groupId] } : { areas: [t.areaCode] };

@ApiTags('commands')
@ApiBearerAuth()
@Controller('api/v1/commands')
export class CommandsController {
  constructor(
    private readonly commands: CommandsService,
    private readonly scope: ScopeService,
  ) {}

  /**
   * 201 once the command is stored: its `fanout` job then queues it for every target device and sends it to those
   * online (GET /api/v1/fanouts/:id, live `fanout.progress`).
   */
  @Post()
  @Roles(EDITORS)
  @UseInterceptors(RefuseUpdateCommand)
  async create(@Body({ schema: createCommandSchema }) body: z.infer<typeof createCommandSchema>, @CurrentUser() user: UserPrincipal): Promise<CommandCreated> {
    await this.scope.checkTargets(user, targetsOf(body.target), 'write');
    return this.commands.create(body, user.userId);
  }

  /**
   * Recent commands, newest first, with counts per state. A scoped user gets the commands every device of which lies
   * inside its subtree (and whose area target does), paginated and counted in SQL: `total` counts only those.
   */
  @Get()
  @Roles(READERS)
  async list(@Query({ schema: pageQuery }) q: z.infer<typeof pageQuery>, @CurrentUser() user: UserPrincipal): Promise<Page<CommandView>> {
    return this.commands.list(q.limit, q.offset, await this.scopePath(user));
  }

  /** One command: counts per state and the per-device rows (paginated, optionally of one state); 404 outside the subtree. */
  @Get(':id')
  @Roles(READERS)
  async get(@Param('id') id: string, @Query({ schema: resultsQuery }) q: z.infer<typeof resultsQuery>, @CurrentUser() user: UserPrincipal): Promise<CommandDetail> {
    return this.commands.get(id, q, await this.scopePath(user));
  }

  private async scopePath(user: UserPrincipal): Promise<string | null> {
    return (await this.scope.of(user)).pathPattern;
  }
}

@ApiTags('commands')
@ApiBearerAuth()
@Controller('api/v1/devices')
export class DeviceCommandsController {
  constructor(
    private readonly commands: CommandsService,
    private readonly scope: ScopeService,
  ) {}

  /** The commands sent to one device, newest first, with what became of each. */
  @Get(':id/commands')
  @Roles(READERS)
  async list(@Param('id') id: string, @Query({ schema: pageQuery }) q: z.infer<typeof pageQuery>, @CurrentUser() user: UserPrincipal): Promise<Page<DeviceCommandView>> {
    await this.scope.checkDevice(user, id, 'read');
    return this.commands.forDevice(id, q.limit, q.offset);
  }
}
