import { Module } from '@nestjs/common';
import { TargetingModule } from '../targeting/targeting.module.js';
import { AreaMovesListener } from './area-moves.listener.js';
import { ConflictAnalysis } from './conflict-analysis.js';
import { Materializer } from './materializer.js';
import { PlanningRepository } from './planning.repository.js';

/**
 * Materialisation (occurrences, per-device deliveries) and conflicts. The only producer of `timelines.dirty`;
 * dispatch (timelines/) listens for it. Depends on no feature module: schedules/ calls it (Materializer,
 * ConflictAnalysis), devices and areas announce their changes.
 */
@Module({
  imports: [TargetingModule],
  providers: [PlanningRepository, Materializer, ConflictAnalysis, AreaMovesListener],
  exports: [Materializer, ConflictAnalysis, TargetingModule],
})
export class PlanningModule {}
