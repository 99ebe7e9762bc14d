import { Body, Controller, Get, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { areaCodeSchema } from '@loa/shared';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { ALL_ROLES, ANY_ROLE, Roles } from '../auth/roles.js';
import { UsersService, type UserName, type UserView } from './users.service.js';
import { Audit } from '../audit/audit.decorator.js';

const role = z.enum(ALL_ROLES as ['admin', 'operator', 'approver', 'commune_officer']);
const password = z.string().min(8, 'at least 8 characters').max(200);
const createUserSchema = z.object({
  username: z.string().regex(/^[a-z0-9._-]{3,64}$/, '3-64 chars of a-z, 0-9, ".", "_" or "-"'),
  password,
  role,
  areaCode: areaCodeSchema.nullish().describe('root of the area subtree; required for every role except admin'),
});
const updateUserSchema = z
  .object({ role: role.optional(), areaCode: areaCodeSchema.nullable().optional(), password: password.optional(), disabled: z.boolean().optional() })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'give role, areaCode, password or disabled');

/** Accounts: admin only, except the name directory. */
@ApiTags('users')
@ApiBearerAuth()
@Roles('admin')
@Controller('api/v1/users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Post()
  @Audit('users.create', { resource: 'user' })
  create(@Body({ schema: createUserSchema }) body: z.infer<typeof createUserSchema>): Promise<UserView> {
    return this.users.create(body);
  }

  @Get()
  list(): Promise<UserView[]> {
    return this.users.list();
  }

  /**
   * Names for the ids that views carry (createdBy, approvedBy…), for every role. Declared before `:id`, which would
   * otherwise take "directory" as an id (Nest matches routes in declaration order).
   */
  @Get('directory')
  @Roles(ANY_ROLE)
  directory(): Promise<UserName[]> {
    return this.users.directory();
  }

  @Get(':id')
  get(@Param('id') id: string): Promise<UserView> {
    return this.users.get(id);
  }

  /** Role, area, password reset or disabled; the user's sessions end. */
  @Patch(':id')
  @Audit('users.update', { resource: 'user', idParam: 'id' })
  update(@Param('id') id: string, @Body({ schema: updateUserSchema }) body: z.infer<typeof updateUserSchema>, @CurrentUser() user: UserPrincipal): Promise<UserView> {
    return this.users.update(id, body, user.userId);
  }
}
