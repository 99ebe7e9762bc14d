import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { z } from 'zod';
import { TimelinesService, type BehindView } from './timelines.service.js';

const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  offset: z.coerce.number().int().min(0).default(0),
});

@ApiTags('timelines')
@ApiBearerAuth()
@Controller('api/v1/timelines')
export class TimelinesController {
  constructor(private readonly timelines: TimelinesService) {}

  /** Devices whose acknowledged timeline version is below the current one (offline, or still receiving). */
  @Get('behind')
  behind(@Query({ schema: pageQuery }) q: z.infer<typeof pageQuery>): Promise<{ total: number; devices: BehindView[] }> {
    return this.timelines.behind(q.limit, q.offset);
  }
}
