import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ScopeService } from '../auth/area-scope.js';
import { ANY_ROLE, Roles } from '../auth/roles.js';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { createAreaRequestSchema as createAreaSchema, csvBodySchema as csvBody, importAreasQuerySchema as importQuery } from '@loa/shared/rest';
import { AreasService, type AreaView } from './areas.service.js';
import { AreasImportService, type AreaImportResult } from './areas-import.service.js';
import { Audit } from '../audit/audit.decorator.js';
import { forbidden } from '../common/loa-error.js';

@ApiTags('areas')
@ApiBearerAuth()
@Controller('api/v1/areas')
export class AreasController {
  constructor(
    private readonly areas: AreasService,
    private readonly scope: ScopeService,
    private readonly imports: AreasImportService,
  ) {}

  /**
   * The level must fit the parent (see area-levels.ts; 400 otherwise). An admin with an area grows only its own
   * subtree: a parent outside it, or no parent at all, is 403 (checked first, so codes outside are not revealed).
   */
  @Post()
  @Audit('areas.create', { resource: 'area' })
  async create(@Body({ schema: createAreaSchema }) body: z.infer<typeof createAreaSchema>, @CurrentUser() user: UserPrincipal): Promise<AreaView> {
    if (body.parentCode) await this.scope.checkArea(user, body.parentCode, 'write');
    else if (!(await this.scope.of(user)).all) throw forbidden('area.top-level-outside');
    return this.areas.create(body);
  }

  /**
   * The tree from a spreadsheet: `text/csv` with a header `code,name,level,parentCode` (or `ma,ten,cap,ma_cha`),
   * comma or semicolon separated. Every row is checked first and every bad one named (400 `{errors: [{line, code,
   * message}]}`); then all rows are written in one transaction. Existing codes get their name (and level) updated;
   * moving one under another parent needs `?allowMove=true`. `?dryRun=true` only reports. An admin with an area may
   * import only inside its subtree (403).
   */
  @Post('import')
  @HttpCode(200)
  importCsv(
    @Body({ schema: csvBody }) body: string,
    @Query({ schema: importQuery }) q: z.infer<typeof importQuery>,
    @CurrentUser() user: UserPrincipal,
  ): Promise<AreaImportResult> {
    return this.imports.import(body, q, user);
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
