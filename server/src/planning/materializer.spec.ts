import { TestDomainEvents } from '../../test/support/domain-events.js';
import { FixedClock, testConfig } from '../../test/support/fixtures.js';
import { InProcessNamedLocks } from '../common/named-locks.js';
import type { OccurrenceEntity } from '../schedules/occurrence.entity.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { createLogger } from '../logging/logger.js';
import type { TargetResolver } from '../targeting/target-resolver.js';
import { Materializer, NOTHING, type Plan } from './materializer.js';
import type { DeliveryKey, PlanningRepository } from './planning.repository.js';

const NOW = 1_000_000;
const occ = (startAt: number): OccurrenceEntity => ({ id: `s1:${startAt}`, scheduleId: 's1', startAt, durationMs: 60_000 });

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
function setup(existing: DeliveryKey[] = []) {
  const tx = new RecordingRunner();
  const inserted: Array<{ occurrenceId: string; deviceId: string }> = [];
  const deleted: Array<{ occurrenceId: string; deviceId: string }> = [];
  const repo = {
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
    scheduleDeliveriesAfter: async () => existing,
    withdrawAll: async () => {
      tx.note('withdraw-all');
      return ['spk-1', 'spk-2'];
    },
  } as unknown as PlanningRepository;
  const targets = { resolve: async () => ['spk-1', 'spk-2'] } as unknown as TargetResolver;
  const events = new TestDomainEvents();
  const sut = new Materializer(repo, targets, tx, new InProcessNamedLocks(), events, new FixedClock(NOW), testConfig(), createLogger('silent'));
  return { sut, tx, events, inserted, deleted };
}

describe(Materializer.name, () => {
  it('commits a new schedule with its deliveries in one transaction, then marks its devices dirty', async () => {
    const { sut, tx, events } = setup();
    const plan: Plan = { occurrences: [occ(NOW + 10), occ(NOW + 20)], deviceIds: ['spk-1', 'spk-2'] };
    await sut.insertNew('s1', plan, async () => tx.note('schedule-row'));
    expect(tx.units).toEqual([['schedule-row', 'occurrences:2', 'deliveries:4']]);
    expect(events.payloads('timelines.dirty')).toEqual([{ deviceIds: ['spk-1', 'spk-2'] }]);
  });

  it('marks nothing dirty for a schedule saved without occurrences (awaiting approval)', async () => {
    const { sut, tx, events } = setup();
    await sut.insertNew('s1', NOTHING, async () => tx.note('schedule-row'));
    expect(tx.units).toEqual([['schedule-row', 'occurrences:0', 'deliveries:0']]);
    expect(events.payloads('timelines.dirty')).toEqual([]);
  });

  it('edits by difference: withdraws what is no longer wanted (if not playing), queues what is missing, dirties both plus slot changes', async () => {
    const existing: DeliveryKey[] = [
      { occurrenceId: `s1:${NOW + 10}`, deviceId: 'spk-1', scheduleId: 's1', state: 'queued' },
      { occurrenceId: `s1:${NOW + 10}`, deviceId: 'spk-3', scheduleId: 's1', state: 'delivered' },
      { occurrenceId: `s1:${NOW + 10}`, deviceId: 'spk-4', scheduleId: 's1', state: 'started' },
    ];
    const { sut, tx, events, inserted, deleted } = setup(existing);
    const plan: Plan = { occurrences: [occ(NOW + 10)], deviceIds: ['spk-1', 'spk-2'] };
    const changed = await sut.applyEdit('s1', plan, NOW, async () => tx.note('schedule-row'), ['spk-9']);
    expect([...changed].sort()).toEqual(['spk-2', 'spk-3']);
    expect(deleted.map((d) => d.deviceId)).toEqual(['spk-3']);
    expect(inserted.map((d) => d.deviceId)).toEqual(['spk-2']);
    expect(tx.units).toEqual([['schedule-row', 'durations', 'occurrences:1', 'withdrawn:1', 'deliveries:1', 'drop-empty']]);
    expect(events.payloads('timelines.dirty')).toEqual([{ deviceIds: ['spk-2', 'spk-3', 'spk-9'] }]);
  });

  it('withdraws a cancelled schedule together with its row and dirties the devices that held it', async () => {
    const { sut, tx, events } = setup();
    expect(await sut.withdraw('s1', NOW, async () => tx.note('cancelled-row'))).toEqual(['spk-1', 'spk-2']);
    expect(tx.units).toEqual([['withdraw-all', 'cancelled-row']]);
    expect(events.payloads('timelines.dirty')).toEqual([{ deviceIds: ['spk-1', 'spk-2'] }]);
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
