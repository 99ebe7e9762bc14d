import { z } from 'zod';

/**
 * Issue 19 item 7: in-app notifications (per user, unread/read) about approvals, and the live events that keep the
 * approval queue current. See docs/dashboard-api.md.
 */

/** What a notification is about. */
export const NOTIFICATION_SUBJECTS = ['schedule', 'content', 'alert'] as const;
export type NotificationSubject = (typeof NOTIFICATION_SUBJECTS)[number];

/**
 * `approval.submitted`: something waits for this user's decision; `approval.approved` / `approval.rejected`: this
 * user's submission was decided; `approval.withdrawn`: what waited for this user was withdrawn by its submitter.
 */
export const NOTIFICATION_KINDS = ['approval.submitted', 'approval.approved', 'approval.rejected', 'approval.withdrawn'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

export const notificationViewSchema = z.object({
  id: z.string(),
  kind: z.enum(NOTIFICATION_KINDS),
  subject: z.enum(NOTIFICATION_SUBJECTS),
  subjectId: z.string(),
  /** The content's title (a schedule's content), as it was when the notification was made. */
  title: z.string(),
  /** A rejection's reason, or the first words a TTS bulletin speaks; null when none. */
  detail: z.string().nullable(),
  /** Who submitted or decided (user id; `approval-rules` for an automatic decision). */
  actor: z.string().nullable(),
  createdAt: z.string(),
  readAt: z.string().nullable(),
});
export type NotificationView = z.infer<typeof notificationViewSchema>;

/** GET /api/v1/notifications?limit=&unreadOnly= */
export const notificationListQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  unreadOnly: z
    .enum(['true', 'false', '1', '0'])
    .optional()
    .transform((v) => v === 'true' || v === '1'),
});
export type NotificationListQuery = z.infer<typeof notificationListQuerySchema>;

export const notificationListSchema = z.object({
  items: z.array(notificationViewSchema),
  /** Every unread notification of the user, not only those listed. */
  unread: z.number().int(),
});
export type NotificationList = z.infer<typeof notificationListSchema>;

/** POST /api/v1/notifications/read: the listed ones, or every one (`all`). Answers the new unread count. */
export const markNotificationsReadRequestSchema = z
  .object({
    ids: z.array(z.string().min(1).max(36)).max(500).optional(),
    all: z.boolean().optional(),
  })
  .refine((b) => b.all === true || (b.ids?.length ?? 0) > 0, { message: 'give ids or all: true' });
export type MarkNotificationsReadRequest = z.infer<typeof markNotificationsReadRequestSchema>;

export const notificationUnreadSchema = z.object({ unread: z.number().int() });
export type NotificationUnread = z.infer<typeof notificationUnreadSchema>;

/**
 * Live event to one user only (it carries `forUser`): a new notification. `notification` is its view; `unread` the
 * user's unread count after it.
 */
export const NOTIFICATION_LIVE_EVENT = 'notification.new';
/** Live event to one user: notifications were marked read (another tab); `unread` is the new count. */
export const NOTIFICATION_READ_LIVE_EVENT = 'notification.read';
/**
 * Live event, area-scoped like the queue itself: something entered or left the approval queue (`action`
 * submitted/approved/rejected/withdrawn, `subject`, `subjectId`). No content: the dashboard reads the queue again.
 */
export const APPROVALS_LIVE_EVENT = 'approvals.changed';
