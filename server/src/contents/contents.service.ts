import { ConflictException, Injectable, Optional, type OnModuleInit } from '@nestjs/common';
import type { Readable } from 'node:stream';
import { boardPage, renderBoard, type BoardView, type TextStyle } from '@loa/shared';
import { Clock } from '../common/clock.js';
import { newId } from '../common/ids.js';
import type { ContentEventEntity } from './content-event.entity.js';
import type { ContentEntity, ContentState, ContentType } from './content.entity.js';
import type { MediaEntity } from '../media/media.entity.js';
import { BoardProfilesService, DEFAULT_BOARD_SIZE } from '../board-profiles/board-profiles.service.js';
import { DomainEvents } from '../domain-events/domain-events.js';
import { ApprovalRulesService } from '../approvals/approval-rules.service.js';
import { ContentCategoriesService } from '../content-categories/content-categories.service.js';
import { contentNeedsApprover } from '../approvals/approval-rules.js';
import { ContentImages } from './content-images.js';
import { isEditable, nextState, type LifecycleAction } from './content-lifecycle.js';
import { ContentsRepository, type TransitionRecord } from './contents.repository.js';
import { isoOrNull as iso } from '../common/iso.js';
import type { ContentStepView, ContentView } from '@loa/shared/rest';
import { badRequest, conflict, notFound } from '../common/loa-error.js';
export type { ContentStepView, ContentView } from '@loa/shared/rest';

interface Validity {
  validFrom?: number | undefined;
  validUntil?: number | undefined;
}

/** Issue 16: a content category code; null (updates) clears it. Issue 18: marked for emergencies. */
interface Classified {
  category?: string | null | undefined;
  emergency?: boolean | undefined;
}

export interface LifecycleFlags {
  /** Submit for approval straight away. */
  submit?: boolean | undefined;
  /** Submit and approve as the same user (until roles arrive, admins may approve their own content). */
  approve?: boolean | undefined;
}

export type CreateContentInput = Validity &
  LifecycleFlags &
  Classified &
  (
    | { type: 'audio'; title: string; mediaSha256: string; /** Issue 18: the board text it carries. */ text?: string | undefined }
    | { type: 'text'; title: string; text: string; displaySeconds: number; style?: TextStyle | undefined }
    | { type: 'relay'; title: string; url: string; durationSeconds: number }
  );

export interface ImageContentInput extends Validity, LifecycleFlags, Classified {
  title: string;
  displaySeconds: number;
  fit?: 'contain' | 'cover' | undefined;
  background?: string | undefined;
}

export interface UpdateContentInput extends Validity, Classified {
  title?: string | undefined;
  text?: string | undefined;
  displaySeconds?: number | undefined;
  style?: TextStyle | null | undefined;
  mediaSha256?: string | undefined;
  url?: string | undefined;
  durationSeconds?: number | undefined;
}

const lastStep = (events: readonly ContentEventEntity[], action: string): ContentEventEntity | undefined => events.filter((e) => e.action === action).at(-1);

