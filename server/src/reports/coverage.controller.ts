import { Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { coverageQuerySchema as coverageQuery, type CoverageQuery, type CoverageReport, type DeviceCoverage } from '@loa/shared/rest';
import { CurrentUser } from '../auth/decorators.js';
import type { UserPrincipal } from '../auth/principal.js';
import { ANY_ROLE, Roles } from '../auth/roles.js';
import type { JobOutcome } from '../jobs/job-scheduler.js';
import { CoverageService } from './coverage.service.js';
import { CoverageRollupJob } from './rollup.job.js';

/** Issue 16: the KH 179 coverage report. Every reader sees its own subtree; the service decides it. */
@ApiTags('reports')
@ApiBearerAuth()
@Controller('api/v1/reports/coverage')
export class CoverageController {
  constructor(
    private readonly coverage: CoverageService,
    private readonly rollups: CoverageRollupJob,
  ) {}

  @Get()
  @Roles(ANY_ROLE)
  @ApiOperation({ summary: 'Coverage (played ÷ due) of an area subtree for a period, with its breakdowns; rows worst first' })
  report(@Query({ schema: coverageQuery }) q: CoverageQuery, @CurrentUser() user: UserPrincipal): Promise<CoverageReport> {
    return this.coverage.report(user, q);
  }

  @Get('devices/:deviceId')
  @Roles(ANY_ROLE)
  @ApiOperation({ summary: 'One device’s coverage for the period, per day (or month), with its failures by reason' })
  device(@Param('deviceId') deviceId: string, @Query({ schema: coverageQuery }) q: CoverageQuery, @CurrentUser() user: UserPrincipal): Promise<DeviceCoverage> {
    return this.coverage.deviceCoverage(user, deviceId, q);
  }

  /** Admin: bring the rollups up to date now rather than at the next 30-second run (the leader does it; elsewhere `not-leader`). */
  @Post('refresh')
  @HttpCode(200)
  @ApiOperation({ summary: 'Updates the coverage rollups now (admin)' })
  async refresh(): Promise<{ outcome: JobOutcome }> {
    return { outcome: await this.rollups.refresh() };
  }
}
