import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { ScopeService } from '../auth/area-scope.js';
import { ANY_ROLE, Roles } from '../auth/roles.js';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { areaCodeSchema } from '@loa/shared';
import { AREA_LEVELS, AreasService, type AreaView } from './areas.service.js';

const createAreaSchema = z.object({
  code: areaCodeSchema,
  name: z.string().trim().min(1).max(200),
  level: z.enum(AREA_LEVELS),
  parentCode: areaCodeSchema.nullish(),
});

@ApiTags('areas')
@ApiBearerAuth()
@Controller('api/v1/areas')
export class AreasController {
  constructor(
    private readonly areas: AreasService,
    private readonly scope: ScopeService,
  ) {}

  @Post()
  create(@Body({ schema: createAreaSchema }) body: z.infer<typeof createAreaSchema>): Promise<AreaView> {
    return this.areas.create(body);
  }

  /** A scoped user sees its own subtree. */
  @Get()
  @Roles(ANY_ROLE)
  async list(@CurrentUser() user: UserPrincipal): Promise<AreaView[]> {
    return this.scope.filterByArea(user, await this.areas.list(), (a) => a.code);
  }

  @Get(':code')
  @Roles(ANY_ROLE)
  async get(@Param('code') code: string, @CurrentUser() user: UserPrincipal): Promise<AreaView> {
    await this.scope.checkArea(user, code, 'read');
    return this.areas.get(code);
  }
}
