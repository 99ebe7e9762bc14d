import { Body, Controller, Get, Param, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { sha256Schema } from '@loa/shared';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { ContentsService, type ContentView } from './contents.service.js';

const title = z.string().trim().min(1).max(200);
const instant = z.iso.datetime({ offset: true });
/** Optional validity window: occurrences starting outside [validFrom, validUntil) are not generated. */
const validity = { validFrom: instant.optional(), validUntil: instant.optional() };
const createContentSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('audio'), title, mediaSha256: sha256Schema, ...validity }),
  z.object({
    type: z.literal('text'),
    title,
    text: z.string().trim().min(1).max(5000),
    displaySeconds: z.number().positive().max(24 * 3600).default(60),
    ...validity,
  }),
  z.object({
    type: z.literal('relay'),
    title,
    /** Upstream stream (HTTP, Icecast or HLS), relayed by speakers for the slot's duration. */
    url: z.url({ protocol: /^https?$/ }).max(2000),
    durationSeconds: z.number().positive().max(24 * 3600),
    ...validity,
  }),
]);
const ms = (v: string | undefined): number | undefined => (v === undefined ? undefined : Date.parse(v));

@ApiTags('contents')
@ApiBearerAuth()
@Controller('api/v1/contents')
export class ContentsController {
  constructor(private readonly contents: ContentsService) {}

  @Post()
  create(@Body({ schema: createContentSchema }) body: z.infer<typeof createContentSchema>, @CurrentUser() user: UserPrincipal): Promise<ContentView> {
    return this.contents.create({ ...body, validFrom: ms(body.validFrom), validUntil: ms(body.validUntil) }, user.userId);
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