export const contentView = (c: ContentEntity, events: readonly ContentEventEntity[] = []): ContentView => {
  const submitted = lastStep(events, 'submit');
  const approved = lastStep(events, 'approve');
  const rejected = lastStep(events, 'reject');
  const archived = lastStep(events, 'archive');
  return {
    id: c.id,
    type: c.type,
    title: c.title,
    state: c.state ?? 'draft',
    mediaSha256: c.mediaSha256,
    text: c.text,
    url: c.url ?? null,
    style: c.style ?? null,
    image: c.imageSha256 ? { sha256: c.imageSha256, width: c.imageWidth ?? null, height: c.imageHeight ?? null } : null,
    durationMs: c.durationMs,
    validFrom: iso(c.validFrom),
    validUntil: iso(c.validUntil),
    createdBy: c.createdBy,
    createdAt: new Date(c.createdAt).toISOString(),
    updatedAt: iso(c.updatedAt),
    submittedBy: submitted?.userId ?? null,
    submittedAt: iso(submitted?.at),
    approvedBy: approved?.userId ?? null,
    approvedAt: iso(approved?.at),
    rejectedBy: rejected?.userId ?? null,
    rejectedAt: iso(rejected?.at),
    rejectReason: c.rejectReason ?? null,
    archivedBy: archived?.userId ?? null,
    archivedAt: iso(archived?.at),
    history: events.map((e) => ({ action: e.action, from: e.fromState, to: e.toState, by: e.userId, at: new Date(e.at).toISOString(), reason: e.reason })),
    category: c.category ?? null,
    origin: c.originPeerId && c.originId ? { peerId: c.originPeerId, peerName: c.originPeerName ?? c.originPeerId, originId: c.originId, priority: c.originPriority ?? null, category: c.originCategory ?? null } : null,
    emergency: c.emergency === true,
  };
};

/** Who approved a content the approval rules let through: no person did, so no user id is recorded. */
export const RULE_APPROVER = 'approval-rules';
const autoApproval = (type: ContentType, at: number): TransitionRecord => ({
  action: 'approve',
  from: 'submitted',
  to: 'approved',
  userId: RULE_APPROVER,
  at,
  reason: `auto-approved: the approval rules need no approver for ${type} content`,
});

/**
 * Initial steps for a new content: created as draft, then optionally submitted and approved by the creator, or
 * approved by the rules when they need no approver for its kind.
 */
function initialSteps(flags: LifecycleFlags, userId: string, at: number, type: ContentType, needsApprover: boolean): { state: ContentState; steps: TransitionRecord[] } {
  const steps: TransitionRecord[] = [{ action: 'create', from: null, to: 'draft', userId, at }];
  if (flags.submit || flags.approve) steps.push({ action: 'submit', from: 'draft', to: 'submitted', userId, at });
  if (flags.approve) steps.push({ action: 'approve', from: 'submitted', to: 'approved', userId, at });
  else if (flags.submit && !needsApprover) steps.push(autoApproval(type, at));
  return { state: steps.at(-1)!.to, steps };
}

/**
 * A bulletin (audio for speakers), a message or image (boards), or a live relay of an upstream stream (speakers),
 * with its lifecycle: draft → submitted → approved | rejected → archived. Only approved content is scheduled.
 */
@Injectable()
export class ContentsService implements OnModuleInit {
  constructor(
    private readonly repo: ContentsRepository,
    private readonly images: ContentImages,
    private readonly profiles: BoardProfilesService,
    private readonly clock: Clock,
    private readonly events: DomainEvents,
    /** Issue 7; without it (hand-wired tests) every content kind waits for an approver, as before the rules. */
    @Optional() private readonly rules?: ApprovalRulesService,
    /** Issue 16; without it (hand-wired tests) a category is taken unchecked. */
    @Optional() private readonly categories?: ContentCategoriesService,
  ) {}

  onModuleInit(): void {
    // A new or resized profile: prepare every image for it, then its boards get timelines that point at it
    // (dispatch, on content.boardImagesReady); the profile's answer follows them.
    this.profiles.onResolution(async (profile, devices) => {
      for (const c of await this.repo.activeImages()) await this.images.prepareAll(c, [profile]);
      if (devices.length > 0) await this.events.emitAsync('content.boardImagesReady', { profileId: profile.id, deviceIds: devices });
    });
  }

