import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { createContentCategorySchema as createSchema, updateContentCategorySchema as updateSchema, type ContentCategoryView } from '@loa/shared/rest';
import { Audit } from '../audit/audit.decorator.js';
import { ANY_ROLE, Roles } from '../auth/roles.js';
import { ContentCategoriesService } from './content-categories.service.js';

/** Issue 16: content categories. Reading is for everyone signed in; writing is admin-only (routes without @Roles). */
@ApiTags('content-categories')
@ApiBearerAuth()
@Controller('api/v1/content-categories')
export class ContentCategoriesController {
  constructor(private readonly categories: ContentCategoriesService) {}

  @Get()
  @Roles(ANY_ROLE)
  list(): Promise<ContentCategoryView[]> {
    return this.categories.list();
  }

  @Post()
  @Audit('content-categories.create')
  @ApiOperation({ summary: 'A new category (admin); 409 when the code exists' })
  create(@Body({ schema: createSchema }) body: z.infer<typeof createSchema>): Promise<ContentCategoryView> {
    return this.categories.create(body);
  }

  @Patch(':code')
  @Audit('content-categories.update')
  update(@Param('code') code: string, @Body({ schema: updateSchema }) body: z.infer<typeof updateSchema>): Promise<ContentCategoryView> {
    return this.categories.update(code, body);
  }

  @Delete(':code')
  @HttpCode(204)
  @Audit('content-categories.delete')
  @ApiOperation({ summary: 'Removes a category (admin); 409 while contents use it' })
  remove(@Param('code') code: string): Promise<void> {
    return this.categories.remove(code);
  }
}
