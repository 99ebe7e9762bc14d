import { TestDomainEvents } from '../../test/support/domain-events.js';
import { FixedClock, testConfig } from '../../test/support/fixtures.js';
import { InProcessNamedLocks } from '../common/named-locks.js';
import type { ContentEntity } from '../contents/content.entity.js';
import type { OccurrenceEntity } from '../schedules/occurrence.entity.js';
import type { ScheduleEntity } from '../schedules/schedule.entity.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { createLogger } from '../logging/logger.js';
import type { TargetResolver } from '../targeting/target-resolver.js';
import { Materializer } from './materializer.js';
import type { DeliveryKey, PlanningRepository } from './planning.repository.js';

const NOW = 1_000_000;

/** A transaction runner that records what ran inside `run`, so a test can see what commits together. */
class RecordingRunner extends TransactionRunner {
  readonly units: string[][] = [];
  current: string[] | null = null;
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const outer = this.current;
    if (outer) return fn();
    this.current = [];
    try {
      return await fn();
    } finally {
      this.units.push(this.current);
      this.current = null;
    }
  }
  note(step: string): void {
    (this.current ?? (this.units.push([`outside:${step}`]), [])).push(step);
  }
}

/** PlanningRepository and TargetResolver fakes: writes are logged (inside or outside a transaction). */
function setup(existing: DeliveryKey[] = [], schedule: Partial<ScheduleEntity> = {}) {
  const tx = new RecordingRunner();
  const inserted: Array<{ occurrenceId: string; deviceId: string }> = [];
  const deleted: Array<{ occurrenceId: string; deviceId: string }> = [];
  const row: ScheduleEntity = {
    id: 's1',
    contentId: 'c1',
    priority: 'normal',
    startAt: NOW + 10,
    rrule: null,
    exdates: [],
    timezone: 'Asia/Ho_Chi_Minh',
    repeat: 1,
    gapMs: 0,
    volume: null,
    onPreempt: null,
    status: 'active',
    approval: 'not-required',
    createdBy: 'u',
    createdAt: NOW,
    updatedAt: null,
    generatedUntil: null,
    ...schedule,
  } as ScheduleEntity;
  const content = { id: 'c1', type: 'audio', durationMs: 60_000, validFrom: null, validUntil: null } as unknown as ContentEntity;
  const repo = {
    schedule: async () => row,
    contents: async () => new Map([['c1', content]]),
    targets: async () => [{ scheduleId: 's1', kind: 'area', ref: '01' }],
    insertOccurrences: async (o: readonly OccurrenceEntity[]) => tx.note(`occurrences:${o.length}`),
    insertDeliveries: async (p: ReadonlyArray<{ occurrenceId: string; deviceId: string }>) => {
      inserted.push(...p);
      tx.note(`deliveries:${p.length}`);
    },
    deletePending: async (p: ReadonlyArray<{ occurrenceId: string; deviceId: string }>) => {
      deleted.push(...p);
      tx.note(`withdrawn:${p.length}`);
    },
    deleteEmptyOccurrences: async () => tx.note('drop-empty'),
    setDurations: async () => tx.note('durations'),
    setGeneratedUntil: async () => tx.note('generated-until'),
    scheduleDeliveriesAfter: async () => existing,
    withdrawAll: async () => {
      tx.note('withdraw-all');
      return ['spk-2', 'spk-1'];
    },
  } as unknown as PlanningRepository;
  const targets = { resolve: async () => ['spk-1', 'spk-2'] } as unknown as TargetResolver;
  const events = new TestDomainEvents();
  const sut = new Materializer(repo, targets, tx, new InProcessNamedLocks(), events, new FixedClock(NOW), testConfig(), createLogger('silent'));
  const record = async (dirty: string[]) => tx.note(`record:${dirty.join(',')}`);
  return { sut, tx, events, inserted, deleted, record };
}

const fresh = { from: NOW - 1000, after: NOW - 1000, allDirty: false };

