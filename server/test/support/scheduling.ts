import type { DataSource } from 'typeorm';
import { timelineMessageSchema, type TimelineMessage } from '@loa/shared';
import { ApprovalPolicy } from '../../src/approvals/approval-policy.js';
import { ApprovalPolicyRepository } from '../../src/approvals/approval-policy.repository.js';
import { ApprovalRulesService } from '../../src/approvals/approval-rules.service.js';
import { SettingsRepository } from '../../src/approvals/settings.repository.js';
import { AreasRepository } from '../../src/areas/areas.repository.js';
import { ScopeService } from '../../src/auth/area-scope.js';
import { ScopeRepository } from '../../src/auth/scope.repository.js';
import { AreasService } from '../../src/areas/areas.service.js';
import type { AppConfig } from '../../src/config/app-config.js';
import { DeliveriesRepository } from '../../src/deliveries/deliveries.repository.js';
import { DeliveriesService } from '../../src/deliveries/deliveries.service.js';
import { CredentialsCacheListener } from '../../src/device-auth/credentials-cache.listener.js';
import { DeviceCredentialsRepository } from '../../src/device-auth/device-credentials.repository.js';
import { DeviceCredentialsService } from '../../src/device-auth/device-credentials.service.js';
import { DevicesRepository } from '../../src/devices/devices.repository.js';
import { DevicesService } from '../../src/devices/devices.service.js';
import { PresenceWriter } from '../../src/devices/presence-writer.js';
import { GroupsRepository } from '../../src/groups/groups.repository.js';
import { GroupsService } from '../../src/groups/groups.service.js';
import { TypeOrmTransactionRunner } from '../../src/database/transaction-runner.js';
import { ConflictAnalysis } from '../../src/planning/conflict-analysis.js';
import { DeviceChangesListener } from '../../src/planning/device-changes.listener.js';
import { Materializer } from '../../src/planning/materializer.js';
import { PlanningRepository } from '../../src/planning/planning.repository.js';
import { ContentWithdrawalListener } from '../../src/schedules/content-withdrawal.listener.js';
import { TargetResolver } from '../../src/targeting/target-resolver.js';
import { TargetsRepository } from '../../src/targeting/targets.repository.js';
import { SchedulesRepository } from '../../src/schedules/schedules.repository.js';
import { SchedulesService } from '../../src/schedules/schedules.service.js';
import { TimelinesRepository } from '../../src/timelines/timelines.repository.js';
import { TimelinesService } from '../../src/timelines/timelines.service.js';
import { InProcessNamedLocks } from '../../src/common/named-locks.js';
import { TestDomainEvents } from './domain-events.js';
import { settled, testFanouts } from './fanouts.js';
import { ScheduleFanout } from '../../src/schedules/schedule-fanout.js';
import { ScheduleVisibility } from '../../src/overview/schedule-visibility.repository.js';
import { type FixedClock, newMetrics, type RecordingBroker, silentLogger, testGateway, testSigning } from './fixtures.js';

/** The scheduling services wired by hand over one database, as Nest would wire them. */
export function schedulingGraph(ds: DataSource, clock: FixedClock, config: AppConfig, broker: RecordingBroker) {
  // Domain events as Nest wires them: `events.listen(x)` subscribes x's @OnEvent handlers.
  const events = new TestDomainEvents();
  const timelines = new TimelinesService(new TimelinesRepository(ds), testGateway(broker), new InProcessNamedLocks(), clock, config, newMetrics(), silentLogger, events);
  const areas = new AreasService(new AreasRepository(ds), clock);
  const repo = new SchedulesRepository(ds);
  const targets = new TargetResolver(new TargetsRepository(ds));
  const planning = new PlanningRepository(ds);
  const materializer = new Materializer(planning, targets, new TypeOrmTransactionRunner(ds), new InProcessNamedLocks(), events, clock, config, silentLogger);
  // Dispatch follows planning's timelines.dirty, planning follows device and group changes, as in the app.
  events.listen(timelines, new DeviceChangesListener(materializer));
  const deliveries = new DeliveriesService(new DeliveriesRepository(ds));
  // The rules follow config (LOA_APPROVAL_RULES_DEFAULT; testConfig() is permissive) unless a test stores some.
  const rules = new ApprovalRulesService(new SettingsRepository(ds), config, clock, silentLogger);
  const scope = new ScopeService(new ScopeRepository(ds), targets);
  // Saves answer at once and fan out in the background (issue 14): tests wait with `settled(...)`.
  const fanouts = testFanouts(ds, clock, events);
  events.listen(fanouts);
  const tx = new TypeOrmTransactionRunner(ds);
  const schedules = new SchedulesService(repo, materializer, new ConflictAnalysis(planning), deliveries, clock, config, silentLogger, new ApprovalPolicy(rules, new ApprovalPolicyRepository(ds), scope), tx, fanouts, new InProcessNamedLocks());
  new ScheduleFanout(fanouts, materializer, new ScheduleVisibility(ds), scope).onModuleInit();
  const devicesRepo = new DevicesRepository(ds);
  const presence = new PresenceWriter(devicesRepo, newMetrics(), silentLogger, events);
  const credentials = new DeviceCredentialsService(new DeviceCredentialsRepository(ds));
  events.listen(new CredentialsCacheListener(credentials));
  const devices = new DevicesService(devicesRepo, areas, credentials, presence, clock, testSigning, silentLogger, events);
  const groups = new GroupsService(new GroupsRepository(ds), targets, clock, silentLogger, events);
  events.listen(new ContentWithdrawalListener(repo, schedules));
  /** A save's answer once its fan-out (materialisation, timelines) has run. */
  const settle = <T>(answer: T | Promise<T>): Promise<T> => settled(fanouts, answer);
  return { timelines, areas, materializer, deliveries, schedules, devices, groups, presence, rules, events, fanouts, settle };
}

/** The timelines published so far, by device (last one wins), decoded with the agent-side schema. */
export function lastTimelines(broker: RecordingBroker): Map<string, TimelineMessage> {
  const out = new Map<string, TimelineMessage>();
  for (const p of broker.published) {
    if (!p.topic.endsWith('/timeline')) continue;
    if (!p.signed) throw new Error(`timeline on ${p.topic} is not signed by the server key`);
    const t = timelineMessageSchema.parse(JSON.parse(p.payload));
    out.set(t.deviceId, t);
  }
  return out;
}

export const publishedDevices = (broker: RecordingBroker): string[] =>
  broker.published.filter((p) => p.topic.endsWith('/timeline')).map((p) => p.topic.split('/')[3] ?? '').sort();
