import { Injectable, NotFoundException } from '@nestjs/common';
import { createHash, randomBytes } from 'node:crypto';
import { localParts, priorityLabelVi, zonedToUtc } from '@loa/shared';
import { CALENDAR_DAYS_AHEAD, CALENDAR_DAYS_BACK, type CalendarTokenCreated, type CalendarTokenStatus } from '@loa/shared/rest';
import { ScopeService, type AreaScope } from '../auth/area-scope.js';
import type { Role, UserPrincipal } from '../auth/principal.js';
import { Clock } from '../common/clock.js';
import { AppConfig } from '../config/app-config.js';
import type { ContentEntity } from '../contents/content.entity.js';
import { ScheduleVisibility } from '../overview/schedule-visibility.repository.js';
import { occurrenceId, occurrenceStarts, windowMs } from '../planning/materializer.js';
import { REACHING } from '../planning/planning.repository.js';
import type { ScheduleEntity } from '../schedules/schedule.entity.js';
import { CalendarFeedRepository, type NamedTarget } from './calendar-feed.repository.js';
import { renderCalendar, type FeedEvent } from './calendar-ics.js';
import { CalendarTokensRepository } from './calendar-tokens.repository.js';

/** `<token>.ics`: 32 random bytes in base64url (43 characters, 256 bits), so the URL alone can authenticate. */
const FEED_FILE = /^([A-Za-z0-9_-]{43})\.ics$/;
/** Events per feed at most (the earliest kept): a nationwide admin's two months would otherwise be unbounded. */
export const MAX_FEED_EVENTS = 5_000;
/** A fetch is recorded at most this often: calendar apps poll, and "last used" needs no finer grain than this. */
const TOUCH_EVERY_MS = 60_000;

const hashOf = (token: string): string => createHash('sha256').update(token).digest('hex');

const ICAL_PRIORITY: Readonly<Record<string, number>> = { emergency: 1, priority: 3, normal: 5 };
const CONTENT_KIND_VI: Readonly<Record<string, string>> = { audio: 'Âm thanh', text: 'Văn bản (đọc bằng giọng nói hoặc hiển thị)', relay: 'Tiếp sóng', image: 'Hình ảnh (bảng tin)' };

/** The feed's body and its validator; the controller answers 304 when the client holds this ETag. */
export interface CalendarFeed {
  body: string;
  etag: string;
}

const duration = (ms: number): string => {
  const s = Math.round(ms / 1000);
  const m = Math.floor(s / 60);
  return m === 0 ? `${s} giây` : s % 60 === 0 ? `${m} phút` : `${m} phút ${s % 60} giây`;
};

/**
 * Calendar links and the feed behind them (issue 16). A link is a random token shown once; only its hash is stored,
 * and the feed finds its owner by that hash (an index lookup on a digest: how long it takes says nothing about the
 * token, so no constant-time compare is needed, and 256 bits leave nothing to guess). The feed is computed as the
 * owner's account is at the time of the request: a disabled owner's link answers 404, a changed role or area shows at
 * the next fetch. Every refusal is the same 404 with the same text, whatever the reason.
 */
@Injectable()
export class CalendarService {
  constructor(
    private readonly tokens: CalendarTokensRepository,
    private readonly feeds: CalendarFeedRepository,
    private readonly visibility: ScheduleVisibility,
    private readonly scope: ScopeService,
    private readonly clock: Clock,
    private readonly config: AppConfig,
  ) {}

  async status(user: UserPrincipal): Promise<CalendarTokenStatus> {
    const row = await this.tokens.get(user.userId);
    const iso = (ms: number | null | undefined): string | null => (ms === null || ms === undefined ? null : new Date(ms).toISOString());
    return { exists: row !== null, createdAt: iso(row?.createdAt), lastUsedAt: iso(row?.lastUsedAt) };
  }

