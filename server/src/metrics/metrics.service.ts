import { Injectable } from '@nestjs/common';
import { timingSafeEqual, createHash } from 'node:crypto';
import { AppConfig } from '../config/app-config.js';
import { unauthorized } from '../common/loa-error.js';
import { LoaMetrics } from './loa-metrics.js';
// Constructed for its side effect: it registers the scrape-time families on the registry.
import { MetricsCollector } from './metrics-collector.js';

const digest = (s: string): Buffer => createHash('sha256').update(s).digest();

/** /metrics: the optional bearer token (LOA_METRICS_TOKEN), then the registry's text. */
@Injectable()
export class MetricsService {
  constructor(
    private readonly config: AppConfig,
    private readonly loa: LoaMetrics,
    _collector: MetricsCollector,
  ) {}

  get contentType(): string {
    return this.loa.registry.contentType;
  }

  /** Throws a coded 401 when a token is configured and the request does not carry it. */
  async scrape(authorization: string | undefined): Promise<string> {
    const token = this.config.metrics.token;
    if (token !== null) {
      const given = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
      if (given === undefined) throw unauthorized('metrics.token-required');
      // Compared as digests: equal lengths for timingSafeEqual, and no early exit that leaks the token's length.
      if (!timingSafeEqual(digest(given), digest(token))) throw unauthorized('metrics.token-invalid');
    }
    return this.loa.registry.metrics();
  }
}
