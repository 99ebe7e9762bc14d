import { PRIORITIES, type Priority } from '@loa/shared';
import { formatError, type ApprovalReason, type ApprovalReasonCode, type ErrorParams } from '@loa/shared/rest';
import { z } from 'zod';
import { AREA_LEVELS } from '../areas/areas.service.js';

/** Area levels a rule may name, widest first. */
export const RULE_AREA_LEVELS = ['province', 'district', 'commune'] as const;

export const approvalRulesSchema = z
  .object({
    content: z.object({ audio: z.boolean(), text: z.boolean(), image: z.boolean() }).strict(),
    schedules: z
      .object({
        minAreaLevel: z.enum(RULE_AREA_LEVELS).nullable(),
        minDevices: z.number().int().min(1).max(1_000_000).nullable(),
        priorities: z.array(z.enum(PRIORITIES)).max(PRIORITIES.length),
      })
      .strict(),
    emergency: z
      .object({
        twoPerson: z.boolean(),
        /**
         * Issue 18: an alert's audio (mediaSha256) must be approved content marked for emergencies; speech the alert
         * form makes from its text (speakText) is allowed. Absent (older documents) is off.
         */
        audioFromEmergencyContentOnly: z.boolean().optional(),
      })
      .strict(),
  })
  .strict();

export type ApprovalRules = z.infer<typeof approvalRulesSchema>;

/** Issue 7 defaults: every content kind needs an approver, district-wide or large or emergency sends too. */
export const STANDARD_RULES: ApprovalRules = {
  content: { audio: true, text: true, image: true },
  schedules: { minAreaLevel: 'district', minDevices: 50, priorities: ['emergency'] },
  emergency: { twoPerson: true, audioFromEmergencyContentOnly: false },
};

/**
 * What the server did before configurable rules existed: only content waits for an approver. Tests and tools that
 * predate issue 7 run with these (LOA_APPROVAL_RULES_DEFAULT=permissive) so they keep meaning what they meant.
 */
export const PERMISSIVE_RULES: ApprovalRules = {
  content: { audio: true, text: true, image: true },
  schedules: { minAreaLevel: null, minDevices: null, priorities: [] },
  emergency: { twoPerson: false, audioFromEmergencyContentOnly: false },
};

export type RulesDefault = 'standard' | 'permissive';
export const defaultRules = (d: RulesDefault): ApprovalRules => structuredClone(d === 'standard' ? STANDARD_RULES : PERMISSIVE_RULES);

/**
 * Rank of an area level, 0 = widest. Levels are labels, not depths: in the 2025 two-tier tree a commune sits right
 * under its province and is still a commune, so "district or wider" keeps meaning province and district there.
 * A level this server does not know is treated as wider than any rule (it asks for an approver rather than not).
 */
export function levelRank(level: string): number {
  const i = (AREA_LEVELS as readonly string[]).indexOf(level);
  return i < 0 ? -1 : i;
}

export interface ScheduleFacts {
  priority: Priority;
  /** Levels of the areas the schedule targets (groups and single devices count through deviceCount). */
  areaLevels: readonly string[];
  deviceCount: number;
}

export interface ScheduleRequirement {
  /** An approver must accept the schedule before it reaches devices. */
  required: boolean;
  /** The approver must be someone other than the creator (two-person rule for emergencies). */
  secondPerson: boolean;
  /** Why, for the response and the log (empty when not required): English, one per entry of `coded`. */
  reasons: string[];
  /** The same reasons as stable codes and parameters, shown in the reader's language (issue 19). */
  coded: ApprovalReason[];
}

/** Pure: does a schedule with these facts need an approver under these rules, and must it be a second person? */
export function scheduleRequirement(rules: ApprovalRules, facts: ScheduleFacts): ScheduleRequirement {
  const coded: ApprovalReason[] = [];
  const because = (code: ApprovalReasonCode, params: ErrorParams = {}): void => {
    coded.push({ code, params, text: formatError(code, params, 'en') ?? code });
  };
  const { minAreaLevel, minDevices, priorities } = rules.schedules;
  if (minAreaLevel !== null) {
    const limit = levelRank(minAreaLevel);
    const wide = facts.areaLevels.filter((l) => levelRank(l) <= limit);
    if (wide.length > 0) because('approval.reason.area-level', { level: [...new Set(wide)].join(', '), rule: minAreaLevel });
  }
  if (minDevices !== null && facts.deviceCount >= minDevices) because('approval.reason.device-count', { count: facts.deviceCount, min: minDevices });
  if (priorities.includes(facts.priority)) because('approval.reason.priority', { priority: facts.priority });
  const secondPerson = facts.priority === 'emergency' && rules.emergency.twoPerson;
  if (secondPerson && coded.length === 0) because('approval.reason.second-person');
  return { required: coded.length > 0, secondPerson, reasons: coded.map((r) => r.text), coded };
}

/** Content kinds the rules name; any other kind (relay) always waits for an approver. */
export function contentNeedsApprover(rules: ApprovalRules, type: string): boolean {
  return type === 'audio' || type === 'text' || type === 'image' ? rules.content[type] : true;
}

/** A pending area alert can be confirmed for this long after it was requested. */
export const ALERT_CONFIRM_WINDOW_MS = 30 * 60_000;