  /** A new link for the caller, replacing any previous one. `origin`: the request's, when LOA_PUBLIC_HTTP_URL is unset. */
  async create(user: UserPrincipal, origin: string): Promise<CalendarTokenCreated> {
    const token = randomBytes(32).toString('base64url');
    const now = this.clock.now();
    await this.tokens.put({ userId: user.userId, tokenHash: hashOf(token), createdAt: now, lastUsedAt: null });
    const url = `${this.config.publicHttpUrl ?? origin}/api/v1/calendar/${token}.ics`;
    return { url, webcalUrl: url.replace(/^https?:/, 'webcal:'), createdAt: new Date(now).toISOString() };
  }

  /** Idempotent: revoking without a link is not an error. */
  async revoke(user: UserPrincipal): Promise<void> {
    await this.tokens.remove(user.userId);
  }

  async feed(file: string, q: { areaCode?: string | undefined }): Promise<CalendarFeed> {
    const match = FEED_FILE.exec(file);
    if (!match) throw notFound();
    const hash = hashOf(match[1]!);
    const owner = await this.tokens.ownerOf(hash);
    if (!owner || owner.disabled) throw notFound();
    const now = this.clock.now();
    if (owner.lastUsedAt === null || now - owner.lastUsedAt >= TOUCH_EVERY_MS) await this.tokens.touch(owner.userId, hash, now);

    const user: UserPrincipal = { type: 'user', userId: owner.userId, username: owner.username, role: owner.role as Role, areaCode: owner.areaCode };
    const own = await this.scope.of(user);
    let scope = own;
    let areaCode = owner.areaCode;
    if (q.areaCode !== undefined) {
      if (!own.contains(q.areaCode)) throw notFound();
      scope = await this.scope.of({ ...user, areaCode: q.areaCode });
      areaCode = q.areaCode;
    }
    const area = areaCode === null ? null : await this.feeds.area(areaCode);
    // A scoped user whose area is gone sees nothing (ScopeService) rather than everything.
    const name = `Loa – ${area?.name ?? (own.all ? 'Toàn quốc' : areaCode ?? '')}`;
    const window = this.window(now);
    const events = await this.events(scope, window, now);
    const body = renderCalendar(name, this.config.timezone, window, events);
    return { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
  }

  /** Whole local days: a week back to 60 days ahead, so the body (and its ETag) changes at most once a day by itself. */
  private window(now: number): { from: number; to: number } {
    const zone = this.config.timezone;
    const p = localParts(now, zone);
    const midnight = (days: number): number => {
      const d = new Date(Date.UTC(p.y, p.m - 1, p.d + days));
      return zonedToUtc(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), 0, 0, 0, zone);
    };
    return { from: midnight(-CALENDAR_DAYS_BACK), to: midnight(CALENDAR_DAYS_AHEAD + 1) };
  }

  /**
   * One event per occurrence of every schedule the scope may read (ScheduleVisibility: a delivery or a target in the
   * subtree). Occurrences planning has stored are used as they are (what devices were sent); past the planning horizon
   * the schedule's rule is expanded with the same function planning uses (`occurrenceStarts`), under the same
   * deterministic ids, so an event keeps its UID when planning later stores it. Expanded events rather than RRULE:
   * Loa's rule differs from RFC 5545 where a calendar app would show broadcasts that never air (DTSTART is an
   * occurrence only when it matches the rule; whole-day exclusions are local dates), and a phone then needs nothing
   * but VEVENTs.
   */
  private async events(scope: AreaScope, window: { from: number; to: number }, now: number): Promise<FeedEvent[]> {
    const candidates = await this.feeds.candidates(window.from, window.to);
    const ids = [...(await this.visibility.visibleIds(scope, candidates))].sort();
    if (ids.length === 0) return [];
    const schedules = await this.feeds.schedules(ids);
    const contents = await this.feeds.contents(schedules.map((s) => s.contentId));
    const targets = groupBy(await this.feeds.targets(ids), (t) => t.scheduleId);
    const stored = groupBy(await this.feeds.occurrences(ids, window.from, window.to), (o) => o.scheduleId);

    const out: FeedEvent[] = [];
    for (const s of schedules) {
      const content = contents.get(s.contentId);
      const occurrences = new Map((stored.get(s.id) ?? []).map((o) => [o.id, { start: o.startAt, durationMs: o.durationMs }]));
      if (content && s.status === 'active' && REACHING.includes(s.approval ?? 'not-required')) {
        // Planning has stored occurrences up to generated_until (and dropped those it meant to drop): expand beyond.
        const from = Math.max(window.from, now, s.generatedUntil ?? 0);
        const length = windowMs(content, s.repeat ?? 1, s.gapMs ?? 0);
        if (from < window.to) for (const start of occurrenceStarts(s, content, from, window.to, MAX_FEED_EVENTS)) if (!occurrences.has(occurrenceId(s.id, start))) occurrences.set(occurrenceId(s.id, start), { start, durationMs: length });
      }
      for (const [id, o] of occurrences) out.push(this.event(s, content, targets.get(s.id) ?? [], scope, id, o.start, o.durationMs));
    }
    out.sort((a, b) => a.start - b.start || (a.uid < b.uid ? -1 : a.uid > b.uid ? 1 : 0));
    return out.slice(0, MAX_FEED_EVENTS);
  }

