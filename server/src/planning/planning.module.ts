import { Module } from '@nestjs/common';
import { TargetingModule } from '../targeting/targeting.module.js';
import { AreaMovesListener } from './area-moves.listener.js';
import { ConflictAnalysis } from './conflict-analysis.js';
import { DeviceChangesListener } from './device-changes.listener.js';
import { DEFAULT_HORIZON_ROLL_INTERVAL_MS, HORIZON_ROLL_INTERVAL_MS, HorizonRoller } from './horizon-roller.js';
import { Materializer } from './materializer.js';
import { PlanningRepository } from './planning.repository.js';

/**
 * Materialisation (occurrences, per-device deliveries), conflicts and the horizon roll. The only producer of
 * `timelines.dirty`; dispatch (timelines/) listens for it. Depends on no feature module: schedules/ calls it
 * (Materializer, ConflictAnalysis); devices, groups and areas announce their changes (device.registered,
 * device.updated, group.changed, areas.moved) and planning listens.
 */
@Module({
  imports: [TargetingModule],
  providers: [
    PlanningRepository,
    Materializer,
    ConflictAnalysis,
    AreaMovesListener,
    DeviceChangesListener,
    HorizonRoller,
    { provide: HORIZON_ROLL_INTERVAL_MS, useValue: DEFAULT_HORIZON_ROLL_INTERVAL_MS },
  ],
  exports: [Materializer, ConflictAnalysis, TargetingModule],
})
export class PlanningModule {}
