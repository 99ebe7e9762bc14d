import { timelineMessageSchema } from '@loa/shared';
import { buildTimeline, compileSlots, type SlotRow } from './timeline-compiler.js';

const row = (over: Partial<SlotRow>): SlotRow => ({
  deviceId: 'd1',
  occurrenceId: 'o1',
  scheduleId: 's1',
  startAt: 1000,
  durationMs: 3000,
  priority: 'normal',
  volume: null,
  onPreempt: null,
  repeat: 1,
  gapMs: 0,
  url: null,
  contentId: 'c1',
  contentType: 'audio',
  title: 'Bản tin',
  text: null,
  mediaSha256: 'b'.repeat(64),
  mediaBytes: 1234,
  mediaMime: 'audio/mpeg',
  mediaDurationMs: 3000,
  ...over,
});

describe(compileSlots.name, () => {
  it('orders slots by start and maps audio and text', () => {
    const slots = compileSlots([
      row({ occurrenceId: 'late', startAt: 5000, contentType: 'text', text: 'Xin chào', mediaSha256: null }),
      row({ occurrenceId: 'early', startAt: 1000, volume: 80 }),
    ]);
    expect(slots.map((s) => s.occurrenceId)).toEqual(['early', 'late']);
    expect(slots[0]).toMatchObject({ type: 'audio', volume: 80, media: { sha256: 'b'.repeat(64), bytes: 1234 } });
    expect(slots[1]).toMatchObject({ type: 'text', text: 'Xin chào' });
    expect(slots[1]).not.toHaveProperty('volume');
  });

  it('carries the preemption policy (defaulting by priority), repeat with gap, and relay slots', () => {
    const slots = compileSlots([
      row({ occurrenceId: 'a', startAt: 1, repeat: 3, gapMs: 2000, durationMs: 13_000 }),
      row({ occurrenceId: 'b', startAt: 2, priority: 'emergency' }),
      row({ occurrenceId: 'c', startAt: 3, onPreempt: 'restart', contentType: 'relay', url: 'https://radio.example.vn/live', mediaSha256: null }),
    ]);
    expect(slots[0]).toMatchObject({ type: 'audio', onPreempt: 'resume', repeat: 3, gapMs: 2000, durationMs: 13_000 });
    expect(slots[1]).toMatchObject({ onPreempt: 'skip' });
    expect(slots[1]).not.toHaveProperty('repeat');
    expect(slots[2]).toEqual(expect.objectContaining({ type: 'relay', url: 'https://radio.example.vn/live', onPreempt: 'restart' }));
    expect(timelineMessageSchema.safeParse({ v: 1, deviceId: 'd1', version: 1, generatedAt: 1, slots }).success).toBe(true);
  });

  it('drops an audio slot whose media row is gone instead of sending it broken', () => {
    expect(compileSlots([row({ mediaSha256: null, mediaBytes: null })])).toEqual([]);
  });

  it('produces a message that the agent-side schema accepts', () => {
    const t = buildTimeline('d1', 7, 42, ['01', '00004'], [row({})]);
    expect(timelineMessageSchema.safeParse(t).success).toBe(true);
    expect(t.version).toBe(7);
    expect(t.areaCodes).toEqual(['01', '00004']);
  });
});
