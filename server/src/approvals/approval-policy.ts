import { Injectable } from '@nestjs/common';
import type { Priority } from '@loa/shared';
import type { ApprovalReason } from '@loa/shared/rest';
import { ScopeService } from '../auth/area-scope.js';
import type { Role, UserPrincipal } from '../auth/principal.js';
import type { ScheduleApproval } from '../schedules/schedule.entity.js';
import { ApprovalPolicyRepository } from './approval-policy.repository.js';
import { ApprovalRulesService } from './approval-rules.service.js';
import { scheduleRequirement, type ScheduleRequirement } from './approval-rules.js';

export interface ScheduleTargets {
  areas: readonly string[];
  groups: readonly string[];
  devices: readonly string[];
}

export interface ScheduleSubject {
  priority: Priority;
  targets: ScheduleTargets;
  /** Devices the schedule reaches (after the content-kind filter). */
  deviceCount: number;
}

/** The approval columns of a schedule as a decision sets them. */
export interface ApprovalFields {
  approval: ScheduleApproval;
  approvedBy: string | null;
  approvedAt: number | null;
  rejectedBy: string | null;
  rejectedAt: number | null;
  rejectedReason: string | null;
}

const fields = (approval: ScheduleApproval, approvedBy: string | null = null, approvedAt: number | null = null): ApprovalFields => ({
  approval,
  approvedBy,
  approvedAt,
  rejectedBy: null,
  rejectedAt: null,
  rejectedReason: null,
});

/**
 * Applies the approval rules to schedules: whether one needs an approver, whether its creator may be that approver,
 * and what an edit does to an approval already given. Schedules call it while saving; it never materialises anything.
 */
@Injectable()
export class ApprovalPolicy {
  constructor(
    private readonly rules: ApprovalRulesService,
    private readonly repo: ApprovalPolicyRepository,
    private readonly scope: ScopeService,
  ) {}

  async requirement(s: ScheduleSubject): Promise<ScheduleRequirement> {
    const areaLevels = s.targets.areas.length === 0 ? [] : await this.repo.areaLevels(s.targets.areas);
    return scheduleRequirement(await this.rules.get(), { priority: s.priority, areaLevels, deviceCount: s.deviceCount });
  }

  /**
   * A new schedule: `not-required` when no rule applies; `approved` by its creator when the creator may approve it
   * (an admin, or an approver whose subtree holds every target) and no second person is needed; else `pending`.
   */
  async onCreate(s: ScheduleSubject, createdBy: string, at: number): Promise<ApprovalFields & { reasons: ApprovalReason[] }> {
    const req = await this.requirement(s);
    if (!req.required) return { ...fields('not-required'), reasons: [] };
    if (!req.secondPerson) {
      const creator = await this.principal(createdBy);
      if (creator && (await this.mayApprove(creator, s.targets))) return { ...fields('approved', createdBy, at), reasons: req.coded };
    }
    return { ...fields('pending'), reasons: req.coded };
  }

  /**
   * An edit. A pending or rejected schedule is re-examined (an edit resubmits a rejected one). One already reaching
   * devices goes back to `pending` only when the edit widens it (new devices or areas, a higher priority) and the
   * rules cover the new version, unless its editor may approve that version (as a creator may on create; never
   * under the two-person rule). Without a known editor a widening is never self-approved.
   */
  async onUpdate(current: ApprovalFields, s: ScheduleSubject, widened: boolean, editedBy: string | null, at: number): Promise<ApprovalFields & { reasons: ApprovalReason[] }> {
    const req = await this.requirement(s);
    if (current.approval === 'pending' || current.approval === 'rejected') return { ...fields(req.required ? 'pending' : 'not-required'), reasons: req.coded };
    if (req.required && widened) {
      if (!req.secondPerson && editedBy !== null) {
        const editor = await this.principal(editedBy);
        if (editor && (await this.mayApprove(editor, s.targets))) return { ...fields('approved', editedBy, at), reasons: req.coded };
      }
      return { ...fields('pending'), reasons: req.coded };
    }
    return { ...current, reasons: [] };
  }

  /** Role and area: admins approve anything; approvers what lies wholly inside their subtree. */
  async mayApprove(user: UserPrincipal, targets: ScheduleTargets): Promise<boolean> {
    if (user.role === 'admin') return true;
    if (user.role !== 'approver') return false;
    return this.scope.inScope(user, (u) => this.scope.checkTargets(u, targets, 'write'));
  }

  private async principal(userId: string): Promise<UserPrincipal | null> {
    const u = await this.repo.findUser(userId);
    if (!u || u.disabled) return null;
    return { type: 'user', userId: u.id, username: u.username, role: u.role as Role, areaCode: u.areaCode };
  }
}
