import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { sha256Schema } from '@loa/shared';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { ContentsService, type ContentView } from './contents.service.js';

const title = z.string().trim().min(1).max(200);
const createContentSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('audio'), title, mediaSha256: sha256Schema }),
  z.object({
    type: z.literal('text'),
    title,
    text: z.string().trim().min(1).max(5000),
    displaySeconds: z.number().positive().max(24 * 3600).default(60),
  }),
]);

@ApiTags('contents')
@ApiBearerAuth()
@Controller('api/v1/contents')
export class ContentsController {
  constructor(private readonly contents: ContentsService) {}

  @Post()
  create(@Body({ schema: createContentSchema }) body: z.infer<typeof createContentSchema>, @CurrentUser() user: UserPrincipal): Promise<ContentView> {
    return this.contents.create(body, user.userId);
  }

  @Get()
  list(): Promise<ContentView[]> {
    return this.contents.list();
  }

  @Get(':id')
  get(@Param('id') id: string): Promise<ContentView> {
    return this.contents.get(id);
  }
}
