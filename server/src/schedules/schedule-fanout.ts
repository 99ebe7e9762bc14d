import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ScopeService } from '../auth/area-scope.js';
import type { UserPrincipal } from '../auth/principal.js';
import { FanoutJobs, type FanoutHandler, type FanoutRun } from '../fanouts/fanout-jobs.js';
import { Materializer, type MaterializeParams } from '../planning/materializer.js';
import { ScheduleVisibility } from '../overview/schedule-visibility.repository.js';
import { notFound } from '../common/loa-error.js';

/**
 * Devices handed to dispatch per step. Dispatch compiles and publishes a step in batches without waiting between
 * them (and reports each batch: the job's progress); between steps the event loop serves what waits, and a stopping
 * server stops the job.
 */
export const DISPATCH_STEP = 2500;

/**
 * Issue 14: the background half of a schedule save (create, edit, approval, cancellation). It materialises the
 * schedule as its row says now, committing the devices to send to with the deliveries, then sends their timelines
 * in batches. Run again after a crash, it materialises again (nothing left to change) or, once the deliveries were
 * committed, sends to the recorded devices again.
 */
@Injectable()
export class ScheduleFanout implements FanoutHandler, OnModuleInit {
  constructor(
    private readonly fanouts: FanoutJobs,
    private readonly materializer: Materializer,
    private readonly visibility: ScheduleVisibility,
    private readonly scope: ScopeService,
  ) {}

  onModuleInit(): void {
    this.fanouts.register('schedule', this);
  }

  async run(run: FanoutRun): Promise<void> {
    let devices = run.job.devices;
    if (run.job.state !== 'sending' || devices === null) {
      run.phase('materialising');
      devices = await this.materializer.materialize(run.job.ref, run.job.params as unknown as MaterializeParams, (dirty) => run.record({ state: 'sending', total: dirty.length, devices: dirty }));
    }
    run.phase('sending');
    run.setTotal(devices.length);
    for (let i = 0; i < devices.length; i += DISPATCH_STEP) {
      // Between steps the event loop serves what waits (the next save's request, device messages): a province's
      // compile must not hold the answers up.
      await new Promise((resolve) => setImmediate(resolve));
      run.checkpoint();
      // Progress comes batch by batch from dispatch (timelines.sent → FanoutJobs).
      await this.materializer.dispatch(devices.slice(i, i + DISPATCH_STEP), run.job.id);
    }
  }

  /** As the schedule itself: readable when it reaches the user's subtree (404 otherwise). */
  async checkReadable(user: UserPrincipal, scheduleId: string): Promise<void> {
    if (!(await this.visibility.isVisible(await this.scope.of(user), scheduleId))) throw notFound('schedule.not-found', { id: scheduleId });
  }
}