  async create(input: CreateContentInput, userId: string): Promise<ContentView> {
    checkValidity(input.validFrom, input.validUntil);
    await this.checkCategory(input.category);
    let durationMs: number;
    /** Issue 18: audio made by TTS shows what it says on boards, unless the request gives a board text. */
    let spokenText: string | null = null;
    if (input.type === 'audio') {
      const media = await this.audioMedia(input.mediaSha256);
      durationMs = media.durationMs;
      spokenText = boardTextOf(media.spokenText);
    } else if (input.type === 'text') {
      durationMs = Math.round(input.displaySeconds * 1000);
    } else {
      durationMs = Math.round(input.durationSeconds * 1000);
    }
    const now = this.clock.now();
    const { state, steps } = initialSteps(input, userId, now, input.type, await this.needsApprover(input.type));
    const content: ContentEntity = {
      id: newId(),
      type: input.type,
      title: input.title,
      mediaSha256: input.type === 'audio' ? input.mediaSha256 : null,
      text: input.type === 'text' ? input.text : input.type === 'audio' ? (input.text ?? spokenText) : null,
      url: input.type === 'relay' ? input.url : null,
      style: input.type === 'text' && input.style && Object.keys(input.style).length > 0 ? { ...input.style } : null,
      durationMs,
      validFrom: input.validFrom ?? null,
      validUntil: input.validUntil ?? null,
      createdBy: userId,
      createdAt: now,
      state,
      rejectReason: null,
      updatedAt: null,
      category: input.category ?? null,
      emergency: input.emergency ?? false,
    };
    await this.repo.insert(content, steps);
    this.events.emit('content.stateChanged', { contentId: content.id, state: state, by: userId });
    return this.get(content.id);
  }

  /** An image content from an uploaded PNG/JPEG/WebP: validated, stored, and resized for every board profile. */
  async createImage(body: Readable, declaredBytes: number | undefined, input: ImageContentInput, userId: string): Promise<ContentView> {
    checkValidity(input.validFrom, input.validUntil);
    await this.checkCategory(input.category);
    const img = await this.images.receive(body, declaredBytes);
    const now = this.clock.now();
    const { state, steps } = initialSteps(input, userId, now, 'image', await this.needsApprover('image'));
    const style: Record<string, string> = { fit: input.fit ?? 'contain', ...(input.background ? { background: input.background } : {}) };
    const content: ContentEntity = {
      id: newId(),
      type: 'image',
      title: input.title,
      mediaSha256: null,
      text: null,
      url: null,
      style,
      imageSha256: img.sha256,
      imageWidth: img.width,
      imageHeight: img.height,
      durationMs: Math.round(input.displaySeconds * 1000),
      validFrom: input.validFrom ?? null,
      validUntil: input.validUntil ?? null,
      createdBy: userId,
      createdAt: now,
      state,
      rejectReason: null,
      updatedAt: null,
      category: input.category ?? null,
    };
    await this.repo.insert(content, steps);
    this.events.emit('content.stateChanged', { contentId: content.id, state: state, by: userId });
    await this.images.prepareAll(content, await this.profileEntities());
    return this.get(content.id);
  }

