import { Body, Controller, Get, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { createUserRequestSchema as createUserSchema, updateUserRequestSchema as updateUserSchema } from '@loa/shared/rest';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { ANY_ROLE, Roles } from '../auth/roles.js';
import { UsersService, type UserName, type UserView } from './users.service.js';
import { Audit } from '../audit/audit.decorator.js';

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
