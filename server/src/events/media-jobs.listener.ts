import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import type { DomainEventMap } from '../domain-events/domain-events.js';
import { EventBus } from './event-bus.js';

/** The live event the dashboard's upload page follows (dashboard/src/pages/content-upload.tsx). */
export const MEDIA_JOB_EVENT = 'media.job';

/** Media jobs on the operators' live stream: not area-scoped (uploads belong to no area). */
@Injectable()
export class MediaJobsLiveListener {
  constructor(private readonly bus: EventBus) {}

  @OnEvent('media.jobChanged')
  onJobChanged({ job }: DomainEventMap['media.jobChanged']): void {
    this.bus.publish({ type: MEDIA_JOB_EVENT, job });
  }
}