  private event(s: ScheduleEntity, content: ContentEntity | undefined, targets: readonly NamedTarget[], scope: AreaScope, id: string, start: number, durationMs: number): FeedEvent {
    // Occurrences before the cancellation were due (and may have aired); those after it will not air.
    const cancelled = s.status === 'cancelled' && start >= (s.updatedAt ?? 0);
    const lastModified = Math.max(s.updatedAt ?? s.createdAt, s.approvedAt ?? 0, content?.updatedAt ?? content?.createdAt ?? 0, s.createdAt);
    const areas = targets.filter((t) => t.kind === 'area').map((t) => t.name ?? t.ref);
    const groups = targets.filter((t) => t.kind === 'group').map((t) => `nhóm ${t.name ?? t.ref}`);
    // A device outside the reader's area is not named to it (as in the schedule views).
    const devices = targets.filter((t) => t.kind === 'device' && t.areaCode !== null && scope.contains(t.areaCode)).map((t) => t.name ?? t.ref);
    const places = [...areas, ...groups, ...devices];
    const title = content?.title ?? `Lịch ${s.id}`;
    const tags = [cancelled ? '[Đã hủy]' : null, s.priority === 'normal' ? null : `[${priorityLabelVi(s.priority)}]`].filter((t) => t !== null);
    const lines = [
      `Mức ưu tiên: ${priorityLabelVi(s.priority)}`,
      places.length > 0 ? `Phát tới: ${places.join(', ')}` : null,
      content ? `Loại nội dung: ${CONTENT_KIND_VI[content.type] ?? content.type}` : null,
      content?.type === 'text' && content.text ? `Nội dung: ${content.text.length > 1000 ? `${content.text.slice(0, 1000)}…` : content.text}` : null,
      `Thời lượng: ${duration(durationMs)}${(s.repeat ?? 1) > 1 ? ` (phát ${s.repeat} lần)` : ''}`,
      cancelled ? 'Lượt phát này đã bị hủy.' : null,
      `Mã lịch phát: ${s.id}`,
    ].filter((l) => l !== null);
    return {
      uid: `${id}@loa`,
      start,
      end: start + durationMs,
      summary: [...tags, title].join(' '),
      description: lines.join('\n'),
      location: places.length > 0 ? (areas.length > 0 ? areas : places).join(', ') : null,
      priority: ICAL_PRIORITY[s.priority] ?? 5,
      categories: ['Loa', priorityLabelVi(s.priority)],
      cancelled,
      // Grows with every change of the schedule or its content (seconds since creation fit an int32 for 68 years).
      // A cancellation adds one more, since it may come within the second the schedule was made and a calendar
      // ignores a cancel whose SEQUENCE is not higher; a schedule is never un-cancelled, so this never goes back.
      sequence: Math.min(2 ** 31 - 1, Math.max(0, Math.floor((lastModified - s.createdAt) / 1000)) + (s.status === 'cancelled' ? 1 : 0)),
      lastModified,
    };
  }
}

const notFound = (): NotFoundException => new NotFoundException('calendar not found');

function groupBy<T>(items: readonly T[], key: (item: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const i of items) {
    const k = key(i);
    const list = out.get(k);
    if (list) list.push(i);
    else out.set(k, [i]);
  }
  return out;
}
