import { jest } from '@jest/globals';
import { PLAYBACK_EVENT_TYPES } from '@loa/shared';
import { ALERT_PROGRESS_EVENT, alertProgressEventSchema } from '@loa/shared/rest';
import { AlertProgress } from '../src/alerts/alert-progress.js';
import { summarise, type AlertProofService } from '../src/alerts/alert-proof.service.js';
import type { AlertsRepository } from '../src/alerts/alerts.repository.js';
import type { AlertEntity } from '../src/alerts/alert.entity.js';
import { alertIdOf, alertStateOf, applyAlertReport, type AlertDeliveryFields } from '../src/deliveries/alert-delivery-transition.js';
import { EventBus, type ServerEvent } from '../src/events/event-bus.js';
import { FixedClock, silentLogger } from './support/fixtures.js';

const fresh = (over: Partial<AlertDeliveryFields> = {}): AlertDeliveryFields => ({ state: 'expected', deliveredAt: null, startedAt: null, endedAt: null, reason: null, ...over });

describe('alert delivery transitions (pure)', () => {
  it('maps every agent report type: only failed is a failure; preempted, skipped and expired are withdrawals', () => {
    expect(Object.fromEntries(PLAYBACK_EVENT_TYPES.map((t) => [t, alertStateOf(t)]))).toEqual({
      delivered: 'delivered',
      started: 'started',
      finished: 'finished',
      failed: 'failed',
      preempted: 'withdrawn',
      skipped: 'withdrawn',
      expired: 'withdrawn',
    });
    expect(alertIdOf('alert:abc')).toBe('abc');
    expect(alertIdOf('occ-1')).toBeNull();
  });

  it('moves forward with the times of each step', () => {
    let row = fresh();
    for (const [type, at] of [
      ['delivered', 10],
      ['started', 20],
      ['finished', 30],
    ] as const) {
      const p = applyAlertReport(row, { type, at }, 100);
      expect(p).not.toBeNull();
      row = { ...row, ...p };
    }
    expect(row).toMatchObject({ state: 'finished', deliveredAt: 10, startedAt: 20, endedAt: 30 });
  });

  it('never goes backwards: a late delivered or started after the end only fills a missing time, an end never replaces another', () => {
    const finished = fresh({ state: 'finished', startedAt: 20, endedAt: 30 });
    expect(applyAlertReport(finished, { type: 'delivered', at: 5 }, 100)).toEqual({ deliveredAt: 5, updatedAt: 100 });
    expect(applyAlertReport({ ...finished, deliveredAt: 5 }, { type: 'delivered', at: 6 }, 100)).toBeNull();
    expect(applyAlertReport(finished, { type: 'started', at: 21 }, 100)).toBeNull();
    expect(applyAlertReport(finished, { type: 'failed', at: 40, reason: 'late' }, 100)).toBeNull();
    expect(applyAlertReport(fresh({ state: 'withdrawn', reason: 'cancelled' }), { type: 'finished', at: 50 }, 100)).toBeNull();
    expect(applyAlertReport(fresh({ state: 'started', startedAt: 20 }), { type: 'delivered', at: 10 }, 100)).toEqual({ deliveredAt: 10, updatedAt: 100 });
  });

  it('keeps the agent reason of a stop (cut to the column length)', () => {
    expect(applyAlertReport(fresh({ state: 'started', startedAt: 1 }), { type: 'preempted', at: 9, reason: 'stopped by remote command' }, 10)).toEqual({ state: 'withdrawn', endedAt: 9, reason: 'stopped by remote command', updatedAt: 10 });
    expect(applyAlertReport(fresh(), { type: 'failed', at: 9, reason: 'x'.repeat(900) }, 10)!.reason).toHaveLength(500);
  });
});

