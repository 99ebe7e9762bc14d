import { Global, Module } from '@nestjs/common';
import { EventLoopWatch } from './event-loop-watch.js';
import { FleetStatsReader } from './fleet-stats.repository.js';
import { LoaMetrics } from './loa-metrics.js';
import { MetricsCollector } from './metrics-collector.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsService } from './metrics.service.js';

/**
 * Issue 20: Prometheus metrics. Global so any feature can take the LoaMetrics port (an optional constructor
 * parameter there, so unit tests that build a feature by hand need nothing), and the health probes the EventLoopWatch.
 */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [LoaMetrics, FleetStatsReader, MetricsCollector, MetricsService, EventLoopWatch],
  exports: [LoaMetrics, EventLoopWatch],
})
export class MetricsModule {}
