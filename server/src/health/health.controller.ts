import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { PROTOCOL_VERSION } from '@loa/shared';
import { Metrics } from '../common/metrics.js';
import { Public } from '../auth/decorators.js';
import { MessageBroker, type BrokerState } from '../broker/message-broker.js';
import { DatabaseHealth } from './database-health.js';

/** Memory that should come back after a burst of load: watch rssBytes against heapUsedBytes to tell a leak (both grow) from an allocator that keeps freed pages. */
interface ProcessMemory {
  rssBytes: number;
  heapTotalBytes: number;
  heapUsedBytes: number;
  externalBytes: number;
  arrayBuffersBytes: number;
}

function processMemory(): ProcessMemory {
  const m = process.memoryUsage();
  return { rssBytes: m.rss, heapTotalBytes: m.heapTotal, heapUsedBytes: m.heapUsed, externalBytes: m.external, arrayBuffersBytes: m.arrayBuffers };
}

@ApiTags('health')
@Controller('api/health')
export class HealthController {
  constructor(
    private readonly db: DatabaseHealth,
    private readonly broker: MessageBroker,
    private readonly metrics: Metrics,
  ) {}

  @Public()
  @Get()
  async health(): Promise<{ status: 'ok'; protocol: number; database: string; mqttPort: number | null; broker: BrokerState; uptimeS: number; memory: ProcessMemory; counters: Record<string, number> }> {
    try {
      await this.db.ping();
    } catch (err) {
      throw new ServiceUnavailableException(`database unreachable: ${(err as Error).message}`);
    }
    return {
      status: 'ok',
      protocol: PROTOCOL_VERSION,
      database: this.db.kind,
      mqttPort: this.broker.port,
      // Reported, not failed on: the API keeps serving while an external broker is away (publishes wait for it).
      broker: this.broker.state(),
      uptimeS: Math.round(process.uptime()),
      memory: processMemory(),
      counters: this.metrics.snapshot(),
    };
  }
}
