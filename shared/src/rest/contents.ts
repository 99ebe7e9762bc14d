import { z } from 'zod';
import { sha256Schema } from '../ids.js';
import { hexColorSchema, textStyleSchema } from '../messages.js';
import { instantSchema, queryBoolSchema } from './common.js';

const title = z.string().trim().min(1).max(200);
const instant = instantSchema;
/** Optional validity window: occurrences starting outside [validFrom, validUntil) are not generated. */
const validity = { validFrom: instant.optional(), validUntil: instant.optional() };
/** `submit`: submit for approval at once; `approve`: submit and approve as the same user (implies submit). */
const flags = { submit: z.boolean().optional(), approve: z.boolean().optional() };
const displaySeconds = z.number().positive().max(24 * 3600);
const relayUrl = z.url({ protocol: /^https?$/ }).max(2000);
/** Issue 16: the content category (GET /api/v1/content-categories); null clears it on an update. Unknown: 400. */
const classified = { category: z.string().min(1).max(32).nullable().optional() };
/** Issue 18: content marked for emergencies (the alert form may be limited to such audio, see the approval rules). */
const marked = { emergency: z.boolean().optional() };
/** Issue 18: the board text an audio content carries, shown on boards while speakers play it. */
const boardText = z.string().trim().min(1).max(5000);

/** POST /api/v1/contents */
export const createContentRequestSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('audio'), title, mediaSha256: sha256Schema, text: boardText.optional(), ...validity, ...flags, ...classified, ...marked }),
  z.object({
    type: z.literal('text'),
    title,
    text: z.string().trim().min(1).max(5000),
    displaySeconds: displaySeconds.default(60),
    /** Board presentation: fontSize small|medium|large|xlarge or px, color/background #hex, mode static|scroll, scrollSpeed px/s. */
    style: textStyleSchema.strict().optional(),
    ...validity,
    ...flags,
    ...classified,
    ...marked,
  }),
  z.object({
    type: z.literal('relay'),
    title,
    /** Upstream stream (HTTP, Icecast or HLS), relayed by speakers for the slot's duration. */
    url: relayUrl,
    durationSeconds: z.number().positive().max(24 * 3600),
    ...validity,
    ...flags,
    ...classified,
    ...marked,
  }),
]);
export type CreateContentRequest = z.infer<typeof createContentRequestSchema>;

/** PATCH /api/v1/contents/:id (drafts and rejected content only). */
export const updateContentRequestSchema = z
  .object({
    title: title.optional(),
    text: z.string().trim().min(1).max(5000).optional(),
    displaySeconds: displaySeconds.optional(),
    style: textStyleSchema.strict().nullable().optional(),
    mediaSha256: sha256Schema.optional(),
    url: relayUrl.optional(),
    durationSeconds: z.number().positive().max(24 * 3600).optional(),
    ...validity,
    ...classified,
    ...marked,
  })
  .strict()
  .refine((b) => Object.keys(b).length > 0, 'give at least one field to change');
export type UpdateContentRequest = z.infer<typeof updateContentRequestSchema>;

/** POST /api/v1/contents/images: the fields travel in the query string; the body is the image itself. */
export const imageContentQuerySchema = z.object({
  title,
  displaySeconds: z.coerce.number().positive().max(24 * 3600).default(60),
  fit: z.enum(['contain', 'cover']).optional(),
  background: hexColorSchema.optional(),
  ...validity,
  submit: queryBoolSchema.optional(),
  approve: queryBoolSchema.optional(),
  category: z.string().min(1).max(32).optional(),
});
export type ImageContentQuery = z.infer<typeof imageContentQuerySchema>;

/** GET /api/v1/contents (issue 18: `emergency=true` lists the content marked for emergencies only). */
export const contentListQuerySchema = z.object({ emergency: queryBoolSchema.optional() });
export type ContentListQuery = z.infer<typeof contentListQuerySchema>;

/** GET /api/v1/contents/:id/preview */
export const contentPreviewQuerySchema = z.object({ profileId: z.string().min(1).max(36).optional() });

export const CONTENT_TYPES = ['audio', 'text', 'relay', 'image'] as const;
export type ContentType = (typeof CONTENT_TYPES)[number];
export const CONTENT_STATES = ['draft', 'submitted', 'approved', 'rejected', 'archived'] as const;
export type ContentState = (typeof CONTENT_STATES)[number];

export const contentStepViewSchema = z.object({
  action: z.string(),
  from: z.string().nullable(),
  to: z.string(),
  by: z.string(),
  at: z.string(),
  reason: z.string().nullable(),
});
export type ContentStepView = z.infer<typeof contentStepViewSchema>;

export const contentViewSchema = z.object({
  id: z.string(),
  type: z.enum(CONTENT_TYPES),
  title: z.string(),
  state: z.enum(CONTENT_STATES),
  mediaSha256: z.string().nullable(),
  text: z.string().nullable(),
  url: z.string().nullable(),
  style: z.record(z.string(), z.unknown()).nullable(),
  image: z.object({ sha256: z.string(), width: z.number().nullable(), height: z.number().nullable() }).nullable(),
  durationMs: z.number(),
  validFrom: z.string().nullable(),
  validUntil: z.string().nullable(),
  createdBy: z.string(),
  createdAt: z.string(),
  updatedAt: z.string().nullable(),
  submittedBy: z.string().nullable(),
  submittedAt: z.string().nullable(),
  approvedBy: z.string().nullable(),
  approvedAt: z.string().nullable(),
  rejectedBy: z.string().nullable(),
  rejectedAt: z.string().nullable(),
  rejectReason: z.string().nullable(),
  archivedBy: z.string().nullable(),
  archivedAt: z.string().nullable(),
  /** Every lifecycle step, oldest first. */
  history: z.array(contentStepViewSchema),
  /** Issue 16: the content category code (content_categories), null when unclassified. */
  category: z.string().nullable().optional(),
  /** Issue 16: a bulletin received from an upper peer ("Từ cấp trên: <peerName>"); null (or absent) for our own. */
  origin: z
    .object({ peerId: z.string(), peerName: z.string(), originId: z.string(), priority: z.string().nullable(), category: z.string().nullable() })
    .nullable()
    .optional(),
  /** Issue 18: marked for emergencies (absent from older servers' answers). */
  emergency: z.boolean().optional(),
});
export type ContentView = z.infer<typeof contentViewSchema>;
