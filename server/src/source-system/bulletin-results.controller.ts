import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { lowerLevelsQuerySchema as lowerLevelsQuery, remoteResultsQuerySchema as resultsQuery, type LowerLevelsView, type RemoteResultView } from '@loa/shared/rest';
import { READERS, Roles } from '../auth/roles.js';
import { BulletinResults } from './bulletin-results.service.js';

/** Issue 16, at an upper Loa: what lower peers reported about the bulletins we sent them. */
@ApiTags('source-system')
@ApiBearerAuth()
@Roles(READERS)
@Controller('api/v1/source-system')
export class BulletinResultsController {
  constructor(private readonly results: BulletinResults) {}

  @Get('peers/:id/results')
  @ApiOperation({ summary: "A lower peer's latest results per bulletin (originId filters one): counts and per-device rows" })
  peerResults(@Param('id') id: string, @Query({ schema: resultsQuery }) q: z.infer<typeof resultsQuery>): Promise<RemoteResultView[]> {
    return this.results.list(id, q);
  }

  @Get('results')
  @ApiOperation({ summary: "Every lower peer's latest results per bulletin (originId filters one); rows=false for the counts only" })
  allResults(@Query({ schema: resultsQuery }) q: z.infer<typeof resultsQuery>): Promise<RemoteResultView[]> {
    return this.results.list(null, q);
  }

  @Get('lower-levels')
  @ApiOperation({ summary: "One bulletin's reach below us: every lower peer's counts and their sum (apart from our own coverage)" })
  lowerLevels(@Query({ schema: lowerLevelsQuery }) q: z.infer<typeof lowerLevelsQuery>): Promise<LowerLevelsView> {
    return this.results.lowerLevels(q.originId);
  }
}