  /** Edits a draft or rejected content; approved content is immutable (create a new one). */
  async update(id: string, patch: UpdateContentInput, userId: string): Promise<ContentView> {
    const c = await this.require(id);
    const state = c.state ?? 'draft';
    if (!isEditable(state)) throw state === 'approved' ? conflict('content.approved-not-editable', { id }) : conflict('content.not-editable', { id, state });
    const next: Partial<ContentEntity> = { updatedAt: this.clock.now() };
    if (patch.title !== undefined) next.title = patch.title;
    if (patch.validFrom !== undefined) next.validFrom = patch.validFrom;
    if (patch.validUntil !== undefined) next.validUntil = patch.validUntil;
    if (patch.category !== undefined) {
      await this.checkCategory(patch.category);
      next.category = patch.category;
    }
    checkValidity(next.validFrom ?? c.validFrom ?? undefined, next.validUntil ?? c.validUntil ?? undefined);
    const wrongType = (field: string): never => {
      throw badRequest('content.field-not-applicable', { field, type: c.type });
    };
    if (patch.emergency !== undefined) next.emergency = patch.emergency;
    // Issue 18: an audio content may carry a board text too.
    if (patch.text !== undefined) (c.type === 'text' || c.type === 'audio' ? (next.text = patch.text) : wrongType('text'));
    if (patch.style !== undefined) (c.type === 'text' ? (next.style = patch.style && Object.keys(patch.style).length > 0 ? { ...patch.style } : null) : wrongType('style'));
    if (patch.displaySeconds !== undefined) (c.type === 'text' || c.type === 'image' ? (next.durationMs = Math.round(patch.displaySeconds * 1000)) : wrongType('displaySeconds'));
    if (patch.url !== undefined) (c.type === 'relay' ? (next.url = patch.url) : wrongType('url'));
    if (patch.durationSeconds !== undefined) (c.type === 'relay' ? (next.durationMs = Math.round(patch.durationSeconds * 1000)) : wrongType('durationSeconds'));
    if (patch.mediaSha256 !== undefined) {
      if (c.type !== 'audio') wrongType('mediaSha256');
      next.mediaSha256 = patch.mediaSha256;
      next.durationMs = await this.audioDuration(patch.mediaSha256);
    }
    const ok = await this.repo.transition(id, state, next, { action: 'edit', from: state, to: state, userId, at: next.updatedAt! });
    if (!ok) throw await this.moved(id, 'edit');
    return this.get(id);
  }

  /** 400 for a category that does not exist; null and absent need no check. */
  private async checkCategory(code: string | null | undefined): Promise<void> {
    if (code !== undefined && code !== null) await this.categories?.requireExisting(code);
  }

  /** Submits for approval; when the approval rules need no approver for this kind, the rules approve it at once. */
  async submit(id: string, userId: string): Promise<ContentView> {
    const view = await this.step(id, 'submit', userId);
    if (await this.needsApprover(view.type)) return view;
    const now = this.clock.now();
    const ok = await this.repo.transition(id, 'submitted', { state: 'approved', updatedAt: now }, autoApproval(view.type, now));
    if (!ok) throw await this.moved(id, 'approve');
    this.events.emit('content.stateChanged', { contentId: id, state: 'approved', by: RULE_APPROVER });
    if (view.type === 'image') await this.images.prepareAll(await this.require(id), await this.profileEntities());
    return this.get(id);
  }

  /** Until roles arrive, any user (an administrator) may approve, including their own content. */
  async approve(id: string, userId: string): Promise<ContentView> {
    const view = await this.step(id, 'approve', userId);
    if (view.type === 'image') await this.images.prepareAll(await this.require(id), await this.profileEntities());
    return view;
  }

  async reject(id: string, reason: string, userId: string): Promise<ContentView> {
    return this.step(id, 'reject', userId, reason);
  }

  /**
   * Withdraws a content from use: it can no longer be scheduled, and its active schedules are cancelled like an
   * operator's cancel (deliveries not yet played become `skipped`, "cancelled"; devices get timelines without them,
   * which stops an occurrence playing now). Slots carry only approved content, so an archived one leaves the devices.
   * The state changes first, so no new schedule can take the content while the old ones are withdrawn.
   */
  async archive(id: string, userId: string): Promise<ContentView> {
    const view = await this.step(id, 'archive', userId);
    // Schedules withdraw themselves on this event; awaited, so the answer follows the withdrawal (as before).
    await this.events.emitAsync('content.archived', { contentId: id, by: userId });
    return view;
  }

  async get(id: string): Promise<ContentView> {
    const c = await this.require(id);
    return contentView(c, await this.repo.events([id]));
  }

  /** `emergency`: only the content marked for emergencies (true) or only the rest (false). */
  async list(filter: { emergency?: boolean | undefined } = {}): Promise<ContentView[]> {
    const all = (await this.repo.list()).filter((c) => filter.emergency === undefined || (c.emergency === true) === filter.emergency);
    const events = await this.repo.events(all.map((c) => c.id));
    const byContent = new Map<string, ContentEventEntity[]>();
    for (const e of events) byContent.set(e.contentId, [...(byContent.get(e.contentId) ?? []), e]);
    return all.map((c) => contentView(c, byContent.get(c.id) ?? []));
  }

