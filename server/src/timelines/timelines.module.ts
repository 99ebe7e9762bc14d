import { Module } from '@nestjs/common';
import { TimelinesController } from './timelines.controller.js';
import { TimelinesMqttHandler } from './timelines.mqtt.js';
import { TimelinesRepository } from './timelines.repository.js';
import { TimelinesService } from './timelines.service.js';

@Module({ controllers: [TimelinesController], providers: [TimelinesRepository, TimelinesService, TimelinesMqttHandler], exports: [TimelinesService] })
export class TimelinesModule {}
