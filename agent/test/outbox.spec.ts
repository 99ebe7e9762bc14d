import { appendFile } from 'node:fs/promises';
import { MAX_EVENTS_PER_BATCH, type PlaybackEvent } from '@loa/shared';
import { newEventId, Outbox } from '../src/features/reports/outbox.js';
import { tempDir } from './helpers.js';

const ev = (i: number): PlaybackEvent => ({ id: `e-${i}`, occurrenceId: `o-${i}`, type: 'started', at: 1_700_000_000_000 + i });

describe('Outbox', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await tempDir()));
  afterEach(() => cleanup());

  it('survives a new instance and deletes only acked ids', async () => {
    const a = await Outbox.open(dir);
    for (let i = 0; i < 5; i++) await a.add(ev(i));
    // no close(): as after kill -9, only what add() fsync'd counts
    const b = await Outbox.open(dir);
    expect(b.pending().map((e) => e.id)).toEqual(['e-0', 'e-1', 'e-2', 'e-3', 'e-4']);
    expect(await b.ack(['e-1', 'e-3', 'unknown'])).toBe(2);
    await b.close();
    const c = await Outbox.open(dir);
    expect(c.pending().map((e) => e.id)).toEqual(['e-0', 'e-2', 'e-4']);
    expect(c.pending()[0]).toEqual(ev(0));
    await c.close();
    await a.close();
  });

  it('ignores a torn last line from a crash mid-append', async () => {
    const a = await Outbox.open(dir);
    await a.add(ev(1));
    await a.close();
    await appendFile(a.file, '{"add":{"id":"e-2","occ');
    const b = await Outbox.open(dir);
    expect(b.pending().map((e) => e.id)).toEqual(['e-1']);
    await b.add(ev(3));
    await b.close();
    const c = await Outbox.open(dir);
    expect(c.pending().map((e) => e.id)).toEqual(['e-1', 'e-3']);
    await c.close();
  });

  it('batches within the protocol maximum', async () => {
    const box = await Outbox.open(dir);
    const n = MAX_EVENTS_PER_BATCH * 2 + 7;
    await Promise.all(Array.from({ length: n }, (_, i) => box.add(ev(i))));
    const batches = box.batches();
    expect(batches.map((b) => b.length)).toEqual([MAX_EVENTS_PER_BATCH, MAX_EVENTS_PER_BATCH, 7]);
    expect(box.batches(50).every((b) => b.length <= 50)).toBe(true);
    expect(box.batches(10_000)[0]).toHaveLength(MAX_EVENTS_PER_BATCH);
    await box.close();
  });

  it('refuses an invalid event instead of persisting it', async () => {
    const box = await Outbox.open(dir);
    expect(() => box.add({ ...ev(1), type: 'exploded' as never })).toThrow();
    expect(box.size).toBe(0);
    await box.close();
  });

  it('mints distinct, schema-valid ids', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => newEventId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^[a-z0-9]+-[a-f0-9]{12}$/);
  });
});
