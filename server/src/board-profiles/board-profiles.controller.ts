import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { READERS, Roles } from '../auth/roles.js';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { boardProfileRequestSchema as profileSchema, updateBoardProfileRequestSchema as patchSchema } from '@loa/shared/rest';
import { BoardProfilesService, type BoardProfileView } from './board-profiles.service.js';
import { Audit } from '../audit/audit.decorator.js';

@ApiTags('board-profiles')
@ApiBearerAuth()
@Controller('api/v1/board-profiles')
export class BoardProfilesController {
  constructor(private readonly profiles: BoardProfilesService) {}

  @Post()
  @Audit('board-profiles.create', { resource: 'board-profile' })
  create(@Body({ schema: profileSchema }) body: z.infer<typeof profileSchema>): Promise<BoardProfileView> {
    return this.profiles.create(body);
  }

  @Get()
  @Roles(READERS)
  list(): Promise<BoardProfileView[]> {
    return this.profiles.list();
  }

  @Get(':id')
  @Roles(READERS)
  get(@Param('id') id: string): Promise<BoardProfileView> {
    return this.profiles.get(id);
  }

  @Patch(':id')
  @Audit('board-profiles.update', { resource: 'board-profile', idParam: 'id' })
  update(@Param('id') id: string, @Body({ schema: patchSchema }) body: z.infer<typeof patchSchema>): Promise<BoardProfileView> {
    return this.profiles.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @Audit('board-profiles.delete', { resource: 'board-profile', idParam: 'id' })
  async remove(@Param('id') id: string): Promise<void> {
    await this.profiles.remove(id);
  }
}
