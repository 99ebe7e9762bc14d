import { Module } from '@nestjs/common';
import { TimelinesMqttHandler } from './timelines.mqtt.js';
import { TimelinesRepository } from './timelines.repository.js';
import { TimelinesService } from './timelines.service.js';

@Module({ providers: [TimelinesRepository, TimelinesService, TimelinesMqttHandler], exports: [TimelinesService] })
export class TimelinesModule {}
