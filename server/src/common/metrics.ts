import { Injectable } from '@nestjs/common';

/**
 * In-process counters of refusals and throughput. Exposed on /api/health for now; the Prometheus exporter reads
 * the same registry later.
 */
@Injectable()
export class Metrics {
  private readonly counters = new Map<string, number>();

  inc(name: string, by = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + by);
  }

  get(name: string): number {
    return this.counters.get(name) ?? 0;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.counters.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }
}
