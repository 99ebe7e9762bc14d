/**
 * The periodic work of a whole server goes through one JobScheduler: every sweeper is scheduled under its name at
 * start-up, runs by name, and leaves no timer once the server has stopped.
 */
import { SchedulerRegistry } from '@nestjs/schedule';
import { OFFLINE_ALARMS_JOB } from '../src/alarms/offline-alarms.job.js';
import { ALERT_EXPIRY_JOB } from '../src/alerts/alert-expiry.js';
import { ALERT_RETENTION_JOB } from '../src/alerts/alert-retention.js';
import { AUDIT_RETENTION_JOB } from '../src/audit/audit-retention.js';
import { COMMAND_SWEEP_JOB } from '../src/commands/command-sweeper.js';
import { PRESENCE_SWEEP_JOB } from '../src/devices/presence-sweep.job.js';
import { FANOUT_RESUME_JOB } from '../src/fanouts/fanouts-resume.job.js';
import { FEEDBACK_AUTO_CLOSE_JOB, FEEDBACK_OVERDUE_JOB, FEEDBACK_RETENTION_JOB } from '../src/feedback/feedback.jobs.js';
import { JobScheduler } from '../src/jobs/job-scheduler.js';
import { HORIZON_ROLL_JOB } from '../src/planning/horizon-roller.js';
import { COVERAGE_ROLLUP_JOB } from '../src/reports/rollup.job.js';
import { TELEMETRY_RETENTION_JOB } from '../src/telemetry/telemetry-retention.job.js';
import { DISPATCH_JOB } from '../src/source-system/dispatcher.js';
import { PULL_JOB } from '../src/source-system/pull-poller.js';
import { FEEDS_JOB } from '../src/source-system/up-feeds.js';
import { BULLETIN_RESULTS_JOB } from '../src/source-system/bulletin-results.service.js';
import { INBOUND_FETCH_JOB } from '../src/source-system/inbound-bulletins.service.js';
import { CAP_FEEDS_JOB } from '../src/cap/cap-feeds.js';
import { NOTIFY_OUTBOX_JOB } from '../src/notifications/notification-outbox.js';
import { ANNOUNCEMENT_RESUME_JOB } from '../src/announcements/announcement-resume.job.js';
import { OTA_ROLLOUTS_JOB } from '../src/ota/ota-rollouts.job.js';
import { startTestServer, type TestServer } from './support/server.js';

const ALL_JOBS = [OFFLINE_ALARMS_JOB, ALERT_EXPIRY_JOB, AUDIT_RETENTION_JOB, COMMAND_SWEEP_JOB, PRESENCE_SWEEP_JOB, HORIZON_ROLL_JOB, TELEMETRY_RETENTION_JOB, FANOUT_RESUME_JOB, COVERAGE_ROLLUP_JOB, DISPATCH_JOB, FEEDS_JOB, PULL_JOB, BULLETIN_RESULTS_JOB, INBOUND_FETCH_JOB, FEEDBACK_OVERDUE_JOB, FEEDBACK_AUTO_CLOSE_JOB, FEEDBACK_RETENTION_JOB, ALERT_RETENTION_JOB, CAP_FEEDS_JOB, NOTIFY_OUTBOX_JOB, ANNOUNCEMENT_RESUME_JOB, OTA_ROLLOUTS_JOB];

describe('periodic jobs of a whole server', () => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer();
  });

  afterAll(() => t.close());

  it('schedules every sweeper once, under its name, runs one by name, and stops them all with the server', async () => {
    const jobs = t.server.app.get(JobScheduler);
    const registry = t.server.app.get(SchedulerRegistry);
    expect([...jobs.names()].sort()).toEqual([...ALL_JOBS].sort());
    expect([...registry.getIntervals()].sort()).toEqual([...ALL_JOBS].sort());
    expect(await jobs.runNow(AUDIT_RETENTION_JOB)).toBe('done');

    await t.server.close();
    expect(registry.getIntervals()).toEqual([]);
    expect(jobs.names()).toEqual([]);
  });
});
