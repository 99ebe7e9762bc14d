import { Controller, Get, Headers, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { Public } from '../auth/decorators.js';
import { MetricsService } from './metrics.service.js';

/**
 * Prometheus' conventional path, outside /api: scrape configs and exporters' defaults expect it there. Public to the
 * operators' login; LOA_METRICS_TOKEN guards it instead (see MetricsService).
 */
@ApiExcludeController()
@Controller()
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Public()
  @Get('metrics')
  async metricsText(@Headers('authorization') authorization: string | undefined, @Res() res: Response): Promise<void> {
    const text = await this.metrics.scrape(authorization);
    res.setHeader('Content-Type', this.metrics.contentType);
    res.setHeader('Cache-Control', 'no-store');
    res.end(text);
  }
}
