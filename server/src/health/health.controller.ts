import { Controller, Get, HttpStatus, Res, ServiceUnavailableException } from '@nestjs/common';
import type { Response } from 'express';
import type { LiveView, ReadyCheck, ReadyView } from '@loa/shared/rest';
import { LeaderGate } from '../jobs/leader-gate.js';
import { EVENT_LOOP_STALL_MS, EventLoopWatch } from '../metrics/event-loop-watch.js';
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
    private readonly leader: LeaderGate,
    private readonly loop: EventLoopWatch,
  ) {}

  /**
   * Issue 20, liveness: answering at all proves the process runs; 503 when its event loop was recently held longer
   * than EVENT_LOOP_STALL_MS. Never touches the database or the broker, so an outage elsewhere causes no restart.
   */
  @Public()
  @Get('live')
  live(@Res({ passthrough: true }) res: Response): LiveView {
    const lag = this.loop.recentMaxMs();
    const stalled = lag >= EVENT_LOOP_STALL_MS;
    if (stalled) res.status(HttpStatus.SERVICE_UNAVAILABLE);
    return { status: stalled ? 'stalled' : 'ok', eventLoopLagMs: Math.round(lag * 10) / 10, uptimeS: Math.round(process.uptime()) };
  }

  /**
   * Issue 20, readiness: may this instance take traffic? The database answers, every migration is applied, the broker
   * listens (embedded) or the server's session to it is up (external). 503 names the failing checks. Leadership is
   * reported, never required: followers serve devices and operators as well.
   */
  @Public()
  @Get('ready')
  async ready(@Res({ passthrough: true }) res: Response): Promise<ReadyView> {
    const fail = (err: unknown): string => (err instanceof Error ? err.message : String(err));
    const database = this.db.ping().then(
      (): ReadyCheck => ({ name: 'database', ok: true, detail: this.db.kind }),
      (err: unknown): ReadyCheck => ({ name: 'database', ok: false, detail: fail(err) }),
    );
    const migrations = this.db.pendingMigrations().then(
      (n): ReadyCheck => (n === 0 ? { name: 'migrations', ok: true } : { name: 'migrations', ok: false, detail: `${n} migration(s) not applied` }),
      (err: unknown): ReadyCheck => ({ name: 'migrations', ok: false, detail: fail(err) }),
    );
    const state = this.broker.state();
    const broker: ReadyCheck = state.connected
      ? { name: 'broker', ok: true, detail: state.kind }
      : { name: 'broker', ok: false, detail: state.kind === 'embedded' ? 'the embedded broker is not listening' : `not connected to ${state.url ?? 'the external broker'}` };
    const checks = [await database, broker, await migrations];
    const ok = checks.every((c) => c.ok);
    if (!ok) res.status(HttpStatus.SERVICE_UNAVAILABLE);
    return { status: ok ? 'ready' : 'not-ready', leader: this.leader.isLeader(), checks };
  }

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
