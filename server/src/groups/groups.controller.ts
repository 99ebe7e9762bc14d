import { Body, Controller, Get, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { deviceIdSchema } from '@loa/shared';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { tagSchema } from '../devices/tags.js';
import { GroupsService, type GroupView } from './groups.service.js';

const tagRuleSchema = z
  .object({ all: z.array(tagSchema).max(20).optional(), any: z.array(tagSchema).max(20).optional() })
  .refine((r) => (r.all?.length ?? 0) + (r.any?.length ?? 0) > 0, 'a tag rule needs at least one tag in all or any');
const name = z.string().trim().min(1).max(200);
const createGroupSchema = z
  .object({ name, deviceIds: z.array(deviceIdSchema).max(10_000).optional(), tagRule: tagRuleSchema.optional() })
  .refine((g) => (g.deviceIds?.length ?? 0) > 0 || g.tagRule !== undefined, 'give deviceIds and/or a tagRule');
const updateGroupSchema = z.object({ name: name.optional(), deviceIds: z.array(deviceIdSchema).max(10_000).optional(), tagRule: tagRuleSchema.nullish() });

@ApiTags('groups')
@ApiBearerAuth()
@Controller('api/v1/groups')
export class GroupsController {
  constructor(private readonly groups: GroupsService) {}

  @Post()
  create(@Body({ schema: createGroupSchema }) body: z.infer<typeof createGroupSchema>, @CurrentUser() user: UserPrincipal): Promise<GroupView> {
    return this.groups.create(body, user.userId);
  }

  @Get()
  list(): Promise<GroupView[]> {
    return this.groups.list();
  }

  @Get(':id')
  get(@Param('id') id: string): Promise<GroupView> {
    return this.groups.get(id);
  }

  @Patch(':id')
  update(@Param('id') id: string, @Body({ schema: updateGroupSchema }) body: z.infer<typeof updateGroupSchema>): Promise<GroupView> {
    return this.groups.update(id, body);
  }
}
