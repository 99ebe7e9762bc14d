import { Module } from '@nestjs/common';
import { PlayoutLogRepository } from './playout-log.repository.js';
import { PlayoutLogService } from './playout-log.service.js';
import { ReportsController } from './reports.controller.js';

/** Issue 16: reports (so far the playout log; coverage rollups come next, see docs/reports.md). */
@Module({
  controllers: [ReportsController],
  providers: [PlayoutLogRepository, PlayoutLogService],
})
export class ReportsModule {}
