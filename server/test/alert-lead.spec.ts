// Issue 18: an alert sent "now" starts on every speaker together, a configured lead after it is accepted.
import { alertMessageSchema } from '@loa/shared';
import { AlertsRepository } from '../src/alerts/alerts.repository.js';
import { AlertsService } from '../src/alerts/alerts.service.js';
import type { ApprovalRulesService } from '../src/approvals/approval-rules.service.js';
import { AreasRepository } from '../src/areas/areas.repository.js';
import { AreasService } from '../src/areas/areas.service.js';
import { AppConfig } from '../src/config/app-config.js';
import { InProcessNamedLocks } from '../src/common/named-locks.js';
import { TypeOrmTransactionRunner } from '../src/database/transaction-runner.js';
import { DATABASES, type TestDatabase } from './support/databases.js';
import { FixedClock, RecordingBroker, newMetrics, seedArea, silentLogger, testConfig, testGateway } from './support/fixtures.js';
import { settled, testFanouts } from './support/fanouts.js';

const NOW = Date.parse('2026-12-05T08:00:00Z');

describe('LOA_ALERT_LEAD_MS', () => {
  it('defaults to 1900 ms and refuses what is not a lead of 0–10 s', () => {
    expect(AppConfig.load({}).alertLeadMs).toBe(1900);
    expect(AppConfig.load({ LOA_ALERT_LEAD_MS: '0' }).alertLeadMs).toBe(0);
    expect(() => AppConfig.load({ LOA_ALERT_LEAD_MS: '-1' })).toThrow(/LOA_ALERT_LEAD_MS/);
    expect(() => AppConfig.load({ LOA_ALERT_LEAD_MS: '10001' })).toThrow(/LOA_ALERT_LEAD_MS/);
    expect(() => AppConfig.load({ LOA_ALERT_LEAD_MS: 'soon' })).toThrow(/LOA_ALERT_LEAD_MS/);
  });
});

describe.each(DATABASES)('an alert sent now, on %s', (_name, open) => {
  let db: TestDatabase;
  let broker: RecordingBroker;

  beforeEach(async () => {
    db = await open();
    await seedArea(db.dataSource, '01', null, 'province');
    broker = new RecordingBroker();
  });
  afterEach(() => db.close());

  const service = (lead: string, twoPerson = false) => {
    const clock = new FixedClock(NOW);
    const rules = twoPerson ? ({ get: async () => ({ emergency: { twoPerson: true } }) } as unknown as ApprovalRulesService) : undefined;
    const fanouts = testFanouts(db.dataSource, clock);
    const sut = new AlertsService(
      new AlertsRepository(db.dataSource),
      new AreasService(new AreasRepository(db.dataSource), clock),
      testGateway(broker),
      clock,
      newMetrics(),
      silentLogger,
      new TypeOrmTransactionRunner(db.dataSource),
      fanouts,
      new InProcessNamedLocks(),
      rules,
      testConfig({ LOA_ALERT_LEAD_MS: lead }),
    );
    fanouts.register('alert', { run: (r) => sut.publishJob(r), checkReadable: async () => undefined });
    return { sut, fanouts, clock };
  };
  const published = () => alertMessageSchema.parse(JSON.parse(broker.published.at(-1)!.payload!));

  it('takes effect the lead after it was accepted, keeping its whole duration', async () => {
    const { sut, fanouts } = service('1500');
    const a = await settled(fanouts, sut.create({ areaCode: '01', title: 'Lũ quét', text: 'Sơ tán ngay', priority: 'emergency', expiresInS: 600 }, 'user-1'));
    expect(a.effectiveAt).toBe(new Date(NOW + 1500).toISOString());
    expect(published()).toMatchObject({ sentAt: NOW, effectiveAt: NOW + 1500, expiresAt: NOW + 1500 + 600_000 });
  });

  it('gives a "now" alert confirmed by a second person the same lead from the confirmation, keeping its duration', async () => {
    const { sut, fanouts, clock } = service('1500', true);
    const pending = await sut.create({ areaCode: '01', title: 'Lũ quét', text: 'Sơ tán ngay', priority: 'emergency', expiresInS: 600 }, 'user-1');
    expect(pending.status).toBe('pending');
    clock.t = NOW + 90_000;
    await settled(fanouts, sut.confirm(pending.id, 'user-2'));
    expect(published()).toMatchObject({ sentAt: NOW + 90_000, effectiveAt: NOW + 91_500, expiresAt: NOW + 91_500 + 600_000 });
  });

  it('keeps an effectiveAt the operator gave, and starts on arrival with a lead of 0', async () => {
    const { sut, fanouts } = service('1500');
    await settled(fanouts, sut.create({ areaCode: '01', title: 'Lũ quét', text: 'x', priority: 'emergency', effectiveAt: NOW + 60_000, expiresInS: 600 }, 'user-1'));
    expect(published()).toMatchObject({ effectiveAt: NOW + 60_000, expiresAt: NOW + 660_000 });
    const zero = service('0');
    await settled(zero.fanouts, zero.sut.create({ areaCode: '01', title: 'Lũ quét', text: 'y', priority: 'emergency', expiresInS: 600 }, 'user-1'));
    expect(published()).toMatchObject({ effectiveAt: NOW, expiresAt: NOW + 600_000 });
  });
});
