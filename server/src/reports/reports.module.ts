import { Module } from '@nestjs/common';
import { PlayoutLogRepository } from './playout-log.repository.js';
import { PlayoutLogService } from './playout-log.service.js';
import { ReportsController } from './reports.controller.js';
import { ReportExports } from './report-exports.js';
import { CoverageController } from './coverage.controller.js';
import { CoverageRepository } from './coverage.repository.js';
import { CoverageService } from './coverage.service.js';
import { CoverageRollupJob } from './rollup.job.js';
import { RollupRepository } from './rollup.repository.js';

/**
 * Issue 16: reports — the playout log, coverage from the rollups and their exports. Exports the reads the source-system
 * feeds send upward, so there is one instance of each (a test spying on one must see every read).
 */
@Module({
  controllers: [ReportsController, CoverageController],
  providers: [PlayoutLogRepository, PlayoutLogService, ReportExports, CoverageRepository, CoverageService, RollupRepository, CoverageRollupJob],
  exports: [PlayoutLogRepository, CoverageRepository, CoverageService],
})
export class ReportsModule {}
