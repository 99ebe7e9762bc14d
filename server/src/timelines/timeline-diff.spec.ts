import { applyTimelinePatch, timelineDigest, timelineMessageSchema, timelinePatchMessageSchema, type TimelineMessage, type TimelinePatchMessage } from '@loa/shared';
import { buildTimeline, type SlotRow } from './timeline-compiler.js';
import { diffTimelines, timelinePatchFor } from './timeline-diff.js';

/** Seeded, so a failing case can be replayed from its seed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const HOUR = 3_600_000;
const T0 = 1_800_000_000_000;

function randomRow(r: () => number, occurrenceId: string): SlotRow {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const contentType = pick(['audio', 'audio', 'text', 'relay', 'image'] as const);
  const hex = (n: number) => Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(r() * 16)]).join('');
  return {
    deviceId: 'spk-1',
    occurrenceId,
    scheduleId: `s-${Math.floor(r() * 5)}`,
    startAt: T0 + Math.floor(r() * 7 * 24) * HOUR + pick([0, 0, 30_000]),
    durationMs: 1000 + Math.floor(r() * 600_000),
    priority: pick(['normal', 'priority', 'emergency'] as const),
    volume: r() < 0.5 ? null : Math.floor(r() * 101),
    onPreempt: r() < 0.7 ? null : pick(['resume', 'restart', 'skip'] as const),
    repeat: r() < 0.8 ? 1 : 2 + Math.floor(r() * 3),
    gapMs: Math.floor(r() * 5000),
    contentId: `c-${Math.floor(r() * 8)}`,
    contentType,
    url: contentType === 'relay' ? `https://radio.example.vn/live/${Math.floor(r() * 3)}` : null,
    title: pick(['Bản tin sáng', 'Thông báo', 'Lịch cắt điện', 'Tin thời tiết']),
    text: contentType === 'text' ? pick(['Xin chào', 'Thông báo lịch tiêm chủng', 'Mưa lớn']) : null,
    mediaSha256: contentType === 'audio' ? hex(64) : null,
    mediaBytes: contentType === 'audio' ? 1000 + Math.floor(r() * 1e6) : null,
    mediaMime: 'audio/mpeg',
    mediaDurationMs: contentType === 'audio' ? 1000 + Math.floor(r() * 60_000) : null,
    style: contentType === 'text' && r() < 0.5 ? { fontSize: 'large', color: '#fff', mode: pick(['static', 'scroll']) } : contentType === 'image' && r() < 0.5 ? { fit: 'cover', background: '#000000' } : null,
    imageSha256: contentType === 'image' ? hex(64) : null,
    imageBytes: contentType === 'image' ? 5000 + Math.floor(r() * 1e5) : null,
    imageMime: 'image/png',
  };
}

/** A week of rows, then the next version: some removed, some edited, some added, sometimes another area. */
function randomPair(seed: number): { prev: TimelineMessage; next: TimelineMessage } {
  const r = rng(seed);
  let n = 0;
  const rows = Array.from({ length: Math.floor(r() * 40) }, () => randomRow(r, `o-${n++}`));
  const areas = r() < 0.5 ? ['01', '0101'] : ['01'];
  const prev = buildTimeline('spk-1', 5, T0, areas, rows);
  const nextRows: SlotRow[] = [];
  for (const row of rows) {
    const x = r();
    if (x < 0.15) continue;
    if (x < 0.3) nextRows.push({ ...row, title: `${row.title} (sửa)`, startAt: row.startAt + (r() < 0.5 ? 60_000 : 0), volume: r() < 0.5 ? 50 : row.volume });
    else nextRows.push(row);
  }
  for (let i = Math.floor(r() * 4); i > 0; i--) nextRows.push(randomRow(r, `o-${n++}`));
  const nextAreas = r() < 0.1 ? ['02', '0201'] : areas;
  return { prev, next: buildTimeline('spk-1', 6 + Math.floor(r() * 3), T0 + 60_000, nextAreas, nextRows) };
}

/** As the agent holds it: parsed by the shared schema (key order and defaults are the schema's). */
const asAgentHolds = (t: TimelineMessage): TimelineMessage => timelineMessageSchema.parse(JSON.parse(JSON.stringify(t)));
const asAgentReceives = (p: TimelinePatchMessage): TimelinePatchMessage => timelinePatchMessageSchema.parse(JSON.parse(JSON.stringify(p)));

