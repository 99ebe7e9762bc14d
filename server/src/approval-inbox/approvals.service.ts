import { Injectable } from '@nestjs/common';
import { AlertsService, type AlertView } from '../alerts/alerts.service.js';
import { ScopeService } from '../auth/area-scope.js';
import type { UserPrincipal } from '../auth/principal.js';
import { ContentsService, type ContentView } from '../contents/contents.service.js';
import { SchedulesService, type ScheduleView } from '../schedules/schedules.service.js';
import { ApprovalPolicy } from '../approvals/approval-policy.js';
import { ApprovalsRepository } from './approvals.repository.js';
import type { ApprovalQueue } from '@loa/shared/rest';
import { conflict, forbidden } from '../common/loa-error.js';
export type { ApprovalQueue } from '@loa/shared/rest';

/** Approval actions that need the governed features (schedules, alerts, contents), and the queue over all three. */
@Injectable()
export class ApprovalsService {
  constructor(
    private readonly schedules: SchedulesService,
    private readonly alerts: AlertsService,
    private readonly contents: ContentsService,
    private readonly policy: ApprovalPolicy,
    private readonly scope: ScopeService,
    private readonly repo: ApprovalsRepository,
  ) {}

  /**
   * Every target must lie inside the approver's subtree (403 otherwise); under the two-person rule an emergency
   * schedule needs an approver other than its creator (409).
   */
  async approveSchedule(id: string, user: UserPrincipal): Promise<ScheduleView> {
    const s = await this.schedules.get(id);
    await this.checkDecidable(user, s);
    const req = await this.policy.requirement({ priority: s.priority, targets: s.targets, deviceCount: 0 });
    if (req.secondPerson && s.createdBy === user.userId) {
      throw conflict('schedule.second-person', { id });
    }
    return this.schedules.approve(id, user.userId);
  }

  async rejectSchedule(id: string, reason: string, user: UserPrincipal): Promise<ScheduleView> {
    const s = await this.schedules.get(id);
    await this.checkDecidable(user, s);
    return this.schedules.reject(id, reason, user.userId);
  }

  /** The refusal names none of the targets: the approver did not name them, and some lie outside its area. */
  private async checkDecidable(user: UserPrincipal, s: ScheduleView): Promise<void> {
    if (!(await this.scope.inScope(user, (u) => this.scope.checkTargets(u, s.targets, 'write')))) {
      throw forbidden('schedule.targets-outside', { id: s.id });
    }
  }

  /**
   * What waits for a decision in the user's scope: submitted contents (a shared library, not area-scoped), pending
   * schedules whose every target is inside the subtree, and pending alerts on areas inside it.
   */
  async queue(user: UserPrincipal): Promise<ApprovalQueue> {
    const contents = (await this.contents.list()).filter((c) => c.state === 'submitted');
    const pendingSchedules = await this.schedules.pending();
    const inside = await Promise.all(pendingSchedules.map((s) => this.scope.inScope(user, (u) => this.scope.checkTargets(u, s.targets, 'read'))));
    const schedules = pendingSchedules.filter((_, i) => inside[i]);
    const alerts = await this.scope.filterByArea(user, await this.alerts.pending(), (a) => a.areaCode);
    // Issue 19: the approver reads what a TTS bulletin says, and each pending schedule's content title.
    const texts = await this.repo.contentTexts([...contents.map((c) => c.id), ...schedules.map((s) => s.contentId)]);
    // Issue 19: why each schedule waits, coded for the approver's language.
    const reasons = await Promise.all(schedules.map((s) => this.policy.requirement({ priority: s.priority, targets: s.targets, deviceCount: s.deviceCount })));
    return {
      contents,
      schedules,
      alerts,
      counts: { contents: contents.length, schedules: schedules.length, alerts: alerts.length },
      spokenTexts: Object.fromEntries(texts.spoken),
      contentTitles: Object.fromEntries(schedules.map((s) => [s.contentId, texts.titles.get(s.contentId) ?? s.contentId])),
      scheduleReasons: Object.fromEntries(schedules.map((s, i) => [s.id, reasons[i]!.coded])),
    };
  }
}
