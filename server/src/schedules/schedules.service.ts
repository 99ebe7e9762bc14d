import { BadRequestException, ConflictException, Inject, Injectable, NotFoundException } from '@nestjs/common';
import { defaultOnPreempt, priorityRank, RecurrenceError, validateSpec, type PreemptPolicy, type Priority } from '@loa/shared';
import { ApprovalPolicy, type ApprovalFields } from '../approvals/approval-policy.js';
import { AppConfig } from '../config/app-config.js';
import { isIanaZone } from '../config/config.schema.js';
import { Clock } from '../common/clock.js';
import { newId } from '../common/ids.js';
import type { ContentEntity } from '../contents/content.entity.js';
import type { ScheduleTargetEntity } from './schedule-target.entity.js';
import type { ScheduleApproval, ScheduleEntity } from './schedule.entity.js';
import { requireApproved } from '../contents/content-lifecycle.js';
import { DeliveriesService } from '../deliveries/deliveries.service.js';
import { LOGGER } from '../logging/logging.module.js';
import type { AppLogger } from '../logging/logger.js';
import { ConflictAnalysis } from '../planning/conflict-analysis.js';
import type { ConflictNotice, ConflictReport } from '../planning/conflicts.js';
import { Materializer, NOTHING, occurrenceStarts, targetRows, targetSpec, windowMs, type Plan, type TargetSpec } from '../planning/materializer.js';
import { RENDERS } from '../targeting/targeting.js';
import { REACHING } from '../planning/planning.repository.js';
import { SchedulesRepository } from './schedules.repository.js';
import { isoOrNull as iso } from '../common/iso.js';
import type { DryRunResult, SaveResult, ScheduleView } from '@loa/shared/rest';
export type { DryRunResult, SaveResult, ScheduleView } from '@loa/shared/rest';

export { occurrenceId } from '../planning/materializer.js';

