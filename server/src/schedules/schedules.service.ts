import { ConflictException, Inject, Injectable, Optional } from '@nestjs/common';
import { defaultOnPreempt, expand, normaliseTimesOfDay, priorityRank, RecurrenceError, validateSpec, type PreemptPolicy, type Priority } from '@loa/shared';
import { badRequest, conflict, notFound } from '../common/loa-error.js';
import { ApprovalPolicy, type ApprovalFields } from '../approvals/approval-policy.js';
import { AppConfig } from '../config/app-config.js';
import { isIanaZone } from '../config/config.schema.js';
import { Clock } from '../common/clock.js';
import { NamedLocks } from '../common/named-locks.js';
import { newId } from '../common/ids.js';
import type { ContentEntity } from '../contents/content.entity.js';
import type { ScheduleTargetEntity } from './schedule-target.entity.js';
import type { ScheduleApproval, ScheduleEntity } from './schedule.entity.js';
import { requireApproved } from '../contents/content-lifecycle.js';
import { DeliveriesService } from '../deliveries/deliveries.service.js';
import { DomainEvents, type DomainEventMap } from '../domain-events/domain-events.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { ConflictAnalysis, type UnsettledSchedule } from '../planning/conflict-analysis.js';
import type { ConflictNotice, ConflictReport } from '../planning/conflicts.js';
import { Materializer, occurrenceId, occurrenceStarts, recurrenceOf, targetRows, targetSpec, windowMs, type MaterializeParams, type Plan, type TargetSpec } from '../planning/materializer.js';
import { kindsLabel, reachedKinds } from '../targeting/targeting.js';
import { REACHING } from '../planning/planning.repository.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { FanoutJobs } from '../fanouts/fanout-jobs.js';
import type { FanoutEntity } from '../fanouts/fanout.entity.js';
import { SchedulesRepository } from './schedules.repository.js';
import { isoOrNull as iso } from '../common/iso.js';
import type { DryRunResult, FanoutView, SaveResult, ScheduleChangeResult, ScheduleView } from '@loa/shared/rest';
import type { ApprovalReason, ErrorCode } from '@loa/shared/rest';
export type { DryRunResult, SaveResult, ScheduleChangeResult, ScheduleView } from '@loa/shared/rest';

export { occurrenceId } from '../planning/materializer.js';

const YEAR_MS = 366 * 86_400_000;
const SAVE_LOCK = 'schedules.save';
/** More occurrences than this inside the horizon is almost certainly a mistyped rule (e.g. every minute). */
export const MAX_OCCURRENCES_IN_HORIZON = 500;

export interface ScheduleTimingInput {
  startAt: number;
  /** RRULE value; null or absent for a one-off. */
  rrule?: string | null | undefined;
  /** Excluded instants (epoch ms) or local dates "YYYY-MM-DD". */
  exdates?: Array<number | string> | undefined;
  timezone?: string | undefined;
  repeat?: number | undefined;
  gapSeconds?: number | undefined;
  /** Issue 19: local times of day "HH:MM"; empty or absent: startAt's. */
  times?: string[] | undefined;
  /** Issue 19: added occurrences (epoch ms), a moved occurrence's new start. */
  rdates?: number[] | undefined;
}

export interface CreateScheduleInput extends ScheduleTimingInput {
  contentId: string;
  targets: { areas?: string[] | undefined; groups?: string[] | undefined; devices?: string[] | undefined };
  priority: Priority;
  volume?: number | null | undefined;
  onPreempt?: PreemptPolicy | null | undefined;
  acceptConflicts?: boolean | undefined;
  dryRun?: boolean | undefined;
}

export type UpdateScheduleInput = Partial<Omit<CreateScheduleInput, 'contentId'>>;

/**
 * Schedules: CRUD and approval. Planning is called through a narrow interface (Materializer, ConflictAnalysis)
 * rather than told by events because a save's answer depends on it at once: unknown targets (400), same-priority
 * conflicts (409), the dry-run preview, the approval rules' device count.
 *
 * Issue 14: a save that reaches devices commits the schedule row with a fan-out job (fanouts/) and answers; the
 * job (ScheduleFanout) materialises the deliveries and sends the timelines in the background, and is run again
 * after a crash. Until its deliveries are written, conflict checks count the schedule by its plan (`unsettled`).
 */
