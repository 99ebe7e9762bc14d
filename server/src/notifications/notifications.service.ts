import { Inject, Injectable } from '@nestjs/common';
import { APPROVALS_LIVE_EVENT, NOTIFICATION_LIVE_EVENT, NOTIFICATION_READ_LIVE_EVENT, type MarkNotificationsReadRequest, type NotificationKind, type NotificationList, type NotificationListQuery, type NotificationSubject, type NotificationView } from '@loa/shared/rest';
import type { UserPrincipal } from '../auth/principal.js';
import { Clock } from '../common/clock.js';
import { newId } from '../common/ids.js';
import { badRequest } from '../common/loa-error.js';
import { AppConfig } from '../config/app-config.js';
import { EventBus } from '../events/event-bus.js';
import type { NotificationEntity, NotificationOutboxEntity } from './notification.entities.js';
import { NotificationOutbox } from './notification-outbox.js';
import { composeEmail, composeSms } from './messages.js';
import { NOTIFIERS, type Notifier, type NotifyChannel } from './notifiers.js';
import { NotificationsRepository, type Recipient } from './notifications.repository.js';

/** What happened, to tell some users about. */
export interface NotificationDraft {
  kind: NotificationKind;
  subject: NotificationSubject;
  subjectId: string;
  title: string;
  detail: string | null;
  /** Who did it (user id), and their name for the messages. */
  actor: string | null;
  actorName: string | null;
  /** E-mail and SMS too (else in-app only: a withdrawal is not worth a text). */
  outside: boolean;
}

/**
 * Per-user notifications: stored (unread until read), pushed live to the user's open dashboards, and, when the user has
 * an address or phone and the installation configured the adapter, queued for e-mail or SMS (NotificationOutbox).
 */
@Injectable()
export class NotificationsService {
  constructor(
    private readonly repo: NotificationsRepository,
    private readonly outbox: NotificationOutbox,
    private readonly bus: EventBus,
    private readonly clock: Clock,
    private readonly config: AppConfig,
    @Inject(NOTIFIERS) private readonly notifiers: readonly Notifier[],
  ) {}

  private can(channel: NotifyChannel): boolean {
    return this.notifiers.some((n) => n.channel === channel && n.enabled());
  }

  async list(user: UserPrincipal, q: NotificationListQuery): Promise<NotificationList> {
    const [rows, unread] = await Promise.all([this.repo.list(user.userId, q.limit, q.unreadOnly), this.repo.unread(user.userId)]);
    return { items: rows.map(view), unread };
  }

  async unread(user: UserPrincipal): Promise<{ unread: number }> {
    return { unread: await this.repo.unread(user.userId) };
  }

  async markRead(user: UserPrincipal, body: MarkNotificationsReadRequest): Promise<{ unread: number }> {
    if (body.all !== true && (body.ids?.length ?? 0) === 0) throw badRequest('notification.read-nothing');
    await this.repo.markRead(user.userId, body.all === true ? null : (body.ids ?? []), this.clock.now());
    const unread = await this.repo.unread(user.userId);
    // The user's other tabs and phone update their bell too.
    this.bus.publish({ type: NOTIFICATION_READ_LIVE_EVENT, forUser: user.userId, unread });
    return { unread };
  }

  /** Stores one notification per recipient, tells their dashboards, and queues e-mail/SMS. Returns the rows stored. */
  async notify(recipients: readonly Recipient[], draft: NotificationDraft): Promise<NotificationEntity[]> {
    const now = this.clock.now();
    const unique = [...new Map(recipients.map((r) => [r.userId, r])).values()];
    if (unique.length === 0) return [];
    const rows: NotificationEntity[] = [];
    const outbox: NotificationOutboxEntity[] = [];
    for (const r of unique) {
      const row: NotificationEntity = { id: newId(), userId: r.userId, kind: draft.kind, subject: draft.subject, subjectId: draft.subjectId, title: draft.title.slice(0, 200), detail: draft.detail?.slice(0, 1000) ?? null, actor: draft.actor, createdAt: now, readAt: null };
      rows.push(row);
      if (!draft.outside) continue;
      const link = this.config.notify.linkUrl;
      const base = { notificationId: row.id, userId: r.userId, attempts: 0, nextAttemptAt: now, sentAt: null, failedAt: null, lastError: null, createdAt: now };
      if (r.email && this.can('email')) {
        const m = composeEmail(draft, r, link);
        outbox.push({ id: newId(), channel: 'email', address: r.email, subject: m.subject, body: m.text, ...base });
      }
      if (r.phone && this.can('sms')) {
        outbox.push({ id: newId(), channel: 'sms', address: r.phone, subject: '', body: composeSms(draft, link), ...base });
      }
    }
    await this.repo.insert(rows, outbox);
    for (const row of rows) {
      const unread = await this.repo.unread(row.userId);
      this.bus.publish({ type: NOTIFICATION_LIVE_EVENT, forUser: row.userId, notification: view(row), unread });
    }
    if (outbox.length > 0) this.outbox.kick();
    return rows;
  }

  /**
   * Issue 19: an item no longer waits (decided, withdrawn): the approvers' "needs your approval" notifications of it
   * are read by then, so no bell keeps counting what nobody needs to do; their dashboards update live.
   */
  async settle(subject: NotificationSubject, subjectId: string): Promise<void> {
    for (const userId of await this.repo.settleSubmitted(subject, subjectId, this.clock.now())) {
      this.bus.publish({ type: NOTIFICATION_READ_LIVE_EVENT, forUser: userId, unread: await this.repo.unread(userId) });
    }
  }

  /** The approval queue changed: every dashboard showing it (in `areaCode`'s subtree, or all) reads it again. */
  queueChanged(subject: NotificationSubject, subjectId: string, action: string, areaCode: string | null): void {
    this.bus.publish({ type: APPROVALS_LIVE_EVENT, subject, subjectId, action, ...(areaCode === null ? {} : { areaCode }) });
  }
}

const iso = (ms: number): string => new Date(ms).toISOString();

function view(n: NotificationEntity): NotificationView {
  return {
    id: n.id,
    kind: n.kind as NotificationKind,
    subject: n.subject as NotificationSubject,
    subjectId: n.subjectId,
    title: n.title,
    detail: n.detail,
    actor: n.actor,
    createdAt: iso(n.createdAt),
    readAt: n.readAt === null ? null : iso(n.readAt),
  };
}
