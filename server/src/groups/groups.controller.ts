import { Body, Controller, Get, Param, Patch, Post } from '@nestjs/common';
import { ScopeService } from '../auth/area-scope.js';
import { EDITORS, READERS, Roles } from '../auth/roles.js';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { createGroupRequestSchema as createGroupSchema, updateGroupRequestSchema as updateGroupSchema } from '@loa/shared/rest';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import type { TagRule } from './group.entity.js';
import { GroupsService, type GroupView } from './groups.service.js';
import { Audit } from '../audit/audit.decorator.js';
import { forbidden } from '../common/loa-error.js';

@ApiTags('groups')
@ApiBearerAuth()
@Controller('api/v1/groups')
export class GroupsController {
  constructor(
    private readonly groups: GroupsService,
    private readonly scope: ScopeService,
  ) {}

  @Post()
  @Roles(EDITORS)
  @Audit('groups.create', { resource: 'group' })
  async create(@Body({ schema: createGroupSchema }) body: z.infer<typeof createGroupSchema>, @CurrentUser() user: UserPrincipal): Promise<GroupView> {
    await this.scope.checkDevices(user, body.deviceIds ?? [], 'write');
    await this.checkRule(user, body.tagRule);
    return this.groups.create(body, user.userId);
  }

  /** A group is visible to a scoped user when every current member lies inside its subtree. */
  @Get()
  @Roles(READERS)
  async list(@CurrentUser() user: UserPrincipal): Promise<GroupView[]> {
    const all = await this.groups.list();
    const inside = await Promise.all(all.map((g) => this.scope.inScope(user, (u) => this.scope.checkDevices(u, g.members, 'read'))));
    return all.filter((_, i) => inside[i]);
  }

  @Get(':id')
  @Roles(READERS)
  async get(@Param('id') id: string, @CurrentUser() user: UserPrincipal): Promise<GroupView> {
    await this.scope.checkGroup(user, id, 'read');
    return this.groups.get(id);
  }

  @Patch(':id')
  @Roles(EDITORS)
  @Audit('groups.update', { resource: 'group', idParam: 'id' })
  async update(@Param('id') id: string, @Body({ schema: updateGroupSchema }) body: z.infer<typeof updateGroupSchema>, @CurrentUser() user: UserPrincipal): Promise<GroupView> {
    await this.scope.checkGroup(user, id, 'read');
    await this.scope.checkDevices(user, body.deviceIds ?? [], 'write');
    if (body.tagRule) await this.checkRule(user, body.tagRule);
    return this.groups.update(id, body);
  }

  /**
   * A group is inside the subtree when every member is (docs/roles.md), so a scoped user's tag rule may match only
   * devices of its subtree; otherwise the answer's `members` would list devices from anywhere. The refusal names no
   * device: the caller did not name them and must not learn them.
   */
  private async checkRule(user: UserPrincipal, rule: TagRule | null | undefined): Promise<void> {
    if (!rule || (await this.scope.of(user)).all) return;
    const matches = await this.groups.members({ deviceIds: [], tagRule: rule });
    if (!(await this.scope.inScope(user, (u) => this.scope.checkDevices(u, matches, 'write')))) {
      throw forbidden('group.tag-rule-outside');
    }
  }
}