describe(Materializer.name, () => {
  it('materialises a new schedule: occurrences and deliveries commit with the job record; the devices are returned, not dispatched', async () => {
    const { sut, tx, events, record } = setup();
    expect(await sut.materialize('s1', fresh, record)).toEqual(['spk-1', 'spk-2']);
    expect(tx.units).toEqual([['durations', 'occurrences:1', 'withdrawn:0', 'deliveries:2', 'drop-empty', 'generated-until', 'record:spk-1,spk-2']]);
    expect(events.payloads('timelines.dirty')).toEqual([]);
  });

  it('finds nothing to change when run again (a job resumed after its commit)', async () => {
    const existing: DeliveryKey[] = ['spk-1', 'spk-2'].map((deviceId) => ({ occurrenceId: `s1:${NOW + 10}`, deviceId, scheduleId: 's1', state: 'queued' }));
    const { sut, inserted, deleted, record } = setup(existing);
    expect(await sut.materialize('s1', fresh, record)).toEqual([]);
    expect([inserted, deleted]).toEqual([[], []]);
  });

  it('edits by difference: withdraws what is no longer wanted (if not playing), queues what is missing, dirties both plus slot changes', async () => {
    const existing: DeliveryKey[] = [
      { occurrenceId: `s1:${NOW + 10}`, deviceId: 'spk-1', scheduleId: 's1', state: 'queued' },
      { occurrenceId: `s1:${NOW + 10}`, deviceId: 'spk-3', scheduleId: 's1', state: 'delivered' },
      { occurrenceId: `s1:${NOW + 10}`, deviceId: 'spk-4', scheduleId: 's1', state: 'started' },
    ];
    const { sut, deleted, inserted, record } = setup(existing);
    expect(await sut.materialize('s1', { from: NOW + 1, after: NOW, allDirty: false }, record)).toEqual(['spk-2', 'spk-3']);
    expect(deleted.map((d) => d.deviceId)).toEqual(['spk-3']);
    expect(inserted.map((d) => d.deviceId)).toEqual(['spk-2']);
    const again = setup(existing);
    expect(await again.sut.materialize('s1', { from: NOW + 1, after: NOW, allDirty: true }, again.record)).toEqual(['spk-1', 'spk-2', 'spk-3']);
  });

  it('withdraws everything not yet playing from a schedule held for an approver', async () => {
    const existing: DeliveryKey[] = [
      { occurrenceId: `s1:${NOW + 10}`, deviceId: 'spk-1', scheduleId: 's1', state: 'queued' },
      { occurrenceId: `s1:${NOW + 10}`, deviceId: 'spk-2', scheduleId: 's1', state: 'started' },
    ];
    const { sut, deleted, inserted, record, tx } = setup(existing, { approval: 'pending' });
    expect(await sut.materialize('s1', { from: NOW + 1, after: NOW, allDirty: true }, record)).toEqual(['spk-1']);
    expect([deleted.map((d) => d.deviceId), inserted]).toEqual([['spk-1'], []]);
    expect(tx.units.at(-1)).not.toContain('generated-until');
  });

  it('withdraws a cancelled schedule in one transaction with the job record', async () => {
    const { sut, tx, events, record } = setup([], { status: 'cancelled' });
    expect(await sut.materialize('s1', fresh, record)).toEqual(['spk-1', 'spk-2']);
    expect(tx.units).toEqual([['withdraw-all', 'record:spk-1,spk-2']]);
    expect(events.payloads('timelines.dirty')).toEqual([]);
  });

  it('dispatches the devices it is given as one timelines.dirty, awaited', async () => {
    const { sut, events } = setup();
    await sut.dispatch(['spk-1']);
    expect(events.payloads('timelines.dirty')).toEqual([{ deviceIds: ['spk-1'] }]);
  });

  it('runs planning work one at a time under its lock', async () => {
    const { sut } = setup();
    const log: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const first = sut.exclusive(async () => {
      log.push('first in');
      await held;
      log.push('first out');
    });
    const second = sut.exclusive(async () => void log.push('second'));
    await Promise.resolve();
    release();
    await Promise.all([first, second]);
    expect(log).toEqual(['first in', 'first out', 'second']);
  });
});