const YEAR_MS = 366 * 86_400_000;
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
 * Schedules: CRUD and approval. Materialisation is planning's (Materializer), called through a narrow interface
 * rather than told by events (schedule.created …) because a save's answer depends on it, synchronously: unknown
 * targets (400), same-priority conflicts (409), the dry-run preview, and the schedule row committing in the same
 * transaction as its deliveries. Planning alone then marks the affected timelines dirty.
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
  ) {}

  async create(input: CreateScheduleInput, userId: string): Promise<SaveResult | DryRunResult> {
    const now = this.clock.now();
    this.checkStart(input.startAt, now);
    const content = await this.repo.findContent(input.contentId);
    if (!content) throw new BadRequestException(`unknown content ${input.contentId}`);
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
    return this.materializer.exclusive(async () => {
      const plan = await this.materializer.plan(schedule, content, targets, now - this.config.schedulePastToleranceMs, now + this.materializer.horizonMs, true);
      if (plan.deviceIds.length === 0) throw new BadRequestException(`the targets contain no ${RENDERS[content.type]} device`);
      this.checkDensity(plan);
      const report = await this.conflicts.analyse(plan, schedule.priority, null, now);
      const early = this.gate(report, plan, input);
      if (early) return early;
      const { reasons, ...decision } = await this.approvals.onCreate({ priority: schedule.priority, targets, deviceCount: plan.deviceIds.length }, userId, now);
      Object.assign(schedule, decision);
      if (!reaches(decision.approval)) {
        // Saved with its targets but without occurrences or deliveries: approval materialises it.
        await this.materializer.insertNew(schedule.id, NOTHING, () => this.repo.insertSchedule({ ...schedule, generatedUntil: null }, targetRows(schedule.id, targets)));
        this.logger.info({ ctx: 'schedules', scheduleId: schedule.id, devices: plan.deviceIds.length, reasons }, 'schedule created, awaiting approval');
        return { ...(await this.get(schedule.id)), approvalReasons: reasons, conflicts: report.conflicts, conflictTotals: report.totals };
      }
      await this.materializer.insertNew(schedule.id, plan, () => this.repo.insertSchedule(schedule, targetRows(schedule.id, targets)));
      this.logger.info({ ctx: 'schedules', scheduleId: schedule.id, devices: plan.deviceIds.length, occurrences: plan.occurrences.length }, 'schedule created');
      return { ...(await this.get(schedule.id)), approvalReasons: reasons, conflicts: report.conflicts, conflictTotals: report.totals };
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
    if (current.status === 'cancelled') throw new ConflictException(`schedule ${id} is cancelled and cannot be edited`);
    if (patch.startAt !== undefined && patch.startAt !== current.startAt) this.checkStart(patch.startAt, now);
    const content = await this.repo.findContent(current.contentId);
    if (!content) throw new BadRequestException(`content ${current.contentId} no longer exists`);
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
    return this.materializer.exclusive(async () => {
      const plan = await this.materializer.plan(merged, content, targets, now + 1, now + this.materializer.horizonMs, patch.targets !== undefined);
      if (patch.targets && plan.deviceIds.length === 0) throw new BadRequestException(`the targets contain no ${RENDERS[content.type]} device`);
      this.checkDensity(plan);
      const report = await this.conflicts.analyse(plan, merged.priority, id, now);
      const early = this.gate(report, plan, patch);
      if (early) return early;
      const widened = await this.widens(current, merged, content, targets, plan, patch.targets !== undefined);
      const { reasons, ...decision } = await this.approvals.onUpdate(approvalOf(current), { priority: merged.priority, targets, deviceCount: plan.deviceIds.length }, widened, editedBy, now);
      Object.assign(merged, decision);
      if (!reaches(decision.approval)) {
        // Withdraws whatever this schedule still had queued on devices; approval brings it back.
        const withdrawn = await this.materializer.applyEdit(id, NOTHING, now, () => this.repo.updateSchedule({ ...merged, generatedUntil: null }, patch.targets ? targetRows(id, targets) : null));
        this.logger.info({ ctx: 'schedules', scheduleId: id, withdrawnFrom: withdrawn.size, reasons }, 'schedule edited, awaiting approval');
        return { ...(await this.get(id)), approvalReasons: reasons, conflicts: report.conflicts, conflictTotals: report.totals };
      }
      const slotChanged =
        merged.priority !== current.priority ||
        merged.volume !== current.volume ||
        (merged.onPreempt ?? null) !== (current.onPreempt ?? null) ||
        merged.repeat !== current.repeat ||
        merged.gapMs !== current.gapMs;
      const alsoDirty = slotChanged ? plan.deviceIds : [];
      const changed = await this.materializer.applyEdit(id, plan, now, () => this.repo.updateSchedule(merged, patch.targets ? targetRows(id, targets) : null), alsoDirty);
      const recompile = new Set([...changed, ...alsoDirty]);
      this.logger.info({ ctx: 'schedules', scheduleId: id, devices: recompile.size }, 'schedule edited');
      return { ...(await this.get(id)), approvalReasons: reasons, conflicts: report.conflicts, conflictTotals: report.totals };
    });
  }

  /**
   * Issue 7: accepts a pending schedule and materialises it exactly as a create without approval would have (from
   * now, within the past tolerance, to the horizon). Who may approve is decided by the caller (approvals/).
   */
  async approve(id: string, userId: string): Promise<ScheduleView> {
    return this.materializer.exclusive(async () => {
      const now = this.clock.now();
      const current = await this.requirePending(id, 'approve');
      const content = await this.repo.findContent(current.contentId);
      if (!content) throw new BadRequestException(`content ${current.contentId} no longer exists`);
      requireApproved(content, 'scheduled');
      const s: ScheduleEntity = { ...current, ...approvalFields('approved', userId, now), generatedUntil: now + this.materializer.horizonMs, updatedAt: now };
      const from = now - this.config.schedulePastToleranceMs;
      if (occurrenceStarts(s, content, from, from + YEAR_MS, 1).length === 0) {
        throw new ConflictException(`schedule ${id} has no occurrence left to play (its start has passed); edit its timing first`);
      }
      const plan = await this.materializer.plan(s, content, targetSpec(await this.repo.targets(id)), from, now + this.materializer.horizonMs, false);
      await this.materializer.applyEdit(id, plan, from, () => this.repo.updateSchedule(s, null));
      this.logger.info({ ctx: 'schedules', scheduleId: id, approvedBy: userId, devices: plan.deviceIds.length, occurrences: plan.occurrences.length }, 'schedule approved');
      return this.get(id);
    });
  }

  /** Issue 7: refuses a pending schedule; it stays without deliveries. Editing it resubmits it. */
  async reject(id: string, reason: string, userId: string): Promise<ScheduleView> {
    await this.requirePending(id, 'reject');
    const now = this.clock.now();
    const ok = await this.repo.decidePending(id, { approval: 'rejected', rejectedBy: userId, rejectedAt: now, rejectedReason: reason, updatedAt: now });
    if (!ok) throw new ConflictException(`schedule ${id} changed meanwhile: cannot reject it`);
    this.logger.info({ ctx: 'schedules', scheduleId: id, rejectedBy: userId }, 'schedule rejected');
    return this.get(id);
  }

  /** Active schedules waiting for an approver. */
  async pending(): Promise<ScheduleView[]> {
    return Promise.all((await this.repo.pendingApproval()).map((s) => this.get(s.id)));
  }

  /**
   * Withdraws a schedule: deliveries of occurrences starting after now that are not yet playing become `skipped`
   * with reason "cancelled" (kept, so the proof of play shows the withdrawal rather than a silent gap), and every
   * device holding one gets a new timeline without them. Cancelling twice is harmless.
   */
  async cancel(id: string): Promise<ScheduleView> {
    const s = await this.require(id);
    if (s.status === 'active') {
      await this.materializer.exclusive(async () => {
        const now = this.clock.now();
        const devices = await this.materializer.withdraw(id, now, () => this.repo.markCancelled(id, now));
        this.logger.info({ ctx: 'schedules', scheduleId: id, devices: devices.length }, 'schedule cancelled');
      });
    }
    return this.get(id);
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
    return this.materializer.resolveTargets(targetSpec(targets), RENDERS[content.type], false);
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
    if (!isIanaZone(zone)) throw new BadRequestException(`timezone "${zone}" is not an IANA time zone`);
    return zone;
  }

  async require(id: string): Promise<ScheduleEntity> {
    const s = await this.repo.find(id);
    if (!s) throw new NotFoundException(`schedule ${id} not found`);
    return s;
  }

  private async requirePending(id: string, action: string): Promise<ScheduleEntity> {
    const s = await this.require(id);
    if (s.status === 'cancelled') throw new ConflictException(`schedule ${id} is cancelled: cannot ${action} it`);
    if (s.approval !== 'pending') throw new ConflictException(`schedule ${id} is ${s.approval ?? 'not-required'}: only a pending schedule can be ${action === 'approve' ? 'approved' : 'rejected'}`);
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
    const before = new Set(await this.materializer.resolveTargets(old, RENDERS[content.type], false));
    if (plan.deviceIds.some((d) => !before.has(d))) return true;
    const was = await this.approvals.requirement({ priority: current.priority, targets: old, deviceCount: before.size });
    const will = await this.approvals.requirement({ priority: merged.priority, targets, deviceCount: plan.deviceIds.length });
    return will.required && !was.required;
  }

  // ---- checks -------------------------------------------------------------------------------------------------

  private checkStart(startAt: number, now: number): void {
    if (startAt < now - this.config.schedulePastToleranceMs) {
      throw new BadRequestException(`startAt ${new Date(startAt).toISOString()} is in the past (server time ${new Date(now).toISOString()})`);
    }
    if (startAt > now + YEAR_MS) throw new BadRequestException('startAt is more than a year ahead');
  }

  /** Recurrence fields, validated and normalised. */
  private timing(input: ScheduleTimingInput, content: ContentEntity, current: ScheduleEntity | null): Pick<ScheduleEntity, 'rrule' | 'exdates' | 'timezone' | 'repeat' | 'gapMs'> {
    const timezone = input.timezone ?? current?.timezone ?? this.config.timezone;
    if (!isIanaZone(timezone)) throw new BadRequestException(`timezone "${timezone}" is not an IANA time zone`);
    // Stored as given (ICU would canonicalise Asia/Ho_Chi_Minh to the legacy Asia/Saigon).
    const zone = timezone;
    const rrule = input.rrule ? input.rrule.trim().replace(/^RRULE:/i, '').toUpperCase() : null;
    const exdates = input.exdates ?? [];
    try {
      validateSpec({ dtstart: input.startAt, rrule, exdates, timezone: zone });
    } catch (e) {
      if (e instanceof RecurrenceError) throw new BadRequestException(`rrule: ${e.message}`);
      throw e;
    }
    const repeat = input.repeat ?? 1;
    if (repeat > 1 && content.type !== 'audio') throw new BadRequestException(`repeat applies to audio content only (this content is ${content.type})`);
    return { rrule, exdates: [...new Set(exdates)], timezone: zone, repeat, gapMs: Math.round((input.gapSeconds ?? 0) * 1000) };
  }

  /** Refuses a schedule none of whose occurrences (within a year) falls inside the content's validity window. */
  private checkValidity(s: ScheduleEntity, content: ContentEntity, from: number): void {
    const any = occurrenceStarts(s, content, from, from + YEAR_MS, 1);
    if (any.length > 0) return;
    if (content.validFrom != null || content.validUntil != null) {
      throw new BadRequestException(
        `content ${content.id} is valid only from ${iso(content.validFrom) ?? '-∞'} until ${iso(content.validUntil) ?? '∞'}: no occurrence of this schedule falls inside it`,
      );
    }
    throw new BadRequestException('the schedule has no occurrence in the coming year (check startAt, rrule and exdates)');
  }

  private checkDensity(plan: Plan): void {
    if (plan.occurrences.length > MAX_OCCURRENCES_IN_HORIZON) {
      throw new BadRequestException(`the rule yields ${plan.occurrences.length} occurrences within the timeline horizon (at most ${MAX_OCCURRENCES_IN_HORIZON})`);
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
        conflicts: report.conflicts,
        conflictTotals: report.totals,
      });
    }
    return null;
  }
}

function normTargets(t: CreateScheduleInput['targets']): TargetSpec {
  const out = { areas: [...new Set(t.areas ?? [])], groups: [...new Set(t.groups ?? [])], devices: [...new Set(t.devices ?? [])] };
  if (out.areas.length + out.groups.length + out.devices.length === 0) throw new BadRequestException('give at least one area, group or device');
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
