import { Inject, Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import type { NotificationKind } from '@loa/shared/rest';
import { AlertsService } from '../alerts/alerts.service.js';
import { APPROVERS, READERS } from '../auth/roles.js';
import type { UserPrincipal } from '../auth/principal.js';
import { ScopeService } from '../auth/area-scope.js';
import { ContentsService, RULE_APPROVER } from '../contents/contents.service.js';
import type { DomainEventMap } from '../domain-events/domain-events.js';
import { FanoutJobs } from '../fanouts/fanout-jobs.js';
import type { AppLogger } from '../logging/logger.js';
import { LOGGER } from '../logging/logging.module.js';
import { SchedulesService } from '../schedules/schedules.service.js';
import { TargetResolver } from '../targeting/target-resolver.js';
import { NotificationsRepository, type Recipient } from './notifications.repository.js';
import { NotificationsService } from './notifications.service.js';

/** The first words of a TTS bulletin in a notification (the approval queue shows the whole text). */
const DETAIL_MAX = 300;
const excerpt = (s: string | null): string | null => {
  const t = s?.trim();
  if (!t) return null;
  return t.length <= DETAIL_MAX ? t : `${t.slice(0, DETAIL_MAX - 1).trimEnd()}…`;
};

const principal = (r: Recipient): UserPrincipal => ({ type: 'user', userId: r.userId, username: r.username, role: r.role as UserPrincipal['role'], areaCode: r.areaCode });

/**
 * Issue 19 item 7: who must act learns of it. A schedule or content entering the approval queue notifies the
 * approvers whose area covers it (the same rule as the queue: every target inside their subtree; a content, which is
 * a shared library, by its submitter's area) except the submitter; a decision notifies the submitter; a withdrawal
 * tells the approvers in the app. Every change also refreshes the open queues live.
 *
 * The domain events reach only the instance that committed the change, so each notification is made once. Best
 * effort: a failure is logged, never thrown into the change that is already committed.
 */
@Injectable()
export class ApprovalNotifier {
  private readonly log: AppLogger;

  constructor(
    private readonly notifications: NotificationsService,
    private readonly repo: NotificationsRepository,
    private readonly schedules: SchedulesService,
    private readonly contents: ContentsService,
    private readonly alerts: AlertsService,
    private readonly scope: ScopeService,
    private readonly fanouts: FanoutJobs,
    private readonly targets: TargetResolver,
    @Inject(LOGGER) logger: AppLogger,
  ) {
    this.log = logger.child({ ctx: 'notifications' });
  }

  /** Resolves when the notifications are stored (tests await the returned promise through the emitter). */
  @OnEvent('approval.changed')
  async onApproval(e: DomainEventMap['approval.changed']): Promise<void> {
    await this.guard(() => (e.subject === 'alert' ? this.alert(e) : this.schedule(e)), { subject: e.subject, id: e.id, action: e.action });
  }

  @OnEvent('content.stateChanged')
  async onContent(e: DomainEventMap['content.stateChanged']): Promise<void> {
    await this.guard(() => this.content(e), { contentId: e.contentId, state: e.state });
  }

  private async guard(work: () => Promise<void>, ctx: Record<string, unknown>): Promise<void> {
    try {
      await work();
    } catch (err) {
      this.log.error({ ...ctx, err: err instanceof Error ? err.message : String(err) }, 'approval notification failed');
    }
  }

  private async schedule(e: DomainEventMap['approval.changed']): Promise<void> {
    const s = await this.schedules.get(e.id);
    const content = await this.contents.get(s.contentId).catch(() => null);
    const title = content?.title ?? s.contentId;
    // Scoped like the queue: to the subtree holding every target (all clients when they span several roots).
    const groupDevices = (await Promise.all(s.targets.groups.map((g) => this.targets.groupMembers(g)))).flatMap((m) => m ?? []);
    const areaCode = await this.fanouts.commonArea(s.targets.areas, [...s.targets.devices, ...groupDevices]);
    this.notifications.queueChanged('schedule', s.id, e.action, areaCode);
    const actor = await this.repo.user(e.by);
    const base = { subject: 'schedule' as const, subjectId: s.id, title, actor: e.by, actorName: actor ? (actor.fullName ?? actor.username) : null };
    if (e.action !== 'submitted') await this.notifications.settle('schedule', s.id);
    if (e.action === 'submitted' || e.action === 'withdrawn') {
      const approvers = await this.approversOf(async (u) => this.scope.inScope(u, (p) => this.scope.checkTargets(p, s.targets, 'read')), e.by);
      const detail = content ? excerpt((await this.repo.spokenText(content.mediaSha256)) ?? (content.type === 'text' ? content.text : null)) : null;
      await this.notifications.notify(approvers, { ...base, kind: e.action === 'submitted' ? 'approval.submitted' : 'approval.withdrawn', detail, outside: e.action === 'submitted' });
      return;
    }
    await this.tellSubmitter(s.createdBy, e.by, { ...base, kind: e.action === 'approved' ? 'approval.approved' : 'approval.rejected', detail: e.action === 'rejected' ? s.rejectedReason : null, outside: true });
  }

  /**
   * An emergency alert waiting for a second person: whoever may confirm it (admins, operators and approvers whose area
   * holds the alert's area) is told, by e-mail and SMS too; minutes count here. Confirmed or cancelled: its requester.
   */
  private async alert(e: DomainEventMap['approval.changed']): Promise<void> {
    const a = await this.alerts.get(e.id);
    this.notifications.queueChanged('alert', a.id, e.action, a.areaCode);
    const actor = await this.repo.user(e.by);
    const base = { subject: 'alert' as const, subjectId: a.id, title: a.title, actor: e.by, actorName: actor ? (actor.fullName ?? actor.username) : null };
    if (e.action !== 'submitted') await this.notifications.settle('alert', a.id);
    if (e.action === 'submitted' || e.action === 'withdrawn') {
      const candidates = (await this.repo.usersWithRoles(READERS)).filter((r) => r.userId !== e.by);
      const inside = await Promise.all(candidates.map(async (r) => (await this.scope.of(principal(r))).contains(a.areaCode)));
      const confirmers = candidates.filter((_, i) => inside[i]);
      await this.notifications.notify(confirmers, { ...base, kind: e.action === 'submitted' ? 'approval.submitted' : 'approval.withdrawn', detail: excerpt(a.text), outside: e.action === 'submitted' });
      return;
    }
    await this.tellSubmitter(a.createdBy, e.by, { ...base, kind: e.action === 'approved' ? 'approval.approved' : 'approval.rejected', detail: null, outside: true });
  }

  private async content(e: DomainEventMap['content.stateChanged']): Promise<void> {
    if (e.state !== 'submitted' && e.state !== 'approved' && e.state !== 'rejected' && e.state !== 'draft' && e.state !== 'archived') return;
    this.notifications.queueChanged('content', e.contentId, e.state === 'draft' || e.state === 'archived' ? 'withdrawn' : e.state, null);
    if (e.state !== 'submitted') await this.notifications.settle('content', e.contentId);
    if (e.state === 'draft' || e.state === 'archived' || e.by === RULE_APPROVER) return;
    const c = await this.contents.get(e.contentId);
    const actor = await this.repo.user(e.by);
    const base = { subject: 'content' as const, subjectId: c.id, title: c.title, actor: e.by, actorName: actor ? (actor.fullName ?? actor.username) : null };
    if (e.state === 'submitted') {
      // The rules may have approved it at once (the `approved` event follows): then nobody needs to act.
      if (c.state !== 'submitted') return;
      const submitterArea = actor?.areaCode ?? null;
      const approvers = await this.approversOf(async (u) => submitterArea === null || (await this.scope.of(u)).contains(submitterArea), e.by);
      const detail = excerpt((await this.repo.spokenText(c.mediaSha256)) ?? (c.type === 'text' ? c.text : null));
      await this.notifications.notify(approvers, { ...base, kind: 'approval.submitted', detail, outside: true });
      return;
    }
    const kind: NotificationKind = e.state === 'approved' ? 'approval.approved' : 'approval.rejected';
    await this.tellSubmitter(c.submittedBy ?? c.createdBy, e.by, { ...base, kind, detail: e.state === 'rejected' ? c.rejectReason : null, outside: true });
  }

  /** Approvers (admins and approvers who may log in) passing `covers`, except whoever caused the change. */
  private async approversOf(covers: (u: UserPrincipal) => Promise<boolean>, except: string): Promise<Recipient[]> {
    const candidates = (await this.repo.usersWithRoles(APPROVERS)).filter((r) => r.userId !== except);
    const inside = await Promise.all(candidates.map((r) => covers(principal(r))));
    return candidates.filter((_, i) => inside[i]);
  }

  private async tellSubmitter(submitter: string, decidedBy: string, draft: Parameters<NotificationsService['notify']>[1]): Promise<void> {
    // Deciding one's own submission (an admin) tells nobody anything new.
    if (submitter === decidedBy) return;
    const r = await this.repo.user(submitter);
    if (r) await this.notifications.notify([r], draft);
  }
}
