import { HttpException, Inject, Injectable } from '@nestjs/common';
import type { AnnouncementState, AnnouncementView, CreateAnnouncementRequest } from '@loa/shared/rest';
import { ScopeService } from '../auth/area-scope.js';
import type { UserPrincipal } from '../auth/principal.js';
import { Clock } from '../common/clock.js';
import { newId } from '../common/ids.js';
import { instantIn } from '../common/instant.js';
import { badRequest, forbidden, LoaError, notFound } from '../common/loa-error.js';
import { AppConfig } from '../config/app-config.js';
import { ContentsService } from '../contents/contents.service.js';
import type { AppLogger } from '../logging/logger.js';
import { LOGGER } from '../logging/logging.module.js';
import { SchedulesService, type ScheduleView } from '../schedules/schedules.service.js';
import { TtsEngineError } from '../tts/tts-engine.js';
import { TtsService } from '../tts/tts.service.js';
import type { AnnouncementEntity } from './announcement.entity.js';
import { AnnouncementsRepository } from './announcements.repository.js';

/** The request once parsed (defaults applied). */
export type AnnouncementInput = Omit<CreateAnnouncementRequest, 'source'> & {
  source: { kind: 'tts'; text: string; voice: 'male' | 'female'; accent: 'north' | 'central' | 'south'; speed: number } | { kind: 'recording'; mediaSha256: string };
};

/** Claimed while its schedule is being made (shown as awaiting-schedule): a second approval event finds nothing to do. */
const SCHEDULING = 'scheduling';
/** Making a schedule takes well under a second; one left `scheduling` this long was cut off by a stopped process. */
export const SCHEDULING_STALE_MS = 5 * 60_000;
const RESUME_BATCH = 200;

/**
 * Issue 19: "announce within the commune". One request makes the audio (TTS, or a recording already through the
 * media pipeline), an audio content and, once that content is approved, a commune-level schedule: the same
 * ContentsService and SchedulesService every operator goes through, so the installation's approval rules apply
 * unchanged (content approval by content kind, schedule approval by area level, device count and priority). Only
 * the gate is new: the targets must lie inside the user's own area, checked here rather than by role, so commune
 * officers announce without the general schedule editor (LOA_OFFICER_MAY_SCHEDULE stays off by default).
 */
@Injectable()
export class AnnouncementsService {
  constructor(
    private readonly repo: AnnouncementsRepository,
    private readonly contents: ContentsService,
    private readonly schedules: SchedulesService,
    private readonly tts: TtsService,
    private readonly scope: ScopeService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    @Inject(LOGGER) private readonly logger: AppLogger,
  ) {}

  async create(user: UserPrincipal, input: AnnouncementInput): Promise<AnnouncementView> {
    const areas = [...new Set(input.areas ?? (user.areaCode ? [user.areaCode] : []))];
    if (areas.length === 0) throw badRequest('announcement.no-area');
    const scope = await this.scope.of(user);
    for (const area of areas) if (!scope.contains(area)) throw forbidden('announcement.outside-area', { area, own: user.areaCode ?? '-' });
    const now = this.clock.now();
    const startAt = input.startAt === undefined ? null : instantIn(input.startAt, this.config.timezone);
    if (startAt !== null && startAt < now - this.config.schedulePastToleranceMs) throw badRequest('announcement.start-past', { at: input.startAt! });

    let mediaSha256: string;
    let spoken: string | null = null;
    if (input.source.kind === 'tts') {
      const { kind: _kind, ...speak } = input.source;
      const r = await this.tts.speak(speak, user.userId).catch((err: unknown) => {
        throw err instanceof TtsEngineError ? new LoaError(502, 'announcement.tts-failed', { reason: err.message }) : err;
      });
      mediaSha256 = r.ingest.media.sha256;
      spoken = speak.text;
    } else {
      mediaSha256 = input.source.mediaSha256;
    }
    // Submitted at once: the rules approve it straight away or put it in the approvers' queue.
    const content = await this.contents.create({ type: 'audio', title: input.title, mediaSha256, text: input.boardText, submit: true }, user.userId);
    const row: AnnouncementEntity = {
      id: newId(),
      title: input.title,
      contentId: content.id,
      scheduleId: null,
      areaCodes: areas,
      areaCode: user.areaCode,
      startAt,
      volume: input.volume ?? null,
      playCount: input.repeat ?? null,
      state: 'awaiting-content',
      reason: null,
      text: input.boardText ?? content.text ?? spoken,
      createdBy: user.userId,
      createdAt: now,
      updatedAt: null,
    };
    await this.repo.insert(row);
    this.logger.info({ ctx: 'announcements', id: row.id, contentId: content.id, areas, contentState: content.state, by: user.userId }, 'announcement created');
    if (content.state === 'approved') await this.schedule(row, true);
    return this.get(user, row.id);
  }

  /** The content was approved: its waiting announcements get their schedules (as their authors). */
  async contentApproved(contentId: string): Promise<void> {
    for (const row of await this.repo.awaitingContent(contentId)) await this.schedule(row, false);
  }

  async contentRejected(contentId: string): Promise<void> {
    for (const row of await this.repo.awaitingContent(contentId)) {
      await this.repo.transition(row.id, 'awaiting-content', { state: 'rejected', reason: 'content rejected', updatedAt: this.clock.now() });
    }
  }

