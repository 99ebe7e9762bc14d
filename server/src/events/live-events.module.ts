import { Module } from '@nestjs/common';
import { DevicesModule } from '../devices/devices.module.js';
import { LiveEvents } from './live-events.js';
import { MediaJobsLiveListener } from './media-jobs.listener.js';

/**
 * LiveEvents listens to domain events and publishes the dashboard's events on the EventBus. Nothing imports this
 * module but AppModule: no feature calls it.
 */
@Module({
  imports: [DevicesModule],
  providers: [LiveEvents, MediaJobsLiveListener],
})
export class LiveEventsModule {}