describe(diffTimelines.name, () => {
  it.each(Array.from({ length: 300 }, (_, i) => i + 1))('applied to the previous timeline gives the next one (seed %i)', (seed) => {
    const { prev, next } = randomPair(seed);
    const patch = diffTimelines(prev, next);
    const applied = applyTimelinePatch(asAgentHolds(prev), asAgentReceives(patch));
    if (!applied.ok) throw new Error(applied.error);
    // Exactly the compiled timeline, slot order included, as the schema would have parsed the whole of it.
    expect(applied.timeline).toEqual(asAgentHolds(next));
    expect(timelineDigest(applied.timeline)).toBe(timelineDigest(next));
    // Only what changed travels.
    const unchanged = next.slots.filter((s) => JSON.stringify(prev.slots.find((p) => p.occurrenceId === s.occurrenceId)) === JSON.stringify(s));
    expect(patch.upsert).toHaveLength(next.slots.length - unchanged.length);
  });

  it('sends nothing but the new version when no slot changed', () => {
    const { prev } = randomPair(7);
    const next = { ...prev, version: prev.version + 1, generatedAt: prev.generatedAt + 1 };
    const patch = diffTimelines(prev, next);
    expect(patch).toMatchObject({ base: prev.version, version: prev.version + 1, remove: [], upsert: [] });
    expect(patch).not.toHaveProperty('areaCodes');
  });

  it('is refused by the agent when applied to another version or when the result differs from what was compiled', () => {
    const { prev, next } = randomPair(11);
    const patch = diffTimelines(prev, next);
    expect(applyTimelinePatch({ ...prev, version: prev.version - 1 }, patch)).toMatchObject({ ok: false });
    expect(applyTimelinePatch(null, patch)).toMatchObject({ ok: false });
    expect(applyTimelinePatch(prev, { ...patch, digest: 'f'.repeat(64) })).toMatchObject({ ok: false, error: expect.stringContaining('digest') });
    // A held timeline that is not the server's base (changed on disk, say) gives another result: refused.
    const touched = new Set([...patch.remove, ...patch.upsert.map((s) => s.occurrenceId)]);
    const untouched = prev.slots.findIndex((s) => !touched.has(s.occurrenceId));
    expect(untouched).toBeGreaterThanOrEqual(0);
    const tampered = { ...prev, slots: prev.slots.map((s, i) => (i === untouched ? { ...s, title: 'other' } : s)) };
    expect(applyTimelinePatch(tampered, patch)).toMatchObject({ ok: false, error: expect.stringContaining('digest') });
  });
});

describe(timelinePatchFor.name, () => {
  const week = (version: number, extra: SlotRow[] = []) => {
    const r = rng(3);
    const rows = Array.from({ length: 21 }, (_, i) => randomRow(r, `o-${i}`));
    return JSON.stringify(buildTimeline('spk-1', version, T0 + version, ['01'], [...rows, ...extra]));
  };

  it('sends a patch for one added slot in a 21-slot week, a small part of the whole', () => {
    const prev = week(5);
    const next = week(6, [randomRow(rng(9), 'o-new')]);
    const patch = timelinePatchFor(prev, next);
    expect(patch).not.toBeNull();
    expect(patch!.length).toBeLessThan(next.length / 5);
    expect(timelinePatchMessageSchema.parse(JSON.parse(patch!))).toMatchObject({ base: 5, version: 6, remove: [], upsert: [expect.objectContaining({ occurrenceId: 'o-new' })] });
  });

  it('sends the whole timeline (null) when the patch would not be smaller', () => {
    const prev = JSON.stringify(buildTimeline('spk-1', 5, T0, ['01'], [randomRow(rng(1), 'a')]));
    const next = JSON.stringify(buildTimeline('spk-1', 6, T0, ['01'], [randomRow(rng(2), 'b')]));
    expect(timelinePatchFor(prev, next)).toBeNull();
  });

  it('sends the whole timeline when there is no usable previous version', () => {
    const next = week(6);
    expect(timelinePatchFor(undefined, next)).toBeNull();
    // The registration timeline holds no slot: nothing a patch could leave out.
    const empty = JSON.stringify(buildTimeline('spk-1', 5, T0, ['01'], []));
    expect(empty.endsWith('"slots":[]}')).toBe(true);
    expect(timelinePatchFor(empty, JSON.stringify(buildTimeline('spk-1', 6, T0, ['01'], [randomRow(rng(4), 'x')])))).toBeNull();
    expect(timelinePatchFor('not json', next)).toBeNull();
    expect(timelinePatchFor(week(6), next)).toBeNull();
    expect(timelinePatchFor(week(7), next)).toBeNull();
    expect(timelinePatchFor(JSON.stringify({ ...JSON.parse(week(5)), deviceId: 'spk-2' }), next)).toBeNull();
  });
});