@Injectable()
export class SchedulesService {
  constructor(
    private readonly repo: SchedulesRepository,
    private readonly materializer: Materializer,
    private readonly conflicts: ConflictAnalysis,
    private readonly deliveries: DeliveriesService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: AppLogger,
    private readonly approvals: ApprovalPolicy,
    private readonly tx: TransactionRunner,
    private readonly fanouts: FanoutJobs,
    private readonly locks: NamedLocks,
    /** Issue 19: tells the live approval queue and the notifications (optional: unit graphs leave it out). */
    @Optional() private readonly events?: DomainEvents,
  ) {}

  /** Issue 19: the schedule entered or left the approval queue (after the change is committed). */
  private approvalChanged(id: string, action: DomainEventMap['approval.changed']['action'], by: string, at: number): void {
    this.events?.emit('approval.changed', { subject: 'schedule', id, action, by, at });
  }

  /**
   * Saves check conflicts and then store, one at a time (any process): two saves checked at once could each miss the
   * other. Not planning's lock: a save must not wait for another's materialisation (the conflict check counts a
   * schedule still being materialised by its plan).
   */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    return this.locks.run(SAVE_LOCK, work);
  }

  async create(input: CreateScheduleInput, userId: string): Promise<SaveResult | DryRunResult> {
    const now = this.clock.now();
    this.checkStart(input.startAt, now);
    const content = await this.repo.findContent(input.contentId);
    if (!content) throw badRequest('schedule.content-unknown', { id: input.contentId });
    requireApproved(content, 'scheduled');
    const targets = normTargets(input.targets);
    const schedule: ScheduleEntity = {
      id: newId(),
      contentId: content.id,
      priority: input.priority,
      startAt: input.startAt,
      volume: input.volume ?? null,
      status: 'active',
      createdBy: userId,
      createdAt: now,
      ...this.timing(input, content, null),
      onPreempt: input.onPreempt ?? null,
      generatedUntil: now + this.materializer.horizonMs,
      updatedAt: null,
    };
    this.checkValidity(schedule, content, now - this.config.schedulePastToleranceMs);
    return this.serial(async () => {
      const plan = await this.materializer.plan(schedule, content, targets, now - this.config.schedulePastToleranceMs, now + this.materializer.horizonMs, true);
      if (plan.deviceIds.length === 0) throw badRequest('schedule.no-device-of-kind', { kind: kindsLabel(reachedKinds(content)) });
      this.checkDensity(plan);
      const report = await this.conflicts.analyse(plan, schedule.priority, null, now, await this.unsettled(now, null));
      const early = this.gate(report, plan, input);
      if (early) return early;
      const { reasons, ...decision } = await this.approvals.onCreate({ priority: schedule.priority, targets, deviceCount: plan.deviceIds.length }, userId, now);
      Object.assign(schedule, decision);
      // Not materialised yet (the job does it, or approval): the horizon roller would take it up should the job fail.
      const row = { ...schedule, generatedUntil: null };
      if (!reaches(decision.approval)) {
        // Saved with its targets but without occurrences or deliveries: approval materialises it.
        await this.repo.insertSchedule(row, targetRows(schedule.id, targets));
        this.logger.info({ ctx: 'schedules', scheduleId: schedule.id, devices: plan.deviceIds.length, reasons: reasons.map((r) => r.text) }, 'schedule created, awaiting approval');
        this.approvalChanged(schedule.id, 'submitted', userId, now);
        return this.saved(schedule.id, null, null, reasons, report);
      }
      const from = now - this.config.schedulePastToleranceMs;
      const areaCode = await this.areaOf(targets, async () => plan.deviceIds);
      const job = await this.tx.run(async () => {
        await this.repo.insertSchedule(row, targetRows(schedule.id, targets));
        return this.addJob(schedule.id, { from, after: from, allDirty: false }, plan.deviceIds.length, areaCode, userId);
      });
      this.logger.info({ ctx: 'schedules', scheduleId: schedule.id, devices: plan.deviceIds.length, occurrences: plan.occurrences.length, fanoutId: job.id }, 'schedule created');
      return this.saved(schedule.id, this.fanouts.start(job), { plan, after: -Infinity }, reasons, report);
    });
  }

  /**
   * Edits timing, targets, volume, priority or policy. Occurrences starting after now are regenerated; deliveries
   * already playing or played are untouched. Only devices whose slots changed get a new timeline version (all
   * targeted devices when a slot attribute such as volume or priority changed). `editedBy` may keep a widening
   * approved when that user may approve it; without it a widening that the rules cover always waits for an approver.
   */
  async update(id: string, patch: UpdateScheduleInput, editedBy: string | null = null): Promise<SaveResult | DryRunResult> {
    const now = this.clock.now();
    const current = await this.require(id);
    if (current.status === 'cancelled') throw conflict('schedule.cancelled-no-edit', { id });
    if (patch.startAt !== undefined && patch.startAt !== current.startAt) this.checkStart(patch.startAt, now);
    const content = await this.repo.findContent(current.contentId);
    if (!content) throw badRequest('schedule.content-gone', { id: current.contentId });
    requireApproved(content, 'scheduled');
    const merged: ScheduleEntity = {
      ...current,
      priority: patch.priority ?? current.priority,
      startAt: patch.startAt ?? current.startAt,
      volume: patch.volume === undefined ? current.volume : patch.volume,
      onPreempt: patch.onPreempt === undefined ? (current.onPreempt ?? null) : patch.onPreempt,
      ...this.timing(
        {
          startAt: patch.startAt ?? current.startAt,
          rrule: patch.rrule === undefined ? (current.rrule ?? null) : patch.rrule,
          exdates: patch.exdates ?? current.exdates ?? [],
          times: patch.times ?? current.timesOfDay ?? [],
          rdates: patch.rdates ?? current.rdates ?? [],
          timezone: patch.timezone ?? current.timezone,
          repeat: patch.repeat ?? current.repeat,
          gapSeconds: patch.gapSeconds ?? (current.gapMs ?? 0) / 1000,
        },
        content,
        current,
      ),
      generatedUntil: now + this.materializer.horizonMs,
      updatedAt: now,
    };
    this.checkValidity(merged, content, now);
    const targets = patch.targets ? normTargets(patch.targets) : targetSpec(await this.repo.targets(id));
    return this.serial(async () => {
      const plan = await this.materializer.plan(merged, content, targets, now + 1, now + this.materializer.horizonMs, patch.targets !== undefined);
      if (patch.targets && plan.deviceIds.length === 0) throw badRequest('schedule.no-device-of-kind', { kind: kindsLabel(reachedKinds(content)) });
      this.checkDensity(plan);
      const report = await this.conflicts.analyse(plan, merged.priority, id, now, await this.unsettled(now, id));
      const early = this.gate(report, plan, patch);
      if (early) return early;
      const widened = await this.widens(current, merged, content, targets, plan, patch.targets !== undefined);
      const { reasons, ...decision } = await this.approvals.onUpdate(approvalOf(current), { priority: merged.priority, targets, deviceCount: plan.deviceIds.length }, widened, editedBy, now);
      Object.assign(merged, decision);
      const reaching = reaches(decision.approval);
      const slotChanged =
        merged.priority !== current.priority ||
        merged.volume !== current.volume ||
        (merged.onPreempt ?? null) !== (current.onPreempt ?? null) ||
        merged.repeat !== current.repeat ||
        merged.gapMs !== current.gapMs;
      // Held for approval: the job withdraws whatever this schedule still had queued on devices; approval brings it back.
      const row = reaching ? merged : { ...merged, generatedUntil: null };
      const areaCode = await this.areaOf(targets, async () => plan.deviceIds);
      const job = await this.tx.run(async () => {
        await this.repo.updateSchedule(row, patch.targets ? targetRows(id, targets) : null);
        return this.addJob(id, { from: now + 1, after: now, allDirty: reaching && slotChanged }, plan.deviceIds.length, areaCode, editedBy ?? current.createdBy);
      });
      this.logger.info({ ctx: 'schedules', scheduleId: id, devices: plan.deviceIds.length, reaching, reasons: reasons.map((r) => r.text), fanoutId: job.id }, reaching ? 'schedule edited' : 'schedule edited, awaiting approval');
      if (decision.approval === 'pending') this.approvalChanged(id, 'submitted', editedBy ?? current.createdBy, now);
      return this.saved(id, this.fanouts.start(job), reaching ? { plan, after: now } : null, reasons, report);
    });
  }

  /**
   * Issue 7: accepts a pending schedule and materialises it exactly as a create without approval would have (from
   * now, within the past tolerance, to the horizon). Who may approve is decided by the caller (approvals/).
   */
  async approve(id: string, userId: string): Promise<ScheduleChangeResult> {
    return this.serial(async () => {
      const now = this.clock.now();
      const current = await this.requirePending(id, 'approve');
      const content = await this.repo.findContent(current.contentId);
      if (!content) throw badRequest('schedule.content-gone', { id: current.contentId });
      requireApproved(content, 'scheduled');
      const s: ScheduleEntity = { ...current, ...approvalFields('approved', userId, now), generatedUntil: now + this.materializer.horizonMs, updatedAt: now };
      const from = now - this.config.schedulePastToleranceMs;
      if (occurrenceStarts(s, content, from, from + YEAR_MS, 1).length === 0) {
        throw conflict('schedule.no-occurrence-left', { id });
      }
      const targets = targetSpec(await this.repo.targets(id));
      const plan = await this.materializer.plan(s, content, targets, from, now + this.materializer.horizonMs, false);
      const areaCode = await this.areaOf(targets, async () => plan.deviceIds);
      const job = await this.tx.run(async () => {
        await this.repo.updateSchedule({ ...s, generatedUntil: null }, null);
        return this.addJob(id, { from, after: from, allDirty: false }, plan.deviceIds.length, areaCode, userId);
      });
      this.logger.info({ ctx: 'schedules', scheduleId: id, approvedBy: userId, devices: plan.deviceIds.length, occurrences: plan.occurrences.length, fanoutId: job.id }, 'schedule approved');
      this.approvalChanged(id, 'approved', userId, now);
      const fanout = this.fanouts.start(job);
      return { ...this.withPlan(await this.get(id), plan, -Infinity), fanout };
    });
  }

  /**
   * Issue 19: moves one occurrence (the calendar's drag). The old start becomes an exception date and the new one an
   * added date (RDATE), or, when it returns to a start the rule gives and was excluded, that exclusion is lifted; then
   * it is saved as any edit would be: conflicts (409 unless accepted), approval rules, and the fan-out job that
   * withdraws the old slot's deliveries and queues the new one's. Only an occurrence not yet started can move.
   */
  async moveOccurrence(id: string, occurrenceRef: string, to: number, acceptConflicts: boolean | undefined, by: string | null): Promise<SaveResult | DryRunResult> {
    const now = this.clock.now();
    const s = await this.require(id);
    if (s.status === 'cancelled') throw conflict('occurrence.cancelled', { id });
    const prefix = `${id}:`;
    const from = occurrenceRef.startsWith(prefix) ? Number(occurrenceRef.slice(prefix.length)) : Number.NaN;
    const spec = recurrenceOf(s);
    // Ids are `<schedule>:<start>`, so the schedule's own recurrence tells whether this one is (still) an occurrence.
    const known = Number.isSafeInteger(from) && expand(spec, from, from + 1, 1).length === 1;
    if (!known) throw notFound('occurrence.not-found', { id: occurrenceRef });
    if (from <= now) throw conflict('occurrence.started', { startAt: new Date(from).toISOString() });
    if (to <= now) throw badRequest('occurrence.to-past', { startAt: new Date(to).toISOString() });
    if (to === from) return this.update(id, {}, by);
    const ruleGives = (t: number): boolean => expand({ ...spec, exdates: [], rdates: [] }, t, t + 1, 1).length === 1;
    if (expand(spec, to, to + 1, 1).length === 1) throw conflict('occurrence.taken', { startAt: new Date(to).toISOString() });
    let exdates = [...(s.exdates ?? [])];
    let rdates = (s.rdates ?? []).filter((t) => t !== from);
    if (ruleGives(from)) exdates.push(from);
    if (ruleGives(to) && exdates.includes(to)) exdates = exdates.filter((e) => e !== to);
    else rdates = [...rdates, to];
    return this.update(id, { exdates, rdates, acceptConflicts }, by);
  }

  /** Issue 7: refuses a pending schedule; it stays without deliveries. Editing it resubmits it. */
  async reject(id: string, reason: string, userId: string): Promise<ScheduleView> {
    await this.requirePending(id, 'reject');
    const now = this.clock.now();
    const ok = await this.repo.decidePending(id, { approval: 'rejected', rejectedBy: userId, rejectedAt: now, rejectedReason: reason, updatedAt: now });
    if (!ok) throw conflict('schedule.changed-meanwhile', { id, action: 'reject' });
    this.logger.info({ ctx: 'schedules', scheduleId: id, rejectedBy: userId }, 'schedule rejected');
    this.approvalChanged(id, 'rejected', userId, now);
    return this.get(id);
  }

  /** Active schedules waiting for an approver. */
  async pending(): Promise<ScheduleView[]> {
    return Promise.all((await this.repo.pendingApproval()).map((s) => this.get(s.id)));
  }

  /**
   * Withdraws a schedule: deliveries of occurrences starting after now that are not yet playing become `skipped`
   * with reason "cancelled" (kept, so the proof of play shows the withdrawal rather than a silent gap), and every
   * device holding one gets a new timeline without them: both done by the fan-out job the answer carries, as the
   * cancellation itself is stored. Cancelling twice is harmless (no second job).
   */
  async cancel(id: string, by: string | null = null): Promise<ScheduleChangeResult> {
    const s = await this.require(id);
    if (s.status !== 'active') return { ...(await this.get(id)), fanout: null };
    const now = this.clock.now();
    const targets = targetSpec(await this.repo.targets(id));
    const devices = await this.deliveries.deviceCount(id);
    const areaCode = await this.areaOf(targets, async () => {
      const content = await this.repo.findContent(s.contentId);
      return content ? this.materializer.resolveTargets(targets, content, false) : [];
    });
    const job = await this.tx.run(async () => {
      await this.repo.markCancelled(id, now);
      return this.addJob(id, { from: now, after: now, allDirty: false }, devices, areaCode, by ?? s.createdBy);
    });
    this.logger.info({ ctx: 'schedules', scheduleId: id, devices, fanoutId: job.id }, 'schedule cancelled');
    if (s.approval === 'pending') this.approvalChanged(id, 'withdrawn', by ?? s.createdBy, now);
    const fanout = this.fanouts.start(job);
    return { ...(await this.get(id)), fanout };
  }

  async get(id: string): Promise<ScheduleView> {
    const s = await this.require(id);
    const [targets, occurrences, summary] = await Promise.all([this.repo.targets(id), this.repo.occurrences(id, 500), this.deliveries.summary(id)]);
    const prospective = await this.prospective(s, targets);
    return {
      id: s.id,
      contentId: s.contentId,
      priority: s.priority,
      startAt: new Date(s.startAt).toISOString(),
      rrule: s.rrule ?? null,
      exdates: (s.exdates ?? []).map((e) => (typeof e === 'number' ? new Date(e).toISOString() : e)),
      times: s.timesOfDay ?? [],
      rdates: (s.rdates ?? []).map((t) => new Date(t).toISOString()),
      timezone: s.timezone ?? this.config.timezone,
      repeat: s.repeat ?? 1,
      gapSeconds: (s.gapMs ?? 0) / 1000,
      volume: s.volume,
      onPreempt: s.onPreempt ?? defaultOnPreempt(s.priority),
      status: s.status,
      targets: targetSpec(targets),
      occurrences: occurrences.map((o) => ({ id: o.id, startAt: new Date(o.startAt).toISOString(), durationMs: o.durationMs })),
      generatedUntil: iso(s.generatedUntil),
      deviceCount: prospective ? prospective.length : await this.deliveries.deviceCount(id),
      summary,
      createdBy: s.createdBy,
      createdAt: new Date(s.createdAt).toISOString(),
      updatedAt: iso(s.updatedAt),
      approval: s.approval ?? 'not-required',
      approvedBy: s.approvedBy ?? null,
      approvedAt: iso(s.approvedAt),
      rejectedBy: s.rejectedBy ?? null,
      rejectedAt: iso(s.rejectedAt),
      rejectedReason: s.rejectedReason ?? null,
    };
  }

  /**
   * The devices a schedule waiting for (or refused by) an approver would reach if approved now: it has no deliveries
   * to count, and an approver needs to see how far it goes. Null for any other schedule (its deliveries tell).
   */
  async prospectiveDevices(id: string): Promise<string[] | null> {
    const s = await this.require(id);
    return this.prospective(s, await this.repo.targets(id));
  }

  private async prospective(s: ScheduleEntity, targets: readonly ScheduleTargetEntity[]): Promise<string[] | null> {
    if (s.status !== 'active' || (s.approval !== 'pending' && s.approval !== 'rejected')) return null;
    const content = await this.repo.findContent(s.contentId);
    if (!content) return [];
    // The resolution the approval rules counted on save (minDevices), on the devices as they are now.
    return this.materializer.resolveTargets(targetSpec(targets), content, false);
  }

  async list(): Promise<ScheduleView[]> {
    return Promise.all((await this.repo.list()).map((s) => this.get(s.id)));
  }

  /**
   * The zone a schedule's wall-clock times (a `startAt` or exdate without offset) are read in: the one the request
   * gives, else the schedule's own (on an edit), else LOA_TIMEZONE. 400 when it is not an IANA zone.
   */
  async zoneOf(timezone: string | undefined, id?: string): Promise<string> {
    const zone = timezone ?? (id === undefined ? undefined : (await this.require(id)).timezone) ?? this.config.timezone;
    if (!isIanaZone(zone)) throw badRequest('schedule.timezone-invalid', { zone });
    return zone;
  }

  async require(id: string): Promise<ScheduleEntity> {
    const s = await this.repo.find(id);
    if (!s) throw notFound('schedule.not-found', { id });
    return s;
  }

  private async requirePending(id: string, action: string): Promise<ScheduleEntity> {
    const s = await this.require(id);
    if (s.status === 'cancelled') throw conflict('schedule.cancelled-no-action', { id, action });
    if (s.approval !== 'pending') throw conflict('schedule.not-pending', { id, approval: s.approval ?? 'not-required', action: action === 'approve' ? 'approved' : 'rejected' });
    return s;
  }

  /**
   * Whether an edit widens a schedule: a higher priority, a device it did not reach, or (with new targets) a version
   * the rules did not cover before, e.g. a commune schedule moved onto its whole district.
   */
  private async widens(current: ScheduleEntity, merged: ScheduleEntity, content: ContentEntity, targets: TargetSpec, plan: Plan, targetsChanged: boolean): Promise<boolean> {
    if (priorityRank(merged.priority) > priorityRank(current.priority)) return true;
    if (!targetsChanged) return false;
    const old = targetSpec(await this.repo.targets(current.id));
    const before = new Set(await this.materializer.resolveTargets(old, content, false));
    if (plan.deviceIds.some((d) => !before.has(d))) return true;
    const was = await this.approvals.requirement({ priority: current.priority, targets: old, deviceCount: before.size });
    const will = await this.approvals.requirement({ priority: merged.priority, targets, deviceCount: plan.deviceIds.length });
    return will.required && !was.required;
  }

  // ---- fan-out --------------------------------------------------------------------------------------------------

  /** The job bringing a schedule's change to its devices (ScheduleFanout runs it); in the caller's transaction. */
  private addJob(scheduleId: string, params: MaterializeParams, total: number, areaCode: string | null, by: string): Promise<FanoutEntity> {
    return this.fanouts.add({ kind: 'schedule', ref: scheduleId, total, areaCode, createdBy: by, params: { ...params } });
  }

  /**
   * A save's answer. While its job has not written the deliveries yet, `occurrences` and `deviceCount` are those of
   * the plan being materialised (after `after`; earlier ones are as stored), so the answer says what the save does.
   */
  private async saved(id: string, fanout: FanoutView | null, planned: { plan: Plan; after: number } | null, reasons: ApprovalReason[], report: ConflictReport): Promise<SaveResult> {
    const view = await this.get(id);
    return { ...(planned ? this.withPlan(view, planned.plan, planned.after) : view), approvalReasons: reasons.map((r) => r.text), approvalReasonCodes: reasons, conflicts: report.conflicts, conflictTotals: report.totals, fanout };
  }

  private withPlan(view: ScheduleView, plan: Plan, after: number): ScheduleView {
    const kept = view.occurrences.filter((o) => Date.parse(o.startAt) <= after);
    const planned = plan.occurrences.map((o) => ({ id: o.id, startAt: new Date(o.startAt).toISOString(), durationMs: o.durationMs }));
    const occurrences = [...kept, ...planned].sort((a, b) => Date.parse(a.startAt) - Date.parse(b.startAt)).slice(0, 500);
    return { ...view, occurrences, deviceCount: plan.deviceIds.length };
  }

  /**
   * Schedules saved but not materialised yet (their job is queued or materialising): what each will hold, for the
   * conflict check of another save. One whose job withdraws it (cancelled, or held for approval) holds nothing.
   */
  private async unsettled(now: number, exceptId: string | null): Promise<UnsettledSchedule[]> {
    const out: UnsettledSchedule[] = [];
    for (const ref of await this.fanouts.openRefs('schedule', ['queued', 'materialising'])) {
      if (ref === exceptId) continue;
      const s = await this.repo.find(ref);
      const content = s ? await this.repo.findContent(s.contentId) : null;
      if (!s || !content || s.status !== 'active' || !reaches(s.approval ?? 'not-required')) {
        out.push({ scheduleId: ref, priority: s?.priority ?? 'normal', occurrences: [], devices: async () => [] });
        continue;
      }
      const duration = windowMs(content, s.repeat ?? 1, s.gapMs ?? 0);
      const occurrences = occurrenceStarts(s, content, now, now + this.materializer.horizonMs).map((startAt) => ({ id: occurrenceId(s.id, startAt), scheduleId: s.id, startAt, durationMs: duration }));
      const targets = targetSpec(await this.repo.targets(ref));
      out.push({ scheduleId: ref, priority: s.priority, occurrences, devices: () => this.materializer.resolveTargets(targets, content, false) });
    }
    return out;
  }

  /**
   * The area whose subtree holds every device a schedule reaches, to scope its live progress: the target areas' common
   * ancestor, with the listed devices' areas and, when groups are targeted, the areas of every device reached.
   */
  private async areaOf(targets: TargetSpec, reached: () => Promise<readonly string[]>): Promise<string | null> {
    return this.fanouts.commonArea(targets.areas, targets.groups.length === 0 ? targets.devices : await reached());
  }

  // ---- checks -------------------------------------------------------------------------------------------------

  private checkStart(startAt: number, now: number): void {
    if (startAt < now - this.config.schedulePastToleranceMs) {
      throw badRequest('schedule.start-past', { startAt: new Date(startAt).toISOString(), now: new Date(now).toISOString() });
    }
    if (startAt > now + YEAR_MS) throw badRequest('schedule.start-too-far');
  }

  /** Recurrence fields, validated and normalised. */
  private timing(input: ScheduleTimingInput, content: ContentEntity, current: ScheduleEntity | null): Pick<ScheduleEntity, 'rrule' | 'exdates' | 'timezone' | 'repeat' | 'gapMs' | 'timesOfDay' | 'rdates'> {
    const timezone = input.timezone ?? current?.timezone ?? this.config.timezone;
    if (!isIanaZone(timezone)) throw badRequest('schedule.timezone-invalid', { zone: timezone });
    // Stored as given (ICU would canonicalise Asia/Ho_Chi_Minh to the legacy Asia/Saigon).
    const zone = timezone;
    const rrule = input.rrule ? input.rrule.trim().replace(/^RRULE:/i, '').toUpperCase() : null;
    const exdates = input.exdates ?? [];
    const times = normaliseTimesOfDay(input.times ?? []);
    const rdates = [...new Set(input.rdates ?? [])].sort((a, b) => a - b);
    try {
      const rule = validateSpec({ dtstart: input.startAt, rrule, exdates, timezone: zone });
      if (times.length > 0 && rule && (rule.byHour || rule.byMinute)) throw badRequest('schedule.times-with-byhour');
    } catch (e) {
      if (e instanceof RecurrenceError) throw badRequest('schedule.rrule-invalid', { detail: e.message });
      throw e;
    }
    const repeat = input.repeat ?? 1;
    if (repeat > 1 && content.type !== 'audio') throw badRequest('schedule.repeat-audio-only', { type: content.type });
    return {
      rrule,
      exdates: [...new Set(exdates)],
      timezone: zone,
      repeat,
      gapMs: Math.round((input.gapSeconds ?? 0) * 1000),
      // Null rather than [] for a single-time schedule: the row stays as older ones are.
      timesOfDay: times.length > 0 ? times : null,
      rdates: rdates.length > 0 ? rdates : null,
    };
  }

  /** Refuses a schedule none of whose occurrences (within a year) falls inside the content's validity window. */
  private checkValidity(s: ScheduleEntity, content: ContentEntity, from: number): void {
    const any = occurrenceStarts(s, content, from, from + YEAR_MS, 1);
    if (any.length > 0) return;
    if (content.validFrom != null || content.validUntil != null) {
      throw badRequest('schedule.outside-validity', { id: content.id, from: iso(content.validFrom) ?? '-∞', until: iso(content.validUntil) ?? '∞' });
    }
    throw badRequest('schedule.no-occurrence');
  }

  private checkDensity(plan: Plan): void {
    if (plan.occurrences.length > MAX_OCCURRENCES_IN_HORIZON) {
      throw badRequest('schedule.too-dense', { count: plan.occurrences.length, max: MAX_OCCURRENCES_IN_HORIZON });
    }
  }

  /** 409 on unaccepted same-priority conflicts; the analysis alone for a dry run; null to go ahead and save. */
  private gate(report: ConflictReport, plan: Plan, input: { acceptConflicts?: boolean | undefined; dryRun?: boolean | undefined }): DryRunResult | null {
    if (input.dryRun) {
      return {
        dryRun: true,
        occurrences: plan.occurrences.map((o) => ({ startAt: new Date(o.startAt).toISOString(), durationMs: o.durationMs })),
        deviceCount: plan.deviceIds.length,
        conflicts: report.conflicts,
        conflictTotals: report.totals,
      };
    }
    if (report.totals.conflicts > 0 && !input.acceptConflicts) {
      throw new ConflictException({
        statusCode: 409,
        error: 'Conflict',
        message: `${report.totals.conflicts} overlap(s) with schedules of the same priority on ${report.totals.devices} device(s); resend with acceptConflicts: true to save anyway`,
        // Issue 19: coded like every refusal (the filter keeps a body that has code and params).
        code: 'schedule.conflicts' satisfies ErrorCode,
        params: { conflicts: report.totals.conflicts, devices: report.totals.devices },
        conflicts: report.conflicts,
        conflictTotals: report.totals,
      });
    }
    return null;
  }
}

function normTargets(t: CreateScheduleInput['targets']): TargetSpec {
  const out = { areas: [...new Set(t.areas ?? [])], groups: [...new Set(t.groups ?? [])], devices: [...new Set(t.devices ?? [])] };
  if (out.areas.length + out.groups.length + out.devices.length === 0) throw badRequest('schedule.no-targets');
  return out;
}

export { windowMs };

const reaches = (a: ScheduleApproval): boolean => REACHING.includes(a);

const approvalOf = (s: ScheduleEntity): ApprovalFields => ({
  approval: s.approval ?? 'not-required',
  approvedBy: s.approvedBy ?? null,
  approvedAt: s.approvedAt ?? null,
  rejectedBy: s.rejectedBy ?? null,
  rejectedAt: s.rejectedAt ?? null,
  rejectedReason: s.rejectedReason ?? null,
});

const approvalFields = (approval: ScheduleApproval, by: string, at: number): ApprovalFields => ({
  approval,
  approvedBy: by,
  approvedAt: at,
  rejectedBy: null,
  rejectedAt: null,
  rejectedReason: null,
});