  /** The board page for this content at a profile's resolution (1920×1080 without one): what the board shows. */
  async preview(id: string, profileId: string | undefined): Promise<string> {
    const c = await this.require(id);
    const profile = profileId ? await this.profiles.require(profileId, true) : null;
    const size = profile ? { width: profile.width, height: profile.height } : DEFAULT_BOARD_SIZE;
    let view: BoardView;
    if (c.type === 'text') {
      view = { type: 'text', title: c.title, text: c.text ?? '', style: (c.style ?? undefined) as TextStyle | undefined };
    } else if (c.type === 'image') {
      const v = await this.images.variantFor(c, profile);
      const style = (c.style ?? {}) as { fit?: 'contain' | 'cover'; background?: string };
      view = { type: 'image', title: c.title, src: await this.images.dataUri(v.sha256, v.mime), fit: style.fit, background: style.background };
    } else {
      throw badRequest('content.not-for-boards', { id, type: c.type });
    }
    return boardPage({ content: renderBoard(view), size, title: `Xem trước — ${c.title}` });
  }

  private async step(id: string, action: LifecycleAction, userId: string, reason?: string): Promise<ContentView> {
    const c = await this.require(id);
    const from = c.state ?? 'draft';
    const to = nextState(from, action);
    if (!to) throw conflict('content.bad-step', { id, state: from, action });
    const now = this.clock.now();
    const patch: Partial<ContentEntity> = { state: to, updatedAt: now };
    if (action === 'reject') patch.rejectReason = reason ?? null;
    if (action === 'submit') patch.rejectReason = null;
    const ok = await this.repo.transition(id, from, patch, { action, from, to, userId, at: now, reason: reason ?? null });
    if (!ok) throw await this.moved(id, action);
    this.events.emit('content.stateChanged', { contentId: id, state: to, by: userId });
    return this.get(id);
  }

  private async needsApprover(type: ContentType): Promise<boolean> {
    return this.rules ? contentNeedsApprover(await this.rules.get(), type) : true;
  }

  private async moved(id: string, action: string): Promise<ConflictException> {
    const now = await this.repo.find(id);
    return conflict('content.changed-meanwhile', { id, state: now?.state ?? 'gone', action });
  }

  private async require(id: string): Promise<ContentEntity> {
    const c = await this.repo.find(id);
    if (!c) throw notFound('content.not-found', { id });
    return c;
  }

  private async audioDuration(sha256: string): Promise<number> {
    return (await this.audioMedia(sha256)).durationMs;
  }

  private async audioMedia(sha256: string): Promise<MediaEntity> {
    const media = await this.repo.findMedia(sha256);
    if (!media) throw badRequest('media.unknown', { id: sha256 });
    if (media.mime.startsWith('image/')) throw badRequest('media.is-image', { id: sha256 });
    return media;
  }

  private async profileEntities() {
    return Promise.all((await this.profiles.list()).map((p) => this.profiles.require(p.id)));
  }
}

/** A board shows at most 5,000 characters (the text slot's limit); longer speech is cut with an ellipsis. */
const BOARD_TEXT_MAX = 5000;

/** The board text of a synthesised media's words; null when it has none. */
function boardTextOf(spoken: string | null | undefined): string | null {
  const t = spoken?.trim();
  if (!t) return null;
  return t.length <= BOARD_TEXT_MAX ? t : `${t.slice(0, BOARD_TEXT_MAX - 1).trimEnd()}…`;
}

function checkValidity(from: number | undefined, until: number | undefined): void {
  if (from !== undefined && until !== undefined && until <= from) throw badRequest('validity.order');
}
