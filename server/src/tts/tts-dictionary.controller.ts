import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { ttsDictionaryEntryInputSchema as inputSchema, ttsDictionaryEntryPatchSchema as patchSchema, type TtsDictionaryEntryView } from '@loa/shared/rest';
import { Audit } from '../audit/audit.decorator.js';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { Roles } from '../auth/roles.js';
import { TtsDictionaryService } from './tts-dictionary.service.js';

/** The installation's pronunciation dictionary: administrators only (role.forbidden for everyone else). */
@ApiTags('tts')
@ApiBearerAuth()
@Roles('admin')
@Controller('api/v1/tts/dictionary')
export class TtsDictionaryController {
  constructor(private readonly dictionary: TtsDictionaryService) {}

  @Get()
  @ApiOperation({ summary: 'Every pronunciation entry, by term' })
  list(): Promise<TtsDictionaryEntryView[]> {
    return this.dictionary.list();
  }

  @Post()
  @Audit('tts.dictionary-create')
  @ApiOperation({ summary: 'Add a word and how it is read (409 tts.dictionary-duplicate when the term exists)' })
  create(@Body({ schema: inputSchema }) body: z.infer<typeof inputSchema>, @CurrentUser() user: UserPrincipal): Promise<TtsDictionaryEntryView> {
    return this.dictionary.create(body, user.userId);
  }

  @Patch(':id')
  @Audit('tts.dictionary-update')
  @ApiOperation({ summary: 'Change a term, its reading or its note' })
  update(@Param('id') id: string, @Body({ schema: patchSchema }) body: z.infer<typeof patchSchema>): Promise<TtsDictionaryEntryView> {
    return this.dictionary.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @Audit('tts.dictionary-delete')
  @ApiOperation({ summary: 'Remove an entry' })
  remove(@Param('id') id: string): Promise<void> {
    return this.dictionary.remove(id);
  }
}
