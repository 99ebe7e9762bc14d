import { contentNeedsApprover, PERMISSIVE_RULES, scheduleRequirement, STANDARD_RULES, type ApprovalRules, type ScheduleFacts } from './approval-rules.js';

describe(scheduleRequirement.name, () => {
  const sut = scheduleRequirement;
  const facts = (over: Partial<ScheduleFacts> = {}): ScheduleFacts => ({ priority: 'normal', areaLevels: ['commune'], deviceCount: 3, ...over });
  const rules = (schedules: Partial<ApprovalRules['schedules']>, twoPerson = true): ApprovalRules => ({
    ...STANDARD_RULES,
    schedules: { ...STANDARD_RULES.schedules, ...schedules },
    emergency: { twoPerson },
  });

  it('lets a small normal commune schedule through under the standard rules', () => {
    expect(sut(STANDARD_RULES, facts())).toEqual({ required: false, secondPerson: false, reasons: [], coded: [] });
  });

  it.each([
    ['district', true],
    ['province', true],
    ['country', true],
    ['commune', false],
    ['village', false],
  ])('with minAreaLevel district, a %s target needs an approver: %s', (level, required) => {
    expect(sut(STANDARD_RULES, facts({ areaLevels: ['commune', level] })).required).toBe(required);
  });

  it('reads levels as labels: a commune right under its province (2025 two-tier tree) stays a commune', () => {
    expect(sut(rules({ minAreaLevel: 'province' }), facts({ areaLevels: ['commune'] })).required).toBe(false);
    expect(sut(rules({ minAreaLevel: 'commune' }), facts({ areaLevels: ['commune'] })).required).toBe(true);
  });

  it('codes the area-level reason with the levels and the rule, the English text unchanged (issue 19)', () => {
    const r = sut(STANDARD_RULES, facts({ areaLevels: ['province', 'commune'] }));
    expect(r.coded).toEqual([{ code: 'approval.reason.area-level', params: { level: 'province', rule: 'district' }, text: 'targets an area of level province (rule: district or wider)' }]);
    expect(r.reasons).toEqual(['targets an area of level province (rule: district or wider)']);
  });

  it('treats an unknown level as wider than any rule', () => {
    expect(sut(rules({ minAreaLevel: 'province' }), facts({ areaLevels: ['region'] })).required).toBe(true);
  });

  it('counts devices from minDevices up, and ignores a null limit', () => {
    expect(sut(STANDARD_RULES, facts({ deviceCount: 49 })).required).toBe(false);
    expect(sut(STANDARD_RULES, facts({ deviceCount: 50 })).reasons).toEqual(['reaches 50 devices (rule: 50 or more)']);
    expect(sut(rules({ minDevices: null, minAreaLevel: null }), facts({ deviceCount: 10_000, areaLevels: ['province'] })).required).toBe(false);
  });

  it('applies the listed priorities', () => {
    expect(sut(rules({ priorities: ['priority'] }, false), facts({ priority: 'priority' }))).toEqual({
      required: true,
      secondPerson: false,
      reasons: ['priority priority'],
      coded: [{ code: 'approval.reason.priority', params: { priority: 'priority' }, text: 'priority priority' }],
    });
    expect(sut(rules({ priorities: [] }, false), facts({ priority: 'emergency' })).required).toBe(false);
  });

  it('asks a second person for any emergency under the two-person rule, even when no other rule applies', () => {
    expect(sut(rules({ priorities: [] }, true), facts({ priority: 'emergency' }))).toEqual({
      required: true,
      secondPerson: true,
      reasons: ['emergency: a second person must approve'],
      coded: [{ code: 'approval.reason.second-person', params: {}, text: 'emergency: a second person must approve' }],
    });
    expect(sut(STANDARD_RULES, facts({ priority: 'priority' })).secondPerson).toBe(false);
  });

  it('needs nothing under the permissive rules', () => {
    expect(sut(PERMISSIVE_RULES, facts({ priority: 'emergency', areaLevels: ['province'], deviceCount: 5000 })).required).toBe(false);
  });
});

describe(contentNeedsApprover.name, () => {
  const sut = contentNeedsApprover;

  it('follows the rule per kind, and always asks for relays, which the rules do not name', () => {
    const rules: ApprovalRules = { ...STANDARD_RULES, content: { audio: false, text: true, image: false } };
    expect(['audio', 'text', 'image', 'relay'].map((t) => sut(rules, t))).toEqual([false, true, false, true]);
  });
});
