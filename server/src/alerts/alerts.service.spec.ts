import type { AlertMessage } from '@loa/shared';
import type { AreasService } from '../areas/areas.service.js';
import { Clock } from '../common/clock.js';
import { Metrics } from '../common/metrics.js';
import type { MediaEntity } from '../media/media.entity.js';
import type { AlertEntity } from './alert.entity.js';
import { DeviceGateway, type CommandSend } from '../device-gateway/device-gateway.js';
import { createLogger } from '../logging/logger.js';
import { InProcessNamedLocks } from '../common/named-locks.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import type { FanoutJobs } from '../fanouts/fanout-jobs.js';
import { memoryFanouts, settled } from '../../test/support/fanouts.js';
import type { AlertsRepository } from './alerts.repository.js';
import { AlertsService } from './alerts.service.js';

/** Records what would go to devices, in order. */
class FakeGateway extends DeviceGateway {
  readonly sent: Array<{ alert: AlertMessage } | { cleared: string }> = [];
  async publishTimeline(_deviceId: string, _timeline: string): Promise<void> {
    throw new Error('alerts publish no timeline');
  }
  async ackEvents(_deviceId: string, _ids: readonly string[]): Promise<void> {
    throw new Error('alerts ack nothing');
  }
  async sendCommand(_send: CommandSend): Promise<void> {
    throw new Error('alerts send no command');
  }
  async publishAlert(alert: AlertMessage): Promise<void> {
    this.sent.push({ alert });
  }
  async clearAlert(areaCode: string): Promise<void> {
    this.sent.push({ cleared: areaCode });
  }
}

/** The few repository calls the service makes, over an in-memory table. */
class FakeAlertsRepository {
  readonly rows = new Map<string, AlertEntity>();
  async find(id: string) {
    return this.rows.get(id) ?? null;
  }
  async findMedia(_sha256: string): Promise<MediaEntity | null> {
    return null;
  }
  async findActive(areaCode: string) {
    return [...this.rows.values()].find((a) => a.areaCode === areaCode && a.status === 'active' && a.clearedAt === null) ?? null;
  }
  async insertReplacing(alert: AlertEntity) {
    for (const a of this.rows.values()) if (a.areaCode === alert.areaCode && a.clearedAt === null) Object.assign(a, { clearedAt: alert.sentAt });
    this.rows.set(alert.id, { ...alert });
  }
  async update(id: string, patch: Partial<AlertEntity>) {
    Object.assign(this.rows.get(id)!, patch);
  }
  async cancelActive(id: string, now: number) {
    const a = this.rows.get(id);
    if (!a || a.status !== 'active' || a.clearedAt !== null) return false;
    Object.assign(a, { status: 'cancelled', cancelledAt: now });
    return true;
  }
  async deviceCountUnder(_areaCode: string) {
    return 2;
  }
  async dueForClearing(now: number) {
    return [...this.rows.values()].filter((a) => a.clearedAt === null && a.expiresAt <= now && a.status !== 'pending');
  }
}

/** No database: the unit of work is the function itself. */
class DirectRunner extends TransactionRunner {
  run<T>(fn: () => Promise<T>): Promise<T> {
    return fn();
  }
}

class ManualClock extends Clock {
  t = 1_000_000;
  override now(): number {
    return this.t;
  }
}

describe(AlertsService.name, () => {
  let gateway: FakeGateway;
  let repo: FakeAlertsRepository;
  let clock: ManualClock;
  let sut: AlertsService;
  let fanouts: FanoutJobs;
  beforeEach(() => {
    gateway = new FakeGateway();
    repo = new FakeAlertsRepository();
    clock = new ManualClock();
    const areas = { requirePaths: async (codes: string[]) => new Map(codes.map((c) => [c, c])) } as unknown as AreasService;
    ({ fanouts } = memoryFanouts(clock));
    sut = new AlertsService(repo as unknown as AlertsRepository, areas, gateway, clock, new Metrics(), createLogger('silent'), new DirectRunner(), fanouts, new InProcessNamedLocks());
    fanouts.register('alert', { run: (r) => sut.publishJob(r), checkReadable: async () => undefined });
  });

  it('tells the area an alert, then an update that references it, then its cancellation', async () => {
    const first = await settled(fanouts, sut.create({ areaCode: '01', title: 'Flood', text: 'Move uphill', priority: 'emergency', expiresInS: 600 }, 'u1'));
    clock.t += 1000;
    const second = await settled(fanouts, sut.create({ areaCode: '01', title: 'Flood, worse', priority: 'emergency', text: 'Now', expiresInS: 600 }, 'u1'));
    clock.t += 1000;
    await settled(fanouts, sut.cancel(second.id));

    const alerts = gateway.sent.map((s) => ('alert' in s ? s.alert : null));
    expect(alerts.map((a) => [a?.areaCode, a?.msgType, a?.id, a?.references])).toEqual([
      ['01', 'alert', first.id, undefined],
      ['01', 'update', second.id, first.id],
      ['01', 'cancel', `${second.id}:cancel`, second.id],
    ]);
    expect(alerts[0]).toMatchObject({ v: 1, title: 'Flood', text: 'Move uphill', priority: 'emergency', sentAt: 1_000_000, effectiveAt: 1_000_000, expiresAt: 1_600_000 });
    expect(alerts[2]?.sentAt).toBe(1_002_000);
  });

  it('answers at once with the job that publishes the alert, and that job reports the area reached', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const publish = gateway.publishAlert.bind(gateway);
    gateway.publishAlert = async (a) => {
      await held;
      await publish(a);
    };
    const answer = await sut.create({ areaCode: '01', title: 'Flood', text: 'Move uphill', priority: 'emergency', expiresInS: 600 }, 'u1');
    expect(answer.fanout).toMatchObject({ kind: 'alert', ref: answer.id, state: 'queued', total: 2, done: 0 });
    expect(gateway.sent).toEqual([]);
    release();
    expect(await fanouts.settled(answer.fanout!.id)).toMatchObject({ state: 'done', total: 2, done: 2 });
    expect(gateway.sent).toHaveLength(1);
  });

  it('never puts an alert back on its channel once a newer one replaced it, however late its job runs', async () => {
    const first = await sut.create({ areaCode: '01', title: 'Flood', text: 'Move uphill', priority: 'emergency', expiresInS: 600 }, 'u1');
    const second = await sut.create({ areaCode: '01', title: 'Flood, worse', text: 'Now', priority: 'emergency', expiresInS: 600 }, 'u1');
    await fanouts.idle();
    // The first job found its alert superseded by the time it ran: only the second is on the channel.
    expect(gateway.sent.map((s) => ('alert' in s ? s.alert.id : null))).toEqual([second.id]);
    expect(first.fanout).not.toBeNull();
  });

  it('clears the channel of an alert once it expired, once', async () => {
    await settled(fanouts, sut.create({ areaCode: '02', title: 'Storm', text: 'Stay in', priority: 'emergency', expiresInS: 60 }, 'u1'));
    clock.t += 59_999;
    expect(await sut.clearExpired()).toBe(0);
    clock.t += 1;
    expect(await sut.clearExpired()).toBe(1);
    expect(await sut.clearExpired()).toBe(0);
    expect(gateway.sent.slice(1)).toEqual([{ cleared: '02' }]);
  });
});
