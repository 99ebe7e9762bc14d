import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ScopeService } from '../auth/area-scope.js';
import type { UserPrincipal } from '../auth/principal.js';
import { READERS } from '../auth/roles.js';
import { FanoutJobs, type FanoutHandler, type FanoutRun } from '../fanouts/fanout-jobs.js';
import { AlertsService } from './alerts.service.js';
import { notFound } from '../common/loa-error.js';

/** Issue 14: an alert's background publish (AlertsService.publishJob), and who may follow it (who may read the alert). */
@Injectable()
export class AlertFanout implements FanoutHandler, OnModuleInit {
  constructor(
    private readonly fanouts: FanoutJobs,
    private readonly alerts: AlertsService,
    private readonly scope: ScopeService,
  ) {}

  onModuleInit(): void {
    this.fanouts.register('alert', this);
  }

  run(run: FanoutRun): Promise<void> {
    return this.alerts.publishJob(run);
  }

  async checkReadable(user: UserPrincipal, alertId: string): Promise<void> {
    const alert = READERS.includes(user.role) ? await this.alerts.get(alertId) : null;
    if (!alert || !(await this.scope.of(user)).contains(alert.areaCode)) throw notFound('alert.not-found', { id: alertId });
  }
}
