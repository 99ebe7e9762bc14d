import { Body, Controller, Get, Param, Post } from '@nestjs/common';
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
  constructor(private readonly areas: AreasService) {}

  @Post()
  create(@Body({ schema: createAreaSchema }) body: z.infer<typeof createAreaSchema>): Promise<AreaView> {
    return this.areas.create(body);
  }

  @Get()
  list(): Promise<AreaView[]> {
    return this.areas.list();
  }

  @Get(':code')
  get(@Param('code') code: string): Promise<AreaView> {
    return this.areas.get(code);
  }
}
