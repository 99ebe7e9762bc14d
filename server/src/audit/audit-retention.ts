import { Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { JobScheduler } from '../jobs/job-scheduler.js';
import { AuditService } from './audit.service.js';

export const AUDIT_SWEEP_MS = 24 * 3_600_000;
export const AUDIT_RETENTION_JOB = 'audit.retention';

/** At start-up and then daily (on the leader): deletes audit entries older than LOA_AUDIT_RETENTION_DAYS. */
@Injectable()
export class AuditRetention implements OnApplicationBootstrap {
  constructor(
    private readonly audit: AuditService,
    private readonly jobs: JobScheduler,
  ) {}

  onApplicationBootstrap(): void {
    this.jobs.schedule({ name: AUDIT_RETENTION_JOB, intervalMs: AUDIT_SWEEP_MS, runAtStart: true, run: () => this.audit.sweep() });
  }
}
