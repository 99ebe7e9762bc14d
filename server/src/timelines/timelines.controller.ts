import { Controller, Get, Query } from '@nestjs/common';
import { ScopeService } from '../auth/area-scope.js';
import { READERS, Roles } from '../auth/roles.js';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import type { z } from 'zod';
import { timelinePageQuerySchema as pageQuery } from '@loa/shared/rest';
import { TimelinesService, type BehindView } from './timelines.service.js';

@ApiTags('timelines')
@ApiBearerAuth()
@Controller('api/v1/timelines')
export class TimelinesController {
  constructor(
    private readonly timelines: TimelinesService,
    private readonly scope: ScopeService,
  ) {}

  /** Devices whose acknowledged timeline version is below the current one (offline, or still receiving). */
  /** For a scoped user, paginated and counted over its subtree in SQL (`total` counts nothing from elsewhere). */
  @Get('behind')
  @Roles(READERS)
  async behind(@Query({ schema: pageQuery }) q: z.infer<typeof pageQuery>, @CurrentUser() user: UserPrincipal): Promise<{ total: number; devices: BehindView[] }> {
    return this.timelines.behind(q.limit, q.offset, (await this.scope.of(user)).pathPattern);
  }
}
