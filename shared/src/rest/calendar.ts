/**
 * Issue 16: the iCalendar feed of an area's schedules, so commune officers see the broadcasts in their phone's
 * calendar. A calendar app cannot log in: the feed URL carries a per-user token (kept only as a hash by the server),
 * which the user creates, rotates and revokes while signed in.
 */
import { z } from 'zod';

/** GET /api/v1/calendar/token: whether the caller has a calendar link (the link itself is shown only once). */
export const calendarTokenStatusSchema = z.object({
  exists: z.boolean(),
  /** ISO-8601 UTC; null without a link. */
  createdAt: z.string().nullable(),
  /** When a calendar app last fetched the feed with it; null if never (or without a link). */
  lastUsedAt: z.string().nullable(),
});
export type CalendarTokenStatus = z.infer<typeof calendarTokenStatusSchema>;

/**
 * POST /api/v1/calendar/token: a new link (any previous one stops working). This answer is the only time the link is
 * shown: the server keeps a hash of it.
 */
export const calendarTokenCreatedSchema = z.object({
  /** https://…/api/v1/calendar/<token>.ics — to paste into a calendar app ("subscribe by URL"). */
  url: z.string(),
  /** The same with the webcal:// scheme, which opens the subscribe dialog on phones. */
  webcalUrl: z.string(),
  createdAt: z.string(),
});
export type CalendarTokenCreated = z.infer<typeof calendarTokenCreatedSchema>;

/**
 * GET /api/v1/calendar/<token>.ics[?areaCode=…]: no session, the token authenticates. Without `areaCode`, the token
 * owner's whole area (as the owner's account is now); with one, that part of it. Anything not served (unknown,
 * rotated or revoked token, disabled owner, an area outside the owner's) is 404.
 */
export const calendarFeedQuerySchema = z.object({
  areaCode: z.string().min(1).max(32).optional(),
});
export type CalendarFeedQuery = z.infer<typeof calendarFeedQuerySchema>;

/** The window of a feed around "now": a week back (what aired), two months ahead (what is planned). */
export const CALENDAR_DAYS_BACK = 7;
export const CALENDAR_DAYS_AHEAD = 60;