  /**
   * The leader's safety net (job `announcements.resume`): the approval event lives in one process's memory, so an
   * announcement whose content was decided while that process stopped would wait for ever. Decided contents move their
   * announcements on; one left `scheduling` for SCHEDULING_STALE_MS gets the schedule its author already has (the
   * crash came after the commit) or a new one. Returns how many announcements moved.
   */
  async resume(): Promise<number> {
    let moved = 0;
    for (const { row, contentState } of await this.repo.awaitingDecided(RESUME_BATCH)) {
      if (contentState === 'approved') await this.schedule(row, false).catch((err: unknown) => this.logger.warn({ ctx: 'announcements', id: row.id, err: (err as Error).message }, 'announcement resume failed'));
      else await this.repo.transition(row.id, 'awaiting-content', { state: 'rejected', reason: 'content rejected', updatedAt: this.clock.now() });
      moved += 1;
    }
    for (const row of await this.repo.stuckIn(SCHEDULING, this.clock.now() - SCHEDULING_STALE_MS, RESUME_BATCH)) {
      const made = await this.repo.scheduleMadeFor(row);
      if (made) {
        if (await this.repo.transition(row.id, SCHEDULING, { state: 'scheduled', scheduleId: made, updatedAt: this.clock.now() })) moved += 1;
      } else if (await this.repo.transition(row.id, SCHEDULING, { state: 'awaiting-content', updatedAt: this.clock.now() })) {
        await this.schedule(row, false).catch((err: unknown) => this.logger.warn({ ctx: 'announcements', id: row.id, err: (err as Error).message }, 'announcement resume failed'));
        moved += 1;
      }
    }
    if (moved > 0) this.logger.info({ ctx: 'announcements', moved }, 'announcements resumed');
    return moved;
  }

  async list(user: UserPrincipal, limit: number): Promise<AnnouncementView[]> {
    const rows = await this.repo.recent(limit, (await this.scope.of(user)).pathPattern);
    return Promise.all(rows.map((r) => this.view(r)));
  }

  /** 404 outside the user's area, as any scoped read. */
  async get(user: UserPrincipal, id: string): Promise<AnnouncementView> {
    const row = await this.repo.find(id);
    const scope = await this.scope.of(user);
    if (!row || !row.areaCodes.every((a) => scope.contains(a))) throw notFound('announcement.not-found', { id });
    return this.view(row);
  }

  /**
   * Makes the schedule: at the time asked, or now when that has passed while the content waited. `direct`: in the
   * author's request, whose answer then carries the refusal; after an approval the refusal is kept as the reason.
   */
  private async schedule(row: AnnouncementEntity, direct: boolean): Promise<void> {
    const now = this.clock.now();
    // updatedAt marks when the making began, so resume() can tell a crashed attempt from a running one.
    if (!(await this.repo.transition(row.id, 'awaiting-content', { state: SCHEDULING, updatedAt: now }))) return;
    try {
      const r = await this.schedules.create(
        {
          contentId: row.contentId,
          startAt: Math.max(row.startAt ?? now, now),
          targets: { areas: row.areaCodes },
          priority: 'normal',
          volume: row.volume,
          repeat: row.playCount ?? undefined,
          // The commune's own bulletin is not held back by an overlap: both are reported on the calendar.
          acceptConflicts: true,
        },
        row.createdBy,
      );
      if ('dryRun' in r) throw new Error('unexpected dry run');
      await this.repo.transition(row.id, SCHEDULING, { state: 'scheduled', scheduleId: r.id, updatedAt: this.clock.now() });
      this.logger.info({ ctx: 'announcements', id: row.id, scheduleId: r.id }, 'announcement scheduled');
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      await this.repo.transition(row.id, SCHEDULING, { state: 'failed', reason, updatedAt: this.clock.now() });
      this.logger.warn({ ctx: 'announcements', id: row.id, err: reason }, 'announcement could not be scheduled');
      if (direct || !(err instanceof HttpException)) throw err;
    }
  }

  private async view(row: AnnouncementEntity): Promise<AnnouncementView> {
    const schedule: ScheduleView | null = row.scheduleId ? await this.schedules.get(row.scheduleId).catch(() => null) : null;
    let state: AnnouncementState;
    if (row.state === SCHEDULING) state = 'awaiting-schedule';
    else if (row.state === 'scheduled' && schedule?.approval === 'pending') state = 'awaiting-schedule';
    else if (row.state === 'scheduled' && schedule?.approval === 'rejected') state = 'rejected';
    else state = row.state as AnnouncementState;
    return {
      id: row.id,
      title: row.title,
      state,
      contentId: row.contentId,
      scheduleId: row.scheduleId,
      areas: row.areaCodes,
      startAt: row.startAt === null ? null : new Date(row.startAt).toISOString(),
      volume: row.volume,
      text: row.text,
      reason: state === 'rejected' && schedule?.rejectedReason ? schedule.rejectedReason : row.reason,
      createdBy: row.createdBy,
      createdAt: new Date(row.createdAt).toISOString(),
      summary: schedule?.summary ?? {},
      deviceCount: schedule?.deviceCount ?? 0,
    };
  }
}