describe('alert summary (pure)', () => {
  const root = { code: '01', name: 'Tỉnh', path: '/01/' };
  const children = [
    { code: '00004', name: 'Xã A', path: '/01/00004/' },
    { code: '00005', name: 'Xã B', path: '/01/00005/' },
    { code: '00006', name: 'Xã C', path: '/01/00006/' },
  ];
  it('groups counts under the alert area and each child, deeper areas folded into their child, failures first', () => {
    const s = summarise(
      'al-1',
      root,
      children,
      [
        { areaCode: '01', areaPath: '/01/', state: 'finished', n: 2, played: 2 },
        { areaCode: '00004', areaPath: '/01/00004/', state: 'started', n: 3, played: 3 },
        { areaCode: 'thon-1', areaPath: '/01/00004/thon-1/', state: 'expected', n: 4, played: 0 },
        { areaCode: '00006', areaPath: '/01/00006/', state: 'failed', n: 1, played: 0 },
        { areaCode: '00006', areaPath: '/01/00006/', state: 'withdrawn', n: 2, played: 1 },
      ],
      Date.parse('2026-12-01T08:00:00Z'),
    );
    expect(s.total).toBe(12);
    expect(s.byState).toEqual({ expected: 4, delivered: 0, started: 3, finished: 2, failed: 1, withdrawn: 2 });
    expect(s.areas).toEqual([
      { areaCode: '01', name: 'Tỉnh', total: 12, delivered: 7, played: 6, failed: 1 },
      { areaCode: '00006', name: 'Xã C', total: 3, delivered: 2, played: 1, failed: 1 },
      { areaCode: '00004', name: 'Xã A', total: 7, delivered: 3, played: 3, failed: 0 },
      { areaCode: '00005', name: 'Xã B', total: 0, delivered: 0, played: 0, failed: 0 },
    ]);
    expect(s.updatedAt).toBe('2026-12-01T08:00:00.000Z');
  });
});

describe('alert.progress live events', () => {
  afterEach(() => jest.useRealTimers());

  it('go out at most once a second per alert: the first at once, a storm folded into one trailing event', async () => {
    jest.useFakeTimers();
    const clock = new FixedClock(1_000_000);
    const bus = new EventBus();
    const seen: ServerEvent[] = [];
    bus.subscribe((e) => seen.push(e));
    let summaries = 0;
    const proof = {
      summary: async (a: AlertEntity) => ({ alertId: a.id, total: 10_000, byState: { expected: 0, delivered: 0, started: 0, finished: ++summaries, failed: 0, withdrawn: 0 }, areas: [], updatedAt: new Date(clock.t).toISOString() }),
    } as unknown as AlertProofService;
    const alerts = { find: async (id: string) => ({ id, areaCode: '01' }) as AlertEntity } as unknown as AlertsRepository;
    const sut = new AlertProgress(bus, proof, alerts, clock, silentLogger);
    const settle = async (ms: number) => {
      await jest.advanceTimersByTimeAsync(ms);
    };

    for (let i = 0; i < 500; i++) sut.onChanged({ alertIds: ['al-1'] });
    await settle(0);
    expect(seen).toHaveLength(1);
    expect(alertProgressEventSchema.parse(seen[0])).toMatchObject({ type: ALERT_PROGRESS_EVENT, areaCode: '01', alertId: 'al-1' });

    clock.t += 100;
    for (let i = 0; i < 500; i++) sut.onChanged({ alertIds: ['al-1', 'al-2'] });
    await settle(0);
    // al-2 had nothing pending: at once; al-1 waits for the rest of its second.
    expect(seen.map((e) => e.alertId)).toEqual(['al-1', 'al-2']);
    await settle(898);
    expect(seen).toHaveLength(2);
    clock.t += 900;
    await settle(2);
    expect(seen.map((e) => e.alertId)).toEqual(['al-1', 'al-2', 'al-1']);
    expect(summaries).toBe(3);
    sut.onModuleDestroy();
  });

  it('build nothing while no dashboard listens', async () => {
    const bus = new EventBus();
    const proof = { summary: jest.fn() } as unknown as AlertProofService;
    const sut = new AlertProgress(bus, proof, {} as AlertsRepository, new FixedClock(0), silentLogger);
    sut.onChanged({ alertIds: ['al-1'] });
    sut.onModuleDestroy();
    expect(proof.summary).not.toHaveBeenCalled();
  });
});
