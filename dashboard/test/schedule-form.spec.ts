import { createScheduleRequestSchema, updateScheduleRequestSchema, type DeviceListItem, type ScheduleView } from '@loa/shared/rest';
import { buildBody, initialForm, timesOfDay, type Form } from '../src/pages/schedule-form.js';
import { offlineFirst } from '../src/pages/device-bulk.js';

/**
 * Issue 19: the schedule form's body with several times of day (what it sends must be what the server's schemas
 * read, and an edit sends `times` only when they changed), and the phone cards' order.
 */
const say = (k: string) => k;
const base = (over: Partial<Form> = {}): Form => ({ ...initialForm(undefined, '2026-12-07T06:00'), contentId: 'c-1', areas: ['09955'], ...over });

describe('schedule form: times of day', () => {
  it('sends no times for a single time (as before) and the sorted list with the start’s for several', () => {
    const one = buildBody(base(), undefined, undefined, say).body!;
    expect(one).not.toHaveProperty('times');
    const two = buildBody(base({ times: ['17:00', ''] }), undefined, undefined, say).body!;
    expect(two.times).toEqual(['06:00', '17:00']);
    expect(createScheduleRequestSchema.safeParse(two).success).toBe(true);
    expect(timesOfDay({ start: '2026-12-07T06:00', times: ['06:00'] })).toEqual([]);
  });

  it('edits: `times` only when changed, [] to go back to the single time', () => {
    const s = {
      id: 's-1',
      contentId: 'c-1',
      priority: 'normal',
      startAt: '2026-12-06T23:00:00.000Z', // 06:00 in Vietnam
      rrule: 'FREQ=DAILY',
      exdates: [],
      times: ['06:00', '17:00'],
      rdates: [],
      timezone: 'Asia/Ho_Chi_Minh',
      repeat: 1,
      gapSeconds: 0,
      volume: null,
      onPreempt: 'resume',
      targets: { areas: ['09955'], groups: [], devices: [] },
    } as unknown as ScheduleView;
    const f = initialForm(s, undefined);
    expect(f.times).toEqual(['17:00']);
    expect(buildBody(f, s, undefined, say).body).toEqual({});
    const back = buildBody({ ...f, times: [] }, s, undefined, say).body!;
    expect(back).toEqual({ times: [] });
    expect(updateScheduleRequestSchema.safeParse(back).success).toBe(true);
  });
});

describe('device cards order', () => {
  const d = (id: string, online: boolean, lastSeenAt: string | null) => ({ id, online, lastSeenAt }) as DeviceListItem;
  it('puts never-connected, then offline, then online first, keeping the list order within each', () => {
    const order = offlineFirst([d('a', true, 'x'), d('b', false, 'x'), d('c', false, null), d('e', true, 'x'), d('f', false, 'x')]).map((x) => x.id);
    expect(order).toEqual(['c', 'b', 'f', 'a', 'e']);
  });
});
